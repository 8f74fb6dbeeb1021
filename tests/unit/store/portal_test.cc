// sealportal's accounts, one-time tokens and login sessions in the Store:
// creation and normalisation, duplicates, confirmation (idempotent), the
// password reset clearing the counters, failed logins counted to a lockout
// (exactly, by 8 threads on two connections), one-time tokens (consumed
// once, also by 8 racing threads; expired; wrong purpose), sessions (touch,
// idle and absolute expiry deleting the row), deletion, the purge, malformed
// and hostile input, and a version-4 database migrating with its data.
// Backend-independent: runs on SQLite and, under run_pg_tests.py, on
// PostgreSQL (testing::TestDb). Catch2 assertions are not thread-safe, so
// threads count outcomes and the main thread checks the counts.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "lib/store/open_store.h"
#include "lib/store/pg_schema.h"
#include "lib/store/pg_store.h"
#include "lib/store/pg_util.h"
#include "lib/store/portal_records.h"
#include "lib/store/sqlite_schema.h"
#include "lib/store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::kDay;
using testing::kNow;
using testing::TestDb;

const char kEmail[] = "bob@example.org";
const char kArgon[] =
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJ"
    "ObG";

// A well-formed secret hash: 64 hex digits ending in `n`.
std::string H(int n) {
  std::string h(64, 'a');
  std::string tail = std::to_string(n);
  h.replace(64 - tail.size(), tail.size(), tail);
  return h;
}

PortalAccount Account(std::string email = kEmail) {
  PortalAccount a;
  a.email = std::move(email);
  a.password_hash = kArgon;
  a.locale = "de-CH";
  return a;
}

PortalToken Token(std::string hash,
                  PortalTokenPurpose purpose = PortalTokenPurpose::kConfirm,
                  int64_t expires_at = kNow + 3600) {
  PortalToken t;
  t.token_hash = std::move(hash);
  t.email = kEmail;
  t.purpose = purpose;
  t.expires_at = expires_at;
  return t;
}

PortalSession Session(std::string hash, int64_t expires_at = kNow + 1000) {
  PortalSession s;
  s.id_hash = std::move(hash);
  s.email = kEmail;
  s.expires_at = expires_at;
  s.remote_addr = "2001:db8::7";
  s.user_agent = "Mozilla/5.0 (X11; Linux x86_64)";
  return s;
}

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

