// Personal passphrases of envelope recipients in the Store and the
// PassphraseVault: round trip with a normalised address, insert-if-absent
// (existing record returned, created false), 8 racing threads on two
// connections creating one address (exactly one wins, all see its secret),
// replacement by an administrator resetting the counters, use counts,
// deletion, list order, malformed and hostile input, the vault's binding
// to the master key and the address, damaged blobs, and a version-5
// database migrating with its data.
// Backend-independent: runs on SQLite and, under run_pg_tests.py, on
// PostgreSQL (testing::TestDb). Threads count outcomes; the main thread
// checks.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/store/passphrase_vault.h"
#include "lib/store/pg_schema.h"
#include "lib/store/pg_store.h"
#include "lib/store/pg_util.h"
#include "lib/store/sqlite_schema.h"
#include "lib/store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::kNow;
using testing::TestDb;

bool Has(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

MasterKey Key(char fill) {
  Result<MasterKey> k = MasterKey::FromBytes(std::string(32, fill));
  REQUIRE(k.ok());
  return std::move(k).value();
}

RecipientSecret Secret(const std::string& passphrase, char salt = 's') {
  RecipientSecret s;
  s.passphrase = passphrase;
  s.generated = true;
  s.salt = std::string(kPassphraseSaltBytes, salt);
  s.iterations = kMinPassphraseIterations;
  s.kek = std::string(kPassphraseKekBytes, 'k');
  return s;
}

RecipientPassphraseRecord Record(const std::string& address,
                                 const std::string& sealed = "blob") {
  RecipientPassphraseRecord r;
  r.address = address;
  r.sealed = sealed;
  r.origin = "message";
  r.created_by = "sealmilter";
  return r;
}

TEST_CASE("passphrases: created once, read back, counted and deleted") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  Result<RecipientPassphrasePut> put =
      store->PutRecipientPassphraseIfAbsent(Record("Bob@Example.NET", "one"));
  REQUIRE(put.ok());
  CHECK(put->created);
  CHECK(put->record.address == "bob@example.net");
  CHECK(put->record.sealed == "one");
  CHECK(put->record.created_at == kNow);
  CHECK(put->record.use_count == 0);

  clock.Advance(10);
  Result<RecipientPassphrasePut> again =
      store->PutRecipientPassphraseIfAbsent(Record("bob@example.net", "two"));
  REQUIRE(again.ok());
  CHECK_FALSE(again->created);
  CHECK(again->record.sealed == "one");  // the first stays
  CHECK(again->record.created_at == kNow);

  REQUIRE(store->NoteRecipientPassphraseUsed("BOB@example.net").ok());
  REQUIRE(store->NoteRecipientPassphraseUsed("bob@example.net").ok());
  Result<RecipientPassphraseRecord> got =
      store->GetRecipientPassphrase("bob@example.net");
  REQUIRE(got.ok());
  CHECK(got->use_count == 2);
  CHECK(got->last_used_at == kNow + 10);
  CHECK(got->origin == "message");
  CHECK(got->created_by == "sealmilter");

  // An administrator replaces it: new blob, origin, counters reset.
  clock.Advance(5);
  RecipientPassphraseRecord admin = Record("bob@example.net", "three");
  admin.origin = "admin";
  admin.created_by = "root";
  REQUIRE(store->SetRecipientPassphrase(admin).ok());
  got = store->GetRecipientPassphrase("bob@example.net");
  REQUIRE(got.ok());
  CHECK(got->sealed == "three");
  CHECK(got->origin == "admin");
  CHECK(got->use_count == 0);
  CHECK(got->last_used_at == 0);
  CHECK(got->created_at == kNow + 15);
  // Set also inserts.
  REQUIRE(store->SetRecipientPassphrase(Record("ann@example.net")).ok());

  Result<std::vector<RecipientPassphraseRecord>> all =
      store->ListRecipientPassphrases();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].address == "ann@example.net");
  CHECK((*all)[1].address == "bob@example.net");

  REQUIRE(store->DeleteRecipientPassphrase("bob@example.net").ok());
  CHECK(store->DeleteRecipientPassphrase("bob@example.net").code() ==
        StatusCode::kNotFound);
  CHECK(store->GetRecipientPassphrase("bob@example.net").status().code() ==
        StatusCode::kNotFound);
  CHECK(store->NoteRecipientPassphraseUsed("bob@example.net").code() ==
        StatusCode::kNotFound);
  // Binary blobs survive byte for byte.
  std::string binary("\0\x01\xff\x80'\"\\", 7);
  REQUIRE(
      store->PutRecipientPassphraseIfAbsent(Record("bin@x.org", binary)).ok());
  CHECK(store->GetRecipientPassphrase("bin@x.org")->sealed == binary);
}

