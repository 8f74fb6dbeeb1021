// Envelope records and the portal audit trail in the SQLite Store: round
// trip and normalisation, malformed ids and hostile text, caps, duplicate
// ids, revocation twice, expiry, the open counter, the read receipt claimed
// exactly once by 8 threads and by two connections, listing filters, and a
// version-3 database (before envelopes) migrating with its data kept.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "lib/store/sqlite_schema.h"
#include "lib/store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::kNow;
using testing::OpenFresh;
using testing::OptionsFor;
using testing::TempDir;

const char kId[] = "0123456789abcdef0123456789abcdef";

EnvelopeRecord Env(std::string id = kId) {
  EnvelopeRecord rec;
  rec.id = std::move(id);
  rec.expires_at = kNow + 3600;
  rec.sender = "Alice@Example.com";
  rec.recipients = {"Bob@Example.org", "carol@example.org"};
  rec.portal_key_id = "k1-0011223344556677";
  rec.security = EnvelopeSecurity::kHigh;
  rec.reply = true;
  rec.forward = true;
  rec.read_receipt = true;
  return rec;
}

std::string IdN(int n) {
  std::string id(32, '0');
  std::string tail = std::to_string(n);
  id.replace(32 - tail.size(), tail.size(), tail);
  return id;
}

TEST_CASE("envelope: a record round-trips normalised") {
  TempDir dir;
  FakeClock clock(kNow);
  auto store = OpenFresh(dir.File("e.db"), &clock);
  EnvelopeRecord in = Env("0123456789ABCDEF0123456789ABCDEF");
  in.revoked_at = 5;  // store-kept fields are ignored on put
  in.open_count = 9;
  Result<EnvelopeRecord> put = store->PutEnvelope(in);
  REQUIRE(put.ok());
  CHECK(put->id == kId);
  CHECK(put->created_at == kNow);
  CHECK(put->revoked_at == 0);
  CHECK(put->open_count == 0);
  Result<EnvelopeRecord> got = store->GetEnvelope(kId);
  REQUIRE(got.ok());
  CHECK(got->sender == "alice@example.com");
  CHECK(got->recipients ==
        std::vector<std::string>{"bob@example.org", "carol@example.org"});
  CHECK(got->expires_at == kNow + 3600);
  CHECK(got->portal_key_id == "k1-0011223344556677");
  CHECK(got->security == EnvelopeSecurity::kHigh);
  CHECK(got->reply);
  CHECK_FALSE(got->reply_all);
  CHECK(got->forward);
  CHECK(got->read_receipt);
  CHECK(got->StateAt(kNow) == EnvelopeState::kActive);
  CHECK(got->StateAt(kNow + 3600) == EnvelopeState::kExpired);
  CHECK(store->GetEnvelope("0123456789ABCDEF0123456789ABCDEF").ok());
}