TEST_CASE("portal: names and the secret hash form") {
  CHECK(PortalTokenPurposeName(PortalTokenPurpose::kConfirm) == "confirm");
  CHECK(PortalTokenPurposeName(PortalTokenPurpose::kReset) == "reset");
  CHECK(*ParsePortalTokenPurpose("reset") == PortalTokenPurpose::kReset);
  CHECK(*ParsePortalTokenPurpose("confirm") == PortalTokenPurpose::kConfirm);
  CHECK(ParsePortalTokenPurpose("Reset").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(ParsePortalTokenPurpose("").status().code() ==
        StatusCode::kInvalidArgument);
  std::string upper(64, 'A');
  CHECK(*NormalizeSecretHash(upper) == std::string(64, 'a'));
  CHECK(*NormalizeSecretHash(H(7)) == H(7));
  for (const std::string& bad :
       {std::string(), std::string(63, 'a'), std::string(65, 'a'),
        std::string(63, 'a') + "g", std::string(63, 'a') + "\n",
        std::string(63, 'a') + std::string(1, '\0'),
        std::string(32, 'a') + ":" + std::string(31, 'a'),
        std::string("../../etc/passwd") + std::string(48, '0')}) {
    INFO(bad);
    Result<std::string> r = NormalizeSecretHash(bad);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(Contains(r.status(), "64 hex digits"));
  }
}

TEST_CASE("portal: an account is created, read back and not created twice") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->PutPortalAccount(Account("Bob@Example.ORG")).ok());
  Result<PortalAccount> got = store->GetPortalAccount("BOB@example.org");
  REQUIRE(got.ok());
  CHECK(got->email == kEmail);
  CHECK(got->password_hash == kArgon);
  CHECK(got->locale == "de-CH");
  CHECK(got->created_at == kNow);
  CHECK(got->confirmed_at == 0);
  CHECK(got->failed_logins == 0);
  CHECK(got->locked_until == 0);
  CHECK(got->last_login_at == 0);
  CHECK(got->password_changed_at == kNow);

  clock.Advance(5);
  PortalAccount other = Account("bob@EXAMPLE.org");
  other.password_hash = "$argon2id$other";
  Status again = store->PutPortalAccount(other);
  CHECK(again.code() == StatusCode::kFailedPrecondition);
  CHECK(Contains(again, "already exists"));
  CHECK(store->GetPortalAccount(kEmail)->password_hash == kArgon);
  CHECK(store->GetPortalAccount(kEmail)->created_at == kNow);

  // No password yet (registration before confirmation); created confirmed.
  PortalAccount fresh = Account("carol@example.org");
  fresh.password_hash = "";
  fresh.locale = "";
  fresh.confirmed_at = kNow - 10;
  REQUIRE(store->PutPortalAccount(fresh).ok());
  got = store->GetPortalAccount("carol@example.org");
  REQUIRE(got.ok());
  CHECK(got->password_hash.empty());
  CHECK(got->password_changed_at == 0);
  CHECK(got->confirmed_at == kNow - 10);

  CHECK(store->GetPortalAccount("nobody@example.org").status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("portal: malformed account input is refused with a reason") {
  TestDb db;
  auto store = db.Open();
  for (const std::string& bad :
       {std::string(), std::string("no-at-sign"),
        std::string("a b@example.org"),
        std::string("bob@example.org\r\nRCPT TO:<x@y>"),
        std::string("bob@example.org") + std::string(1, '\0'),
        std::string(400, 'a') + "@example.org"}) {
    INFO(bad);
    Status s = store->PutPortalAccount(Account(bad));
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(Contains(s, "email"));
    CHECK(store->GetPortalAccount(bad).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->ConfirmPortalAccount(bad).code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->SetPortalPassword(bad, kArgon).code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->NotePortalLoginFailure(bad, 5, 60).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->NotePortalLoginSuccess(bad).code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->DeletePortalAccount(bad).code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->DeletePortalSessionsFor(bad).code() ==
          StatusCode::kInvalidArgument);
  }
  PortalAccount a = Account();
  a.password_hash = std::string(513, 'h');
  Status s = store->PutPortalAccount(a);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(s, "512"));
  for (const std::string& hash :
       {std::string("$argon2id$\n"), std::string("$argon2id$ x"),
        std::string("$argon2id$\x7f"), std::string("$argon2id$\xc3\xa4")}) {
    a.password_hash = hash;
    s = store->PutPortalAccount(a);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(Contains(s, "password hash"));
  }
  a = Account();
  a.locale = "de\nCH";
  CHECK(store->PutPortalAccount(a).code() == StatusCode::kInvalidArgument);
  a.locale = std::string(36, 'a');
  CHECK(store->PutPortalAccount(a).code() == StatusCode::kInvalidArgument);
  a = Account();
  a.failed_logins = 3;
  CHECK(store->PutPortalAccount(a).code() == StatusCode::kInvalidArgument);
  a = Account();
  a.locked_until = kNow + 100;
  CHECK(store->PutPortalAccount(a).code() == StatusCode::kInvalidArgument);
  a = Account();
  a.last_login_at = 1;
  CHECK(store->PutPortalAccount(a).code() == StatusCode::kInvalidArgument);
  a = Account();
  a.confirmed_at = -1;
  CHECK(store->PutPortalAccount(a).code() == StatusCode::kInvalidArgument);
  CHECK(store->GetPortalAccount(kEmail).status().code() ==
        StatusCode::kNotFound);
  // Exactly at the cap is fine.
  a = Account();
  a.password_hash = std::string(512, 'h');
  CHECK(store->PutPortalAccount(a).ok());
  CHECK(store->SetPortalPassword(kEmail, std::string(513, 'h')).code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->SetPortalPassword(kEmail, "").code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->SetPortalPassword(kEmail, "a\r\nb").code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->GetPortalAccount(kEmail)->password_hash ==
        std::string(512, 'h'));
}