TEST_CASE("passphrases: malformed and hostile input is refused") {
  TestDb db;
  auto store = db.Open();
  struct Case {
    RecipientPassphraseRecord rec;
    StatusCode code;
    const char* text;
  };
  auto with = [](auto change) {
    RecipientPassphraseRecord r = Record("bob@example.net");
    change(r);
    return r;
  };
  std::vector<Case> cases = {
      {with([](auto& r) { r.address = "no-at-sign"; }),
       StatusCode::kInvalidArgument, "@"},
      {with([](auto& r) { r.address = "bob@exa\nmple.net"; }),
       StatusCode::kInvalidArgument, ""},
      {with([](auto& r) { r.origin = "import"; }), StatusCode::kInvalidArgument,
       "origin"},
      {with([](auto& r) { r.sealed.clear(); }), StatusCode::kInvalidArgument,
       "empty"},
      {with([](auto& r) {
         r.sealed.assign(kMaxSealedPassphraseBytes + 1, 'x');
       }),
       StatusCode::kResourceExhausted, "4096"},
      {with([](auto& r) { r.created_by = "root\r\nInjected: yes"; }),
       StatusCode::kInvalidArgument, "control"},
      {with([](auto& r) { r.created_by.assign(257, 'a'); }),
       StatusCode::kResourceExhausted, "256"},
      {with([](auto& r) { r.use_count = 3; }), StatusCode::kInvalidArgument,
       "use_count"},
  };
  for (const Case& c : cases) {
    INFO(c.rec.address << " " << c.rec.origin << " " << c.text);
    Result<RecipientPassphrasePut> put =
        store->PutRecipientPassphraseIfAbsent(c.rec);
    CHECK(put.status().code() == c.code);
    CHECK(Has(put.status(), c.text));
    CHECK(store->SetRecipientPassphrase(c.rec).code() == c.code);
  }
  CHECK(store->ListRecipientPassphrases()->empty());
  CHECK(store->GetRecipientPassphrase("").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->DeleteRecipientPassphrase("x").code() ==
        StatusCode::kInvalidArgument);
  // SQL in an address is just an address that is not there.
  CHECK(store->GetRecipientPassphrase("a'--@x.org").status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("passphrases: the vault seals, opens and binds to key and address") {
  TestDb db;
  auto store = db.Open();
  MasterKey key = Key('\x11');
  PassphraseVault vault(*store, key);
  Result<PassphraseVault::Created> made = vault.GetOrCreate(
      "Carol@Partner.test", Secret("k7m2-x9qp-3hfd-w8ra"), "sealmilter");
  REQUIRE(made.ok());
  CHECK(made->created);
  Result<PassphraseVault::Created> second =
      vault.GetOrCreate("carol@partner.test", Secret("other-one", 't'), "x");
  REQUIRE(second.ok());
  CHECK_FALSE(second->created);
  CHECK(second->secret.passphrase == "k7m2-x9qp-3hfd-w8ra");
  CHECK(second->secret.salt == std::string(kPassphraseSaltBytes, 's'));

  Result<RecipientSecret> got = vault.Get("carol@partner.test");
  REQUIRE(got.ok());
  CHECK(got->passphrase == "k7m2-x9qp-3hfd-w8ra");
  CHECK(got->generated);
  CHECK(got->iterations == kMinPassphraseIterations);
  CHECK(got->kek == std::string(kPassphraseKekBytes, 'k'));
  // The store holds no passphrase bytes.
  std::string sealed =
      store->GetRecipientPassphrase("carol@partner.test")->sealed;
  CHECK(sealed.find("k7m2") == std::string::npos);

  // Another master key: kFailedPrecondition, not garbage.
  MasterKey other = Key('\x22');
  PassphraseVault wrong(*store, other);
  CHECK(wrong.Get("carol@partner.test").status().code() ==
        StatusCode::kFailedPrecondition);

  // The blob copied onto another recipient's row does not open.
  RecipientPassphraseRecord moved = Record("mallory@evil.test", sealed);
  REQUIRE(store->PutRecipientPassphraseIfAbsent(moved).ok());
  CHECK(vault.Get("mallory@evil.test").status().code() ==
        StatusCode::kParseError);

  // Damaged: truncated, a flipped bit, garbage.
  for (std::string bad : {sealed.substr(0, sealed.size() - 1),
                          sealed.substr(0, 10), std::string("x")}) {
    RecipientPassphraseRecord r = Record("dan@x.org", bad);
    REQUIRE(store->SetRecipientPassphrase(r).ok());
    CHECK(vault.Get("dan@x.org").status().code() == StatusCode::kParseError);
  }
  std::string flipped = sealed;
  flipped[flipped.size() / 2] ^= 0x01;
  REQUIRE(store->SetRecipientPassphrase(Record("dan@x.org", flipped)).ok());
  CHECK(vault.Get("dan@x.org").status().code() == StatusCode::kParseError);

  // An administrator's secret, "trim" normalisation, UTF-8 kept.
  RecipientSecret admin = Secret("Grüße aus Zürich, 2026!");
  admin.generated = false;
  REQUIRE(vault.Set("erin@x.org", admin, "root").ok());
  got = vault.Get("erin@x.org");
  REQUIRE(got.ok());
  CHECK(got->passphrase == "Grüße aus Zürich, 2026!");
  CHECK_FALSE(got->generated);
  CHECK(store->GetRecipientPassphrase("erin@x.org")->origin == "admin");

  CHECK(vault.Get("nobody@x.org").status().code() == StatusCode::kNotFound);
}

TEST_CASE("passphrases: the vault refuses secrets out of range") {
  TestDb db;
  auto store = db.Open();
  MasterKey key = Key('\x33');
  PassphraseVault vault(*store, key);
  std::vector<std::pair<RecipientSecret, const char*>> cases;
  RecipientSecret s = Secret("");
  cases.push_back({s, "1 to"});
  s = Secret(std::string(kMaxPassphraseBytes + 1, 'a'));
  cases.push_back({s, "1 to"});
  s = Secret("line\nbreak");
  cases.push_back({s, "control"});
  s = Secret("ok-passphrase");
  s.salt = "short";
  cases.push_back({s, "salt"});
  s = Secret("ok-passphrase");
  s.kek.pop_back();
  cases.push_back({s, "KEK"});
  s = Secret("ok-passphrase");
  s.iterations = 1000;
  cases.push_back({s, "iterations"});
  s = Secret("ok-passphrase");
  s.iterations = 0xffffffffu;
  cases.push_back({s, "iterations"});
  for (const auto& [secret, text] : cases) {
    INFO(text);
    Status set = vault.Set("bob@x.org", secret, "root");
    CHECK(set.code() == StatusCode::kInvalidArgument);
    CHECK(Has(set, text));
    CHECK(vault.GetOrCreate("bob@x.org", secret, "m").status().code() ==
          StatusCode::kInvalidArgument);
  }
  CHECK(store->ListRecipientPassphrases()->empty());
  CHECK(vault.Set("not an address", Secret("ok-passphrase"), "root").code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("passphrases: 8 racing threads on two connections create one") {
  TestDb db;
  auto first = db.Open();
  auto second = db.Open();  // another milter host
  MasterKey key = Key('\x44');
  PassphraseVault v1(*first, key), v2(*second, key);
  std::atomic<int> created{0}, failed{0};
  std::mutex mu;
  std::vector<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      PassphraseVault& v = (t % 2 == 0) ? v1 : v2;
      auto r = v.GetOrCreate("race@example.net",
                             Secret("pass-" + std::to_string(t)), "m");
      if (!r.ok()) {
        ++failed;
        return;
      }
      if (r->created) ++created;
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(r->secret.passphrase);
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(failed == 0);
  CHECK(created == 1);
  REQUIRE(seen.size() == 8);
  for (const std::string& s : seen) CHECK(s == seen[0]);
  CHECK(v1.Get("race@example.net")->passphrase == seen[0]);
}

TEST_CASE("passphrases: a version-5 database migrates and keeps its data") {
  TestDb db;
  const char kInsert[] =
      "INSERT INTO portal_accounts (email, password_hash, locale, "
      "created_at) VALUES ('bob@example.org', '', '', 1)";
  if (db.postgres()) {
    Result<std::unique_ptr<PgConn>> conn =
        PgConn::Connect(db.Options().conninfo, "test", 5000);
    REQUIRE(conn.ok());
    REQUIRE(MigratePg(**conn, 5).ok());
    REQUIRE(*PgSchemaVersion(**conn) == 5);
    REQUIRE((*conn)->ExecScript(kInsert, "insert").ok());
  } else {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.sqlite_path().c_str(), &raw) == SQLITE_OK);
    REQUIRE(MigrateSqlite(raw, 5).ok());
    REQUIRE(*SqliteSchemaVersion(raw) == 5);
    int rc = sqlite3_exec(raw, kInsert, nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    REQUIRE(rc == SQLITE_OK);
  }
  auto store = db.Open();
  if (db.postgres()) {
    auto* pg = dynamic_cast<PgStore*>(store.get());
    REQUIRE(pg != nullptr);
    CHECK(*pg->SchemaVersion() == LatestPgSchemaVersion());
    CHECK(LatestPgSchemaVersion() >= 6);
  } else {
    auto* lite = dynamic_cast<SqliteStore*>(store.get());
    REQUIRE(lite != nullptr);
    CHECK(*lite->SchemaVersion() == LatestSqliteSchemaVersion());
    CHECK(LatestSqliteSchemaVersion() >= 6);
  }
  CHECK(store->GetPortalAccount("bob@example.org").ok());
  REQUIRE(
      store->PutRecipientPassphraseIfAbsent(Record("bob@example.net")).ok());
}

}  // namespace
}  // namespace seal::store
