// Schema versioning: a database frozen at version 1 (testdata/schema_v1.sql)
// with data in it opens, migrates to the latest version and keeps its data;
// migration 1 still produces exactly the frozen schema; a newer or foreign
// database is refused.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/store/key_vault.h"
#include "lib/store/master_key.h"
#include "lib/store/sqlite_schema.h"
#include "lib/store/sqlite_store.h"
#include "lib/store/x509_parse.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::CertSpec;
using testing::kNow;
using testing::MakeCert;
using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  sqlite3* get() { return db_; }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  // Runs `sql` with text/blob parameters ?1..?n (blobs marked by a 'b:'
  // prefix in `kinds`).
  void Insert(const std::string& sql, const std::vector<std::string>& values,
              const std::string& kinds) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) ==
            SQLITE_OK);
    for (size_t i = 0; i < values.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const std::string& v = values[i];
      switch (kinds[i]) {
        case 'b':
          sqlite3_bind_blob(stmt, idx, v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT);
          break;
        case 'i':
          sqlite3_bind_int64(stmt, idx, std::stoll(v));
          break;
        default:
          sqlite3_bind_text(stmt, idx, v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT);
      }
    }
    REQUIRE(sqlite3_step(stmt) == SQLITE_DONE);
    sqlite3_finalize(stmt);
  }
  std::vector<std::string> Schema() {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(
                db_,
                "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM "
                "sqlite_master ORDER BY type, name",
                -1, &stmt, nullptr) == SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      out.emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string Fixture() {
  return ReadFile(std::string(SEAL_STORE_TESTDATA) + "/schema_v1.sql");
}

TEST_CASE("a version-1 database with data migrates to the latest version") {
  TempDir dir;
  std::string path = dir.File("v1.db");
  CertSpec spec;
  spec.san_emails = {"old@example.com"};
  testing::TestCert cert = MakeCert(spec);
  Result<CertificateRecord> meta = ParseCertificate(cert.der);
  REQUIRE(meta.ok());
  MasterKey master = testing::TestMasterKey('v');
  // A sealed key made the way version 1 made it.
  std::string sealed;
  {
    TempDir scratch;
    auto tmp = testing::OpenFresh(scratch.File("tmp.db"));
    KeyVault vault(*tmp, master);
    Result<CertificateRecord> r = vault.PutCertificateWithKey(
        cert.der, cert.key.get(), CertSource::kIssued);
    REQUIRE(r.ok());
    sealed = tmp->GetPrivateKey(r->sha256)->blob;
  }
  {
    RawDb db(path);
    db.Exec(Fixture());
    db.Insert(
        "INSERT INTO certificates (id, sha256, der, subject, issuer, "
        "issuer_der, serial, ski, not_before, not_after, key_algorithm, "
        "is_ca, usage_flags, source, added_at) VALUES (7, ?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8, ?9, ?10, 0, ?11, 'issued', ?12)",
        {meta->sha256, cert.der, meta->subject, meta->issuer, meta->issuer_der,
         meta->serial, meta->ski, std::to_string(meta->not_before),
         std::to_string(meta->not_after), meta->key_algorithm,
         std::to_string(meta->usage), std::to_string(kNow)},
        "tbttbttiiti"
        "i");
    db.Exec("INSERT INTO certificate_emails VALUES ('old@example.com', 7)");
    db.Insert("INSERT INTO private_keys VALUES (7, ?1, ?2, ?3)",
              {master.id(), sealed, std::to_string(kNow)}, "tbi");
  }

  Result<std::unique_ptr<SqliteStore>> opened =
      SqliteStore::Open(testing::OptionsFor(path));
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  SqliteStore& store = **opened;
  CHECK(*store.SchemaVersion() == LatestSqliteSchemaVersion());
  CHECK(LatestSqliteSchemaVersion() >= 2);

  Result<CertificateRecord> best =
      store.BestCertificateFor("old@example.com", kNow);
  REQUIRE(best.ok());
  CHECK(best->sha256 == meta->sha256);
  CHECK(best->source == CertSource::kIssued);
  CHECK(best->has_private_key);
  KeyVault vault(store, master);
  Result<EvpPkeyPtr> key = vault.GetPrivateKey(meta->sha256);
  REQUIRE(key.ok());
  CHECK(EVP_PKEY_eq(key->get(), cert.key.get()) == 1);

  // Version-2 tables work.
  CapabilitiesRecord caps;
  caps.address = "old@example.com";
  caps.blob = "x";
  REQUIRE(store.PutCapabilities(caps).ok());
  REQUIRE(store.RecordEvent("migrated", "", "").ok());

  // Opening again is a no-op.
  opened->reset();
  Result<std::unique_ptr<SqliteStore>> again =
      SqliteStore::Open(testing::OptionsFor(path));
  REQUIRE(again.ok());
  CHECK((*again)->CapabilitiesFor("old@example.com").ok());
}

TEST_CASE("migration 1 still produces the frozen version-1 schema") {
  TempDir dir;
  RawDb frozen(dir.File("frozen.db"));
  frozen.Exec(Fixture());
  RawDb migrated(dir.File("migrated.db"));
  Status s = MigrateSqlite(migrated.get(), 1);
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(*SqliteSchemaVersion(migrated.get()) == 1);
  CHECK(migrated.Schema() == frozen.Schema());
}

TEST_CASE("every migration step applies in order from an empty database") {
  for (const Migration& m : SqliteMigrations()) {
    TempDir dir;
    RawDb db(dir.File("step.db"));
    INFO("to version " << m.version << ": " << m.description);
    REQUIRE(MigrateSqlite(db.get(), m.version).ok());
    CHECK(*SqliteSchemaVersion(db.get()) == m.version);
    REQUIRE(MigrateSqlite(db.get()).ok());
    CHECK(*SqliteSchemaVersion(db.get()) == LatestSqliteSchemaVersion());
  }
}

TEST_CASE("a newer or foreign database is refused with a clear message") {
  TempDir dir;
  std::string newer = dir.File("newer.db");
  testing::OpenFresh(newer).reset();
  {
    RawDb db(newer);
    db.Exec("UPDATE schema_version SET version = 99");
  }
  Result<std::unique_ptr<SqliteStore>> s1 =
      SqliteStore::Open(testing::OptionsFor(newer));
  REQUIRE_FALSE(s1.ok());
  CHECK(s1.status().code() == StatusCode::kFailedPrecondition);
  CHECK(s1.status().message().find("99") != std::string::npos);
  CHECK(s1.status().message().find(newer) != std::string::npos);

  std::string foreign = dir.File("foreign.db");
  {
    RawDb db(foreign);
    db.Exec("CREATE TABLE mail (id INTEGER PRIMARY KEY, body TEXT)");
  }
  Result<std::unique_ptr<SqliteStore>> s2 =
      SqliteStore::Open(testing::OptionsFor(foreign));
  REQUIRE_FALSE(s2.ok());
  CHECK(s2.status().code() == StatusCode::kFailedPrecondition);
  CHECK(s2.status().message().find("not a sealmilter store") !=
        std::string::npos);

  std::string other_app = dir.File("other_app.db");
  {
    RawDb db(other_app);
    db.Exec("PRAGMA application_id = 42");
  }
  Result<std::unique_ptr<SqliteStore>> s3 =
      SqliteStore::Open(testing::OptionsFor(other_app));
  REQUIRE_FALSE(s3.ok());
  CHECK(s3.status().code() == StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace seal::store