TEST_CASE("portal: confirming is idempotent") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->PutPortalAccount(Account()).ok());
  clock.Advance(5);
  REQUIRE(store->ConfirmPortalAccount("Bob@example.org").ok());
  CHECK(store->GetPortalAccount(kEmail)->confirmed_at == kNow + 5);
  clock.Advance(5);
  REQUIRE(store->ConfirmPortalAccount(kEmail).ok());
  CHECK(store->GetPortalAccount(kEmail)->confirmed_at == kNow + 5);
  CHECK(store->ConfirmPortalAccount("nobody@example.org").code() ==
        StatusCode::kNotFound);
}

TEST_CASE("portal: failed logins lock the account; success clears") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->PutPortalAccount(Account()).ok());
  Result<PortalAccount> a = store->NotePortalLoginFailure(kEmail, 3, 600);
  REQUIRE(a.ok());
  CHECK(a->failed_logins == 1);
  CHECK(a->locked_until == 0);
  a = store->NotePortalLoginFailure(kEmail, 3, 600);
  REQUIRE(a.ok());
  CHECK(a->failed_logins == 2);
  CHECK(a->locked_until == 0);
  clock.Advance(7);
  a = store->NotePortalLoginFailure("BOB@example.org", 3, 600);
  REQUIRE(a.ok());
  CHECK(a->failed_logins == 0);
  CHECK(a->locked_until == kNow + 7 + 600);
  CHECK(store->GetPortalAccount(kEmail)->locked_until == kNow + 607);
  // Counting goes on from 0; the lock stays until a success or a new one.
  a = store->NotePortalLoginFailure(kEmail, 3, 600);
  REQUIRE(a.ok());
  CHECK(a->failed_logins == 1);
  CHECK(a->locked_until == kNow + 607);

  clock.Advance(1000);
  REQUIRE(store->NotePortalLoginSuccess(kEmail).ok());
  Result<PortalAccount> ok = store->GetPortalAccount(kEmail);
  REQUIRE(ok.ok());
  CHECK(ok->failed_logins == 0);
  CHECK(ok->locked_until == 0);
  CHECK(ok->last_login_at == kNow + 1007);

  // max_failures 1: every failure locks.
  a = store->NotePortalLoginFailure(kEmail, 1, 60);
  REQUIRE(a.ok());
  CHECK(a->failed_logins == 0);
  CHECK(a->locked_until == kNow + 1007 + 60);

  CHECK(store->NotePortalLoginFailure(kEmail, 0, 60).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->NotePortalLoginFailure(kEmail, -1, 60).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->NotePortalLoginFailure(kEmail, 3, 0).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->NotePortalLoginFailure(kEmail, 3, -5).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->NotePortalLoginFailure(kEmail, 3, INT64_MAX).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->NotePortalLoginFailure("nobody@example.org", 3, 60)
            .status()
            .code() == StatusCode::kNotFound);
  CHECK(store->NotePortalLoginSuccess("nobody@example.org").code() ==
        StatusCode::kNotFound);
}

TEST_CASE("portal: a new password resets the counters") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  PortalAccount a = Account();
  a.password_hash = "";
  REQUIRE(store->PutPortalAccount(a).ok());
  REQUIRE(store->NotePortalLoginFailure(kEmail, 2, 600).ok());
  REQUIRE(store->NotePortalLoginFailure(kEmail, 2, 600).ok());
  REQUIRE(store->NotePortalLoginFailure(kEmail, 2, 600).ok());
  Result<PortalAccount> before = store->GetPortalAccount(kEmail);
  REQUIRE(before.ok());
  CHECK(before->failed_logins == 1);
  CHECK(before->locked_until == kNow + 600);
  clock.Advance(30);
  REQUIRE(store->SetPortalPassword("bob@Example.org", kArgon).ok());
  Result<PortalAccount> after = store->GetPortalAccount(kEmail);
  REQUIRE(after.ok());
  CHECK(after->password_hash == kArgon);
  CHECK(after->password_changed_at == kNow + 30);
  CHECK(after->failed_logins == 0);
  CHECK(after->locked_until == 0);
  CHECK(after->last_login_at == 0);
  CHECK(after->created_at == kNow);
  CHECK(store->SetPortalPassword("nobody@example.org", kArgon).code() ==
        StatusCode::kNotFound);
}