TEST_CASE("envelope: malformed ids and input are refused") {
  TempDir dir;
  auto store = OpenFresh(dir.File("e.db"));
  for (const std::string& bad :
       {std::string(), std::string("0123"), std::string(kId) + "0",
        std::string(31, 'a') + "g", std::string(31, 'a') + "\n",
        std::string("../../etc/passwd0123456789abcdef0"),
        std::string(31, 'a') + std::string(1, '\0')}) {
    INFO(bad);
    CHECK(store->GetEnvelope(bad).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->PutEnvelope(Env(bad)).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->RevokeEnvelope(bad, "admin", "").code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->SetEnvelopeExpiry(bad, 0).code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->ClaimReadReceipt(bad).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->NoteEnvelopeOpened(bad).status().code() ==
          StatusCode::kInvalidArgument);
  }
  EnvelopeRecord e = Env();
  e.recipients.clear();
  CHECK(store->PutEnvelope(e).status().code() == StatusCode::kInvalidArgument);
  e = Env();
  e.recipients.push_back("no-at-sign");
  CHECK(store->PutEnvelope(e).status().code() == StatusCode::kInvalidArgument);
  e = Env();
  e.recipients.push_back("evil@example.org\r\nRCPT TO:<x@y>");
  CHECK(store->PutEnvelope(e).status().code() == StatusCode::kInvalidArgument);
  e = Env();
  e.portal_key_id = "k1\n";
  CHECK(store->PutEnvelope(e).status().code() == StatusCode::kInvalidArgument);
  e = Env();
  e.expires_at = -5;
  CHECK(store->PutEnvelope(e).status().code() == StatusCode::kInvalidArgument);
  CHECK(store->GetEnvelope(kId).status().code() == StatusCode::kNotFound);
  CHECK(store->RevokeEnvelope(kId, "admin", "").code() ==
        StatusCode::kNotFound);
  CHECK(store->SetEnvelopeExpiry(kId, 0).code() == StatusCode::kNotFound);
  CHECK(store->ClaimReadReceipt(kId).status().code() == StatusCode::kNotFound);
  CHECK(store->NoteEnvelopeOpened(kId).status().code() ==
        StatusCode::kNotFound);
  REQUIRE(store->PutEnvelope(Env()).ok());
  CHECK(store->RevokeEnvelope(kId, "", "x").code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->RevokeEnvelope(kId, "admin", "a\nb").code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->SetEnvelopeExpiry(kId, -2).code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("envelope: caps on recipients and text") {
  TempDir dir;
  StoreLimits limits;
  limits.max_envelope_recipients = 3;
  limits.max_event_text_bytes = 100;
  StoreOptions options = OptionsFor(dir.File("e.db"));
  options.limits = limits;
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  REQUIRE(store.ok());
  EnvelopeRecord e = Env();
  e.recipients = {"a@x.org", "b@x.org", "c@x.org", "d@x.org"};
  CHECK((*store)->PutEnvelope(e).status().code() ==
        StatusCode::kResourceExhausted);
  e.recipients.pop_back();
  REQUIRE((*store)->PutEnvelope(e).ok());
  CHECK((*store)->RevokeEnvelope(kId, "admin", std::string(101, 'r')).code() ==
        StatusCode::kResourceExhausted);
  PortalAuditRecord a;
  a.action = "key_release";
  a.detail = std::string(101, 'd');
  CHECK((*store)->RecordPortalAudit(a).code() ==
        StatusCode::kResourceExhausted);
}

TEST_CASE("envelope: a duplicate id is refused and changes nothing") {
  TempDir dir;
  auto store = OpenFresh(dir.File("e.db"));
  REQUIRE(store->PutEnvelope(Env()).ok());
  EnvelopeRecord other = Env();
  other.recipients = {"mallory@evil.example"};
  Result<EnvelopeRecord> again = store->PutEnvelope(other);
  CHECK(again.status().code() == StatusCode::kFailedPrecondition);
  CHECK(store->GetEnvelope(kId)->recipients.size() == 2);
}

TEST_CASE("envelope: revoke once, expire, open") {
  TempDir dir;
  FakeClock clock(kNow);
  auto store = OpenFresh(dir.File("e.db"), &clock);
  REQUIRE(store->PutEnvelope(Env()).ok());
  clock.Advance(10);
  REQUIRE(store->RevokeEnvelope(kId, "root", "sent to the wrong list").ok());
  Status twice = store->RevokeEnvelope(kId, "root", "again");
  CHECK(twice.code() == StatusCode::kFailedPrecondition);
  Result<EnvelopeRecord> got = store->GetEnvelope(kId);
  REQUIRE(got.ok());
  CHECK(got->revoked_at == kNow + 10);
  CHECK(got->revoked_by == "root");
  CHECK(got->revoke_reason == "sent to the wrong list");
  CHECK(got->StateAt(kNow + 10) == EnvelopeState::kRevoked);
  // A revoked envelope gets no read receipt.
  CHECK(*store->ClaimReadReceipt(kId) == false);

  std::string id2 = IdN(2);
  REQUIRE(store->PutEnvelope(Env(id2)).ok());
  REQUIRE(store->SetEnvelopeExpiry(id2, -1).ok());
  CHECK(store->GetEnvelope(id2)->expires_at == kNow + 10);
  CHECK(store->GetEnvelope(id2)->StateAt(clock.Now()) ==
        EnvelopeState::kExpired);
  REQUIRE(store->SetEnvelopeExpiry(id2, 0).ok());
  CHECK(store->GetEnvelope(id2)->StateAt(clock.Now() + 1000000) ==
        EnvelopeState::kActive);

  clock.Advance(5);
  Result<EnvelopeRecord> o1 = store->NoteEnvelopeOpened(id2);
  REQUIRE(o1.ok());
  CHECK(o1->open_count == 1);
  CHECK(o1->first_opened_at == kNow + 15);
  clock.Advance(5);
  Result<EnvelopeRecord> o2 = store->NoteEnvelopeOpened(id2);
  REQUIRE(o2.ok());
  CHECK(o2->open_count == 2);
  CHECK(o2->first_opened_at == kNow + 15);
}

TEST_CASE("envelope: the read receipt is claimed once by 8 threads") {
  TempDir dir;
  auto store = OpenFresh(dir.File("e.db"));
  REQUIRE(store->PutEnvelope(Env()).ok());
  EnvelopeRecord no_receipt = Env(IdN(3));
  no_receipt.read_receipt = false;
  REQUIRE(store->PutEnvelope(no_receipt).ok());
  // A second connection to the same file: another milter/portal process.
  Result<std::unique_ptr<SqliteStore>> other =
      SqliteStore::Open(OptionsFor(dir.File("e.db")));
  REQUIRE(other.ok());
  std::atomic<int> wins{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Store& s = (t % 2 == 0) ? static_cast<Store&>(*store)
                              : static_cast<Store&>(**other);
      for (int i = 0; i < 20; ++i) {
        Result<bool> r = s.ClaimReadReceipt(kId);
        if (!r.ok()) {
          ++errors;
        } else if (*r) {
          ++wins;
        }
        (void)s.NoteEnvelopeOpened(kId);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(wins == 1);
  CHECK(store->GetEnvelope(kId)->receipt_sent_at != 0);
  CHECK(store->GetEnvelope(kId)->open_count == 160);
  CHECK(*store->ClaimReadReceipt(IdN(3)) == false);
  CHECK(store->GetEnvelope(IdN(3))->receipt_sent_at == 0);
}

TEST_CASE("envelope: listing is newest first and filters") {
  TempDir dir;
  FakeClock clock(kNow);
  auto store = OpenFresh(dir.File("e.db"), &clock);
  for (int i = 1; i <= 4; ++i) {
    EnvelopeRecord e = Env(IdN(i));
    if (i == 2) e.sender = "dave@example.com";
    if (i == 3) e.recipients = {"bobby@example.org"};
    e.expires_at = i == 4 ? kNow + 10 : 0;
    REQUIRE(store->PutEnvelope(e).ok());
    clock.Advance(1);
  }
  REQUIRE(store->RevokeEnvelope(IdN(1), "root", "").ok());
  clock.Advance(100);  // IdN(4) expired
  auto ids = [](const Result<std::vector<EnvelopeRecord>>& r) {
    std::vector<std::string> out;
    if (r.ok()) {
      for (const EnvelopeRecord& e : *r) out.push_back(e.id);
    }
    return out;
  };
  CHECK(ids(store->ListEnvelopes()) ==
        std::vector<std::string>{IdN(4), IdN(3), IdN(2), IdN(1)});
  EnvelopeFilter f;
  f.sender = "DAVE@example.com";
  CHECK(ids(store->ListEnvelopes(f)) == std::vector<std::string>{IdN(2)});
  f = {};
  f.recipient = "bob@example.org";  // not bobby@
  CHECK(ids(store->ListEnvelopes(f)) ==
        std::vector<std::string>{IdN(4), IdN(2), IdN(1)});
  f = {};
  f.state = EnvelopeState::kRevoked;
  CHECK(ids(store->ListEnvelopes(f)) == std::vector<std::string>{IdN(1)});
  f.state = EnvelopeState::kExpired;
  CHECK(ids(store->ListEnvelopes(f)) == std::vector<std::string>{IdN(4)});
  f.state = EnvelopeState::kActive;
  CHECK(ids(store->ListEnvelopes(f)) ==
        std::vector<std::string>{IdN(3), IdN(2)});
  f = {};
  f.limit = 1;
  CHECK(ids(store->ListEnvelopes(f)) == std::vector<std::string>{IdN(4)});
  f = {};
  f.sender = "not an address";
  CHECK(store->ListEnvelopes(f).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("envelope: the portal audit trail") {
  TempDir dir;
  FakeClock clock(kNow);
  auto store = OpenFresh(dir.File("e.db"), &clock);
  PortalAuditRecord a;
  a.envelope_id = std::string(kId);
  a.email = "Bob@Example.org";
  a.action = "key_release";
  a.remote_addr = "192.0.2.1";
  a.user_agent = "Mozilla/5.0";
  REQUIRE(store->RecordPortalAudit(a).ok());
  clock.Advance(1);
  a.envelope_id = IdN(9);
  a.action = "denied_revoked";
  REQUIRE(store->RecordPortalAudit(a).ok());
  a.envelope_id = "";
  a.action = "login_failed";
  REQUIRE(store->RecordPortalAudit(a).ok());
  Result<std::vector<PortalAuditRecord>> all = store->ListPortalAudit("", 0);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].action == "login_failed");
  CHECK((*all)[2].action == "key_release");
  CHECK((*all)[2].email == "bob@example.org");
  CHECK((*all)[2].at == kNow);
  CHECK((*all)[0].id > (*all)[2].id);
  Result<std::vector<PortalAuditRecord>> one =
      store->ListPortalAudit(std::string(kId), 0);
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].remote_addr == "192.0.2.1");
  CHECK(store->ListPortalAudit("", 2)->size() == 2);
  CHECK(store->ListPortalAudit("zz", 0).status().code() ==
        StatusCode::kInvalidArgument);
  for (const std::string& action :
       {std::string(), std::string("Key_Release"), std::string("a b"),
        std::string(65, 'a'), std::string("x\n")}) {
    a.action = action;
    CHECK(store->RecordPortalAudit(a).code() == StatusCode::kInvalidArgument);
  }
  a.action = "reply";
  a.user_agent = "evil\r\nX-Injected: 1";
  CHECK(store->RecordPortalAudit(a).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("envelope: a version-3 database migrates and keeps its data") {
  TempDir dir;
  const std::string path = dir.File("v3.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(MigrateSqlite(db, 3).ok());
    REQUIRE(*SqliteSchemaVersion(db) == 3);
    char* err = nullptr;
    int rc = sqlite3_exec(
        db,
        "INSERT INTO quarantine (id, created_at, queue_id, sender, "
        "recipients, auth_user, client_addr, reason, size, sha256, state, "
        "message) VALUES ('00112233445566ff', 1, 'Q1', 'a@x.org', 'b@y.org', "
        "'', '', 'old', 3, 'aa', 'held', x'616263');"
        "INSERT INTO events (time, kind, subject, detail) VALUES (1, 'issued', "
        "'a@x.org', 'v3');",
        nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
    sqlite3_close(db);
  }
  Result<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(OptionsFor(path));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  CHECK(*(*store)->SchemaVersion() == LatestSqliteSchemaVersion());
  CHECK(LatestSqliteSchemaVersion() >= 4);
  Result<QuarantineRecord> q =
      (*store)->GetQuarantine("00112233445566ff", true);
  REQUIRE(q.ok());
  CHECK(q->message == "abc");
  CHECK(q->reason == "old");
  Result<std::vector<EventRecord>> events = (*store)->RecentEvents(10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  CHECK((*events)[0].detail == "v3");
  CHECK((*store)->PutEnvelope(Env()).ok());
  CHECK((*store)->GetEnvelope(kId).ok());
}

}  // namespace
}  // namespace seal::store