TEST_CASE("portal: 8 threads on two connections count every failed login") {
  TestDb db;
  FakeClock clock(kNow);
  auto first = db.Open(&clock);
  auto second = db.Open(&clock);  // another portal process or host
  REQUIRE(first->PutPortalAccount(Account()).ok());
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  constexpr int64_t kMax = 7;
  std::atomic<int> errors{0};
  std::atomic<int> locks{0};  // calls that saw the lock they caused
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& s = (t % 2 == 0) ? *first : *second;
      for (int i = 0; i < kEach; ++i) {
        Result<PortalAccount> a = s.NotePortalLoginFailure(kEmail, kMax, 900);
        if (!a.ok()) {
          ++errors;
        } else if (a->failed_logins == 0) {
          if (a->locked_until == kNow + 900) {
            ++locks;
          } else {
            ++errors;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(errors == 0);
  const int total = kThreads * kEach;
  CHECK(locks == total / kMax);
  Result<PortalAccount> a = first->GetPortalAccount(kEmail);
  REQUIRE(a.ok());
  CHECK(a->failed_logins == total % kMax);
  CHECK(a->locked_until == kNow + 900);
}

TEST_CASE("portal: a token is consumed exactly once") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->PutPortalAccount(Account()).ok());
  PortalToken in = Token(std::string(64, 'C'), PortalTokenPurpose::kReset);
  in.email = "BOB@example.org";
  in.used_at = 99;        // store-kept: ignored
  in.created_at = 12345;  // set by the store
  REQUIRE(store->PutPortalToken(in).ok());
  clock.Advance(10);
  // Another purpose looks like an unknown token.
  Result<PortalToken> wrong = store->ConsumePortalToken(
      std::string(64, 'c'), PortalTokenPurpose::kConfirm);
  CHECK(wrong.status().code() == StatusCode::kNotFound);
  Result<PortalToken> unknown =
      store->ConsumePortalToken(H(1), PortalTokenPurpose::kReset);
  CHECK(unknown.status().code() == StatusCode::kNotFound);
  CHECK(wrong.status().message() == unknown.status().message());

  Result<PortalToken> used = store->ConsumePortalToken(
      std::string(64, 'C'), PortalTokenPurpose::kReset);
  REQUIRE(used.ok());
  CHECK(used->token_hash == std::string(64, 'c'));
  CHECK(used->email == kEmail);
  CHECK(used->purpose == PortalTokenPurpose::kReset);
  CHECK(used->created_at == kNow);
  CHECK(used->expires_at == kNow + 3600);
  CHECK(used->used_at == kNow + 10);
  clock.Advance(1);
  Result<PortalToken> twice = store->ConsumePortalToken(
      std::string(64, 'c'), PortalTokenPurpose::kReset);
  CHECK(twice.status().code() == StatusCode::kFailedPrecondition);
  CHECK(Contains(twice.status(), "used"));
  // Still the wrong purpose: not found, used or not.
  CHECK(store
            ->ConsumePortalToken(std::string(64, 'c'),
                                 PortalTokenPurpose::kConfirm)
            .status()
            .code() == StatusCode::kNotFound);
}

TEST_CASE("portal: an expired token is refused; bad tokens are refused") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->PutPortalAccount(Account()).ok());
  REQUIRE(
      store
          ->PutPortalToken(Token(H(1), PortalTokenPurpose::kConfirm, kNow + 60))
          .ok());
  clock.Advance(60);
  Result<PortalToken> late =
      store->ConsumePortalToken(H(1), PortalTokenPurpose::kConfirm);
  CHECK(late.status().code() == StatusCode::kFailedPrecondition);
  CHECK(Contains(late.status(), "expired"));

  // Put: duplicates, unknown accounts, past expiry, malformed input.
  REQUIRE(store->PutPortalToken(Token(H(2))).ok());
  Status dup = store->PutPortalToken(Token(H(2), PortalTokenPurpose::kReset));
  CHECK(dup.code() == StatusCode::kFailedPrecondition);
  CHECK(Contains(dup, "already stored"));
  PortalToken t = Token(H(3));
  t.email = "nobody@example.org";
  CHECK(store->PutPortalToken(t).code() == StatusCode::kNotFound);
  t = Token(H(3), PortalTokenPurpose::kConfirm, clock.Now());
  Status past = store->PutPortalToken(t);
  CHECK(past.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(past, "expires_at"));
  t.expires_at = 0;
  CHECK(store->PutPortalToken(t).code() == StatusCode::kInvalidArgument);
  t = Token(H(3));
  t.email = "bob@example.org\nX";
  CHECK(store->PutPortalToken(t).code() == StatusCode::kInvalidArgument);
  t = Token(H(3));
  t.purpose = static_cast<PortalTokenPurpose>(42);
  CHECK(store->PutPortalToken(t).code() == StatusCode::kInvalidArgument);
  CHECK(store->ConsumePortalToken(H(3), static_cast<PortalTokenPurpose>(42))
            .status()
            .code() == StatusCode::kInvalidArgument);
  for (const std::string& bad :
       {std::string(), std::string(63, 'a'), std::string(63, 'a') + "\r",
        std::string(63, 'a') + "'", std::string(640, 'a')}) {
    INFO(bad);
    Status put = store->PutPortalToken(Token(bad));
    CHECK(put.code() == StatusCode::kInvalidArgument);
    CHECK(Contains(put, "64 hex digits"));
    CHECK(store->ConsumePortalToken(bad, PortalTokenPurpose::kConfirm)
              .status()
              .code() == StatusCode::kInvalidArgument);
  }
  CHECK(store->ConsumePortalToken(H(3), PortalTokenPurpose::kConfirm)
            .status()
            .code() == StatusCode::kNotFound);
}

TEST_CASE("portal: 8 racing threads consume a token exactly once") {
  TestDb db;
  FakeClock clock(kNow);
  auto first = db.Open(&clock);
  auto second = db.Open(&clock);
  REQUIRE(first->PutPortalAccount(Account()).ok());
  constexpr int kTokens = 5;
  constexpr int kThreads = 8;
  for (int n = 0; n < kTokens; ++n) {
    REQUIRE(
        first->PutPortalToken(Token(H(n), PortalTokenPurpose::kReset)).ok());
  }
  std::atomic<int> wins[kTokens] = {};
  std::atomic<int> used{0};
  std::atomic<int> errors{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& s = (t % 2 == 0) ? *first : *second;
      while (!go) std::this_thread::yield();
      for (int n = 0; n < kTokens; ++n) {
        Result<PortalToken> r =
            s.ConsumePortalToken(H(n), PortalTokenPurpose::kReset);
        if (r.ok()) {
          ++wins[n];
        } else if (r.status().code() == StatusCode::kFailedPrecondition &&
                   r.status().message().find("used") != std::string::npos) {
          ++used;
        } else {
          ++errors;
        }
      }
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();
  CHECK(errors == 0);
  for (int n = 0; n < kTokens; ++n) {
    INFO("token " << n);
    CHECK(wins[n] == 1);
  }
  CHECK(used == kTokens * (kThreads - 1));
}

TEST_CASE("portal: a session is touched, and goes when idle or expired") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->PutPortalAccount(Account()).ok());
  PortalSession in = Session(std::string(64, 'D'), kNow + 2000);
  in.email = "Bob@Example.org";
  in.created_at = 1;
  in.last_seen_at = 2;
  REQUIRE(store->PutPortalSession(in).ok());
  Status dup = store->PutPortalSession(Session(std::string(64, 'd')));
  CHECK(dup.code() == StatusCode::kFailedPrecondition);

  clock.Advance(100);
  Result<PortalSession> s =
      store->TouchPortalSession(std::string(64, 'd'), 600);
  REQUIRE(s.ok());
  CHECK(s->id_hash == std::string(64, 'd'));
  CHECK(s->email == kEmail);
  CHECK(s->created_at == kNow);
  CHECK(s->last_seen_at == kNow + 100);
  CHECK(s->expires_at == kNow + 2000);
  CHECK(s->remote_addr == "2001:db8::7");
  CHECK(s->user_agent == "Mozilla/5.0 (X11; Linux x86_64)");
  // 599 s idle after the touch: still there (the touch extended it).
  clock.Advance(599);
  s = store->TouchPortalSession(std::string(64, 'D'), 600);
  REQUIRE(s.ok());
  CHECK(s->last_seen_at == kNow + 699);
  // 600 s idle: gone, and deleted (no idle limit does not bring it back).
  clock.Advance(600);
  CHECK(store->TouchPortalSession(std::string(64, 'd'), 600).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->TouchPortalSession(std::string(64, 'd'), 0).status().code() ==
        StatusCode::kNotFound);
  clock.Set(kNow + 700);
  CHECK(store->TouchPortalSession(std::string(64, 'd'), 0).status().code() ==
        StatusCode::kNotFound);

  // Absolute expiry, without an idle limit.
  clock.Set(kNow);
  REQUIRE(store->PutPortalSession(Session(H(2), kNow + 1000)).ok());
  clock.Set(kNow + 999);
  s = store->TouchPortalSession(H(2), 0);
  REQUIRE(s.ok());
  CHECK(s->last_seen_at == kNow + 999);
  clock.Set(kNow + 1000);
  CHECK(store->TouchPortalSession(H(2), 0).status().code() ==
        StatusCode::kNotFound);
  clock.Set(kNow + 10);  // back in time: the row is gone, not just expired
  CHECK(store->TouchPortalSession(H(2), 0).status().code() ==
        StatusCode::kNotFound);

  CHECK(store->TouchPortalSession(H(3), 0).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->TouchPortalSession(H(3), -1).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->TouchPortalSession(H(3), INT64_MAX).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("portal: malformed and hostile session input is refused") {
  TestDb db;
  FakeClock clock(kNow);
  StoreOptions options = db.Options(&clock);
  options.limits.max_event_text_bytes = 100;
  Result<std::unique_ptr<Store>> opened = OpenStore(options);
  REQUIRE(opened.ok());
  Store& store = **opened;
  REQUIRE(store.PutPortalAccount(Account()).ok());

  PortalSession s = Session(H(1));
  s.user_agent = std::string(101, 'u');
  Status st = store.PutPortalSession(s);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(st, "user agent"));
  s.user_agent = "evil\r\nSet-Cookie: x=1";
  st = store.PutPortalSession(s);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(st, "control character"));
  s.user_agent = std::string("a\0b", 3);
  CHECK(store.PutPortalSession(s).code() == StatusCode::kInvalidArgument);
  s = Session(H(1));
  s.remote_addr = "192.0.2.1\n";
  CHECK(store.PutPortalSession(s).code() == StatusCode::kInvalidArgument);
  s.remote_addr = std::string(257, '1');
  CHECK(store.PutPortalSession(s).code() == StatusCode::kInvalidArgument);
  s = Session(H(1), kNow);
  st = store.PutPortalSession(s);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(st, "expires_at"));
  s = Session(H(1), -1);
  CHECK(store.PutPortalSession(s).code() == StatusCode::kInvalidArgument);
  s = Session(H(1));
  s.email = "not an address";
  CHECK(store.PutPortalSession(s).code() == StatusCode::kInvalidArgument);
  s = Session(H(1));
  s.email = "nobody@example.org";
  CHECK(store.PutPortalSession(s).code() == StatusCode::kNotFound);
  for (const std::string& bad :
       {std::string(), std::string(62, 'a'), std::string(63, 'a') + "z",
        std::string(63, 'a') + std::string(1, '\0')}) {
    INFO(bad);
    CHECK(store.PutPortalSession(Session(bad)).code() ==
          StatusCode::kInvalidArgument);
    CHECK(store.TouchPortalSession(bad, 0).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(store.DeletePortalSession(bad).code() ==
          StatusCode::kInvalidArgument);
  }
  // Exactly at the caps is fine.
  s = Session(H(1));
  s.user_agent = std::string(100, 'u');
  s.remote_addr = std::string(256, '1');
  REQUIRE(store.PutPortalSession(s).ok());
  CHECK(store.TouchPortalSession(H(1), 0)->user_agent.size() == 100);
}

TEST_CASE("portal: sessions and accounts are deleted with what they own") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->PutPortalAccount(Account()).ok());
  REQUIRE(store->PutPortalAccount(Account("carol@example.org")).ok());
  REQUIRE(store->PutPortalSession(Session(H(1))).ok());
  REQUIRE(store->PutPortalSession(Session(H(2))).ok());
  PortalSession carol = Session(H(3));
  carol.email = "carol@example.org";
  REQUIRE(store->PutPortalSession(carol).ok());
  REQUIRE(store->PutPortalToken(Token(H(4))).ok());
  PortalToken carol_token = Token(H(5));
  carol_token.email = "carol@example.org";
  REQUIRE(store->PutPortalToken(carol_token).ok());

  REQUIRE(store->DeletePortalSession(H(1)).ok());
  REQUIRE(store->DeletePortalSession(H(1)).ok());  // unknown: OK
  CHECK(store->TouchPortalSession(H(1), 0).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->TouchPortalSession(H(2), 0).ok());

  REQUIRE(store->PutPortalSession(Session(H(6))).ok());
  REQUIRE(store->DeletePortalSessionsFor("BOB@example.org").ok());
  CHECK(store->TouchPortalSession(H(2), 0).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->TouchPortalSession(H(6), 0).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->TouchPortalSession(H(3), 0).ok());  // carol's stays
  REQUIRE(store->DeletePortalSessionsFor("nobody@example.org").ok());

  REQUIRE(store->PutPortalSession(Session(H(7))).ok());
  REQUIRE(store->DeletePortalAccount("Bob@example.org").ok());
  CHECK(store->GetPortalAccount(kEmail).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->DeletePortalAccount(kEmail).code() == StatusCode::kNotFound);
  // A new account under the same address inherits nothing.
  REQUIRE(store->PutPortalAccount(Account()).ok());
  CHECK(store->TouchPortalSession(H(7), 0).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->ConsumePortalToken(H(4), PortalTokenPurpose::kConfirm)
            .status()
            .code() == StatusCode::kNotFound);
  // Carol's are untouched.
  CHECK(store->TouchPortalSession(H(3), 0).ok());
  CHECK(store->ConsumePortalToken(H(5), PortalTokenPurpose::kConfirm).ok());
}

TEST_CASE("portal: the purge removes what has expired and counts it") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->PutPortalAccount(Account()).ok());
  CHECK(*store->PurgePortalExpired() == 0);
  REQUIRE(store
              ->PutPortalToken(Token(H(1), PortalTokenPurpose::kConfirm,
                                     kNow + 100))
              .ok());  // will expire
  REQUIRE(store
              ->PutPortalToken(Token(H(2), PortalTokenPurpose::kReset,
                                     kNow + 10 * kDay))
              .ok());  // used long ago
  REQUIRE(store
              ->PutPortalToken(Token(H(3), PortalTokenPurpose::kReset,
                                     kNow + 10 * kDay))
              .ok());  // used recently
  REQUIRE(store
              ->PutPortalToken(Token(H(4), PortalTokenPurpose::kReset,
                                     kNow + 10 * kDay))
              .ok());                                                // live
  REQUIRE(store->PutPortalSession(Session(H(5), kNow + 100)).ok());  // expires
  REQUIRE(store->PutPortalSession(Session(H(6), kNow + 10 * kDay)).ok());
  REQUIRE(store->ConsumePortalToken(H(2), PortalTokenPurpose::kReset).ok());
  clock.Advance(2 * kDay);
  REQUIRE(store->ConsumePortalToken(H(3), PortalTokenPurpose::kReset).ok());
  clock.Advance(60);
  Result<int64_t> purged = store->PurgePortalExpired();
  REQUIRE(purged.ok());
  CHECK(*purged == 3);  // tokens 1 and 2, session 5
  CHECK(*store->PurgePortalExpired() == 0);
  CHECK(store->ConsumePortalToken(H(3), PortalTokenPurpose::kReset)
            .status()
            .code() == StatusCode::kFailedPrecondition);  // kept, used
  CHECK(store->ConsumePortalToken(H(4), PortalTokenPurpose::kReset).ok());
  CHECK(store->ConsumePortalToken(H(2), PortalTokenPurpose::kReset)
            .status()
            .code() == StatusCode::kNotFound);  // purged
  CHECK(store->TouchPortalSession(H(6), 0).ok());
  clock.Set(kNow);  // the purged session stays gone
  CHECK(store->TouchPortalSession(H(5), 0).status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("portal: a version-4 database migrates and keeps its data") {
  TestDb db;
  const char kInsert[] =
      "INSERT INTO envelopes (id, created_at, expires_at, sender, "
      "recipients, portal_key_id, security, opt_reply, opt_reply_all, "
      "opt_forward, opt_read_receipt) VALUES "
      "('0123456789abcdef0123456789abcdef', 1, 0, 'a@x.org', 'b@y.org', "
      "'k1', 'high', %s, %s, %s, %s)";
  if (db.postgres()) {
    std::string conninfo = db.Options().conninfo;
    Result<std::unique_ptr<PgConn>> conn =
        PgConn::Connect(conninfo, "test", 5000);
    INFO(conn.status().ToString());
    REQUIRE(conn.ok());
    REQUIRE(MigratePg(**conn, 4).ok());
    REQUIRE(*PgSchemaVersion(**conn) == 4);
    char sql[512];
    snprintf(sql, sizeof sql, kInsert, "true", "false", "false", "true");
    Status s = (*conn)->ExecScript(sql, "insert");
    INFO(s.ToString());
    REQUIRE(s.ok());
  } else {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.sqlite_path().c_str(), &raw) == SQLITE_OK);
    REQUIRE(MigrateSqlite(raw, 4).ok());
    REQUIRE(*SqliteSchemaVersion(raw) == 4);
    char sql[512];
    snprintf(sql, sizeof sql, kInsert, "1", "0", "0", "1");
    char* err = nullptr;
    int rc = sqlite3_exec(raw, sql, nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(raw);
    REQUIRE(rc == SQLITE_OK);
  }
  auto store = db.Open();
  if (db.postgres()) {
    auto* pg = dynamic_cast<PgStore*>(store.get());
    REQUIRE(pg != nullptr);
    CHECK(*pg->SchemaVersion() == LatestPgSchemaVersion());
    CHECK(LatestPgSchemaVersion() >= 5);
  } else {
    auto* lite = dynamic_cast<SqliteStore*>(store.get());
    REQUIRE(lite != nullptr);
    CHECK(*lite->SchemaVersion() == LatestSqliteSchemaVersion());
    CHECK(LatestSqliteSchemaVersion() >= 5);
  }
  Result<EnvelopeRecord> env =
      store->GetEnvelope("0123456789abcdef0123456789abcdef");
  REQUIRE(env.ok());
  CHECK(env->sender == "a@x.org");
  CHECK(env->reply);
  CHECK(env->read_receipt);
  REQUIRE(store->PutPortalAccount(Account()).ok());
  REQUIRE(store->PutPortalSession(Session(H(1), INT64_MAX)).ok());
  CHECK(store->TouchPortalSession(H(1), 3600).ok());
}

}  // namespace
}  // namespace seal::store
