// The Store contract on the PostgreSQL backend, plus what only a server can
// do: a stopped server (kUnavailable, then recovery after a restart), two
// stores as two hosts seeing each other's writes, concurrent migrations
// from several processes, and conninfo checks.
//
// run_pg_tests.py starts a private server on 127.0.0.1 and sets
// SEAL_PG_CONNINFO (and SEAL_PG_STOP / SEAL_PG_START, shell commands that
// stop and start it). Each test case gets a schema of its own through
// search_path, so cases never see each other's rows.
#include <libpq-fe.h>
#include <openssl/rand.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "lib/store/hex.h"
#include "lib/store/open_store.h"
#include "lib/store/pg_schema.h"
#include "lib/store/pg_store.h"
#include "lib/store/x509_parse.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::CertSpec;
using testing::kDay;
using testing::kNow;
using testing::MakeCert;
using testing::TestCert;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// Runs constant SQL on a connection of its own; REQUIREs success.
void AdminExec(const std::string& sql) {
  PGconn* conn = PQconnectdb(Env("SEAL_PG_CONNINFO").c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  PQclear(PQexec(conn, "SET client_min_messages = warning"));
  PGresult* res = PQexec(conn, sql.c_str());
  INFO(PQerrorMessage(conn));
  CHECK((PQresultStatus(res) == PGRES_COMMAND_OK ||
         PQresultStatus(res) == PGRES_TUPLES_OK));
  PQclear(res);
  PQfinish(conn);
}

// A fresh, empty schema and the conninfo that uses it.
class Schema {
 public:
  Schema() {
    REQUIRE_FALSE(Env("SEAL_PG_CONNINFO").empty());
    unsigned char raw[6];
    REQUIRE(RAND_bytes(raw, sizeof raw) == 1);
    name_ = "t_" + HexLower(std::string_view(reinterpret_cast<const char*>(raw),
                                             sizeof raw));
    AdminExec("CREATE SCHEMA " + name_);
  }
  ~Schema() { AdminExec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE"); }
  const std::string& name() const { return name_; }
  std::string conninfo() const {
    return Env("SEAL_PG_CONNINFO") + " options='-csearch_path=" + name_ + "'";
  }
  StoreOptions Options(const Clock* clock = nullptr) const {
    StoreOptions o;
    o.backend = "postgresql";
    o.conninfo = conninfo();
    o.busy_timeout_ms = 3000;
    o.clock = clock;
    return o;
  }
  std::unique_ptr<Store> Open(const Clock* clock = nullptr) const {
    Result<std::unique_ptr<Store>> s = OpenStore(Options(clock));
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    return std::move(*s);
  }

 private:
  std::string name_;
};

CertificateRecord MustPut(Store& store, const std::string& der,
                          CertSource source, const std::string& domain = "") {
  Result<CertificateRecord> rec = store.PutCertificate(der, source, domain);
  INFO(rec.status().ToString());
  REQUIRE(rec.ok());
  return *rec;
}

QuarantineRecord Info() {
  QuarantineRecord info;
  info.queue_id = "4Xyz1Q2";
  info.sender = "alice@example.com";
  info.recipients = {"bob@example.org", "carol@example.org"};
  info.reason = "content policy (dlp-iban)";
  return info;
}

TEST_CASE("pg: a certificate round-trips with its metadata") {
  Schema schema;
  FakeClock clock(kNow);
  auto store = schema.Open(&clock);
  CHECK(store->backend() == "postgresql");
  CertSpec spec;
  spec.san_emails = {"Dave@Example.com", "dave@example.org"};
  TestCert cert = MakeCert(spec);
  Result<CertificateRecord> parsed = ParseCertificate(cert.der);
  REQUIRE(parsed.ok());
  CertificateRecord put = MustPut(*store, cert.der, CertSource::kHarvested, "");
  Result<CertificateRecord> got = store->GetCertificate(parsed->sha256);
  REQUIRE(got.ok());
  for (const CertificateRecord* rec : {&put, &*got}) {
    CHECK(rec->der == cert.der);
    CHECK(rec->issuer_der == parsed->issuer_der);
    CHECK(rec->serial == parsed->serial);
    CHECK(rec->ski == parsed->ski);
    CHECK(rec->emails ==
          std::vector<std::string>{"dave@example.com", "dave@example.org"});
    CHECK(rec->not_before == parsed->not_before);
    CHECK(rec->usage == parsed->usage);
    CHECK(rec->source == CertSource::kHarvested);
    CHECK_FALSE(rec->revoked);
    CHECK_FALSE(rec->has_private_key);
    CHECK(rec->added_at == kNow);
  }
  clock.Advance(kDay);
  CertificateRecord again = MustPut(*store, cert.der, CertSource::kImported);
  CHECK(again.source == CertSource::kHarvested);
  CHECK(again.added_at == kNow);
  CHECK(store->ListCertificates()->size() == 1);
  CHECK(store->GetCertificate(std::string(64, '0')).status().code() ==
        StatusCode::kNotFound);

  auto by_serial = store->FindByIssuerSerial(parsed->issuer_der, put.serial);
  REQUIRE(by_serial.ok());
  CHECK(by_serial->size() == 1);
  auto by_ski = store->FindBySki(put.ski);
  REQUIRE(by_ski.ok());
  CHECK(by_ski->size() == 1);
}

TEST_CASE("pg: best certificate, revocation, domains, removal rules") {
  Schema schema;
  auto store = schema.Open();
  const std::string carol = "carol@example.com";
  CertSpec older;
  older.san_emails = {carol};
  older.not_before = kNow - 300 * kDay;
  CertSpec newer = older;
  newer.not_before = kNow - 100 * kDay;
  CertSpec future = older;
  future.not_before = kNow + 10 * kDay;
  CertificateRecord o =
      MustPut(*store, MakeCert(older).der, CertSource::kHarvested);
  CertificateRecord n =
      MustPut(*store, MakeCert(newer).der, CertSource::kImported);
  MustPut(*store, MakeCert(future).der, CertSource::kImported);
  CHECK(store->BestCertificateFor(carol, kNow)->sha256 == n.sha256);
  CHECK(store
            ->BestCertificateFor(carol, kNow, kUsageEncrypt,
                                 CertSource::kHarvested)
            ->sha256 == o.sha256);
  REQUIRE(store->SetRevoked(n.sha256, true).ok());
  CHECK(store->BestCertificateFor(carol, kNow)->sha256 == o.sha256);
  CHECK(store->SetRevoked(std::string(64, 'a'), true).code() ==
        StatusCode::kNotFound);
  CHECK(store->BestCertificateFor("nobody@example.com", kNow).status().code() ==
        StatusCode::kNotFound);

  CertSpec gw;
  gw.subject_cn = "gateway";
  CertificateRecord d =
      MustPut(*store, MakeCert(gw).der, CertSource::kDomain, "Example.NET");
  CHECK(store->DomainCertificate("example.net", kNow)->sha256 == d.sha256);
  CHECK(store->GetCertificate(d.sha256)->domains ==
        std::vector<std::string>{"example.net"});

  EncryptedKey key;
  key.master_key_id = "0123456789abcdef";
  key.blob = std::string("\x01sealed\0bytes\xff", 14);
  REQUIRE(store->PutPrivateKey(o.sha256, key).ok());
  CHECK(store->PutPrivateKey(o.sha256, key).code() ==
        StatusCode::kFailedPrecondition);
  CHECK(store->GetPrivateKey(o.sha256)->blob == key.blob);
  CHECK(store->ListCertificates({std::nullopt, "", true})->size() == 1);
  CHECK(store->RemoveCertificate(o.sha256).code() ==
        StatusCode::kFailedPrecondition);
  REQUIRE(store->RemoveCertificate(o.sha256, KeyRemoval::kDeleteKey).ok());
  CHECK(store->GetPrivateKey(o.sha256).status().code() ==
        StatusCode::kNotFound);
  REQUIRE(store->RemoveCertificate(n.sha256).ok());
  CHECK(store->RemoveCertificate(n.sha256).code() == StatusCode::kNotFound);
}

TEST_CASE("pg: CRLs, SMIMECapabilities, events") {
  Schema schema;
  FakeClock clock(kNow);
  auto store = schema.Open(&clock);
  CertSpec ca_spec;
  ca_spec.ca = true;
  ca_spec.key_usage = "critical,keyCertSign,cRLSign";
  TestCert ca = MakeCert(ca_spec);
  std::string old_crl =
      testing::MakeCrl(ca.x509.get(), ca.key.get(), kNow - kDay, kNow + kDay);
  std::string new_crl =
      testing::MakeCrl(ca.x509.get(), ca.key.get(), kNow, kNow + 2 * kDay);
  REQUIRE(store->PutCrl(new_crl).ok());
  Result<CrlRecord> kept = store->PutCrl(old_crl);
  REQUIRE(kept.ok());
  CHECK(kept->der == new_crl);
  CHECK(store->ListCrls()->size() == 1);
  std::string issuer = kept->issuer_der;
  CHECK(store->GetCrl(issuer)->der == new_crl);
  REQUIRE(store->RemoveCrl(issuer).ok());
  CHECK(store->RemoveCrl(issuer).code() == StatusCode::kNotFound);

  CapabilitiesRecord caps;
  caps.address = "Eve@Example.com";
  caps.blob = std::string("\x30\x00", 2);
  caps.flags = 5;
  caps.seen_at = kNow;
  REQUIRE(store->PutCapabilities(caps).ok());
  caps.seen_at = kNow - kDay;
  caps.flags = 9;
  REQUIRE(store->PutCapabilities(caps).ok());  // older: ignored
  CHECK(store->CapabilitiesFor("eve@example.com")->flags == 5);

  for (int i = 0; i < 3; ++i) {
    REQUIRE(store->RecordEvent("issued", "e" + std::to_string(i), "d").ok());
  }
  auto events = store->RecentEvents(2);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].subject == "e2");
  CHECK((*events)[0].id > (*events)[1].id);
}

TEST_CASE("pg: quarantine round trip and state machine") {
  Schema schema;
  FakeClock clock(kNow);
  auto store = schema.Open(&clock);
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  Result<QuarantineRecord> put = store->PutQuarantine(big, Info());
  REQUIRE(put.ok());
  Result<QuarantineRecord> full = store->GetQuarantine(put->id, true);
  REQUIRE(full.ok());
  CHECK(full->message == big);
  CHECK(full->recipients == Info().recipients);
  clock.Advance(10);
  REQUIRE(store->PutQuarantine("second", Info()).ok());
  auto list = store->ListQuarantine();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[1].id == put->id);
  REQUIRE(store->MarkReleased(put->id, "admin").ok());
  CHECK(store->MarkReleased(put->id, "admin").code() ==
        StatusCode::kFailedPrecondition);
  REQUIRE(store->DeleteQuarantine(put->id, "admin").ok());
  CHECK(store->GetQuarantine(put->id, true)->message.empty());
  CHECK(store->GetQuarantine("0123456789abcdef").status().code() ==
        StatusCode::kNotFound);
  CHECK(store->GetQuarantine("'; DROP TABLE x").status().code() ==
        StatusCode::kInvalidArgument);
  QuarantineFilter held;
  held.state = QuarantineState::kHeld;
  CHECK(store->ListQuarantine(held)->size() == 1);
}

TEST_CASE("pg: envelope records, revocation, receipt claimed once") {
  Schema schema;
  FakeClock clock(kNow);
  auto host_a = schema.Open(&clock);
  auto host_b = schema.Open(&clock);
  const std::string id = "0123456789abcdef0123456789abcdef";
  EnvelopeRecord rec;
  rec.id = "0123456789ABCDEF0123456789ABCDEF";
  rec.sender = "Alice@Example.com";
  rec.recipients = {"bob@example.org", "carol@example.org"};
  rec.portal_key_id = "k1-00";
  rec.read_receipt = true;
  rec.expires_at = kNow + 100;
  REQUIRE(host_a->PutEnvelope(rec).ok());
  CHECK(host_b->PutEnvelope(rec).status().code() ==
        StatusCode::kFailedPrecondition);
  Result<EnvelopeRecord> got = host_b->GetEnvelope(id);
  REQUIRE(got.ok());
  CHECK(got->sender == "alice@example.com");
  CHECK(got->recipients == rec.recipients);
  CHECK(got->read_receipt);
  CHECK(host_a->GetEnvelope("'; DROP TABLE envelopes").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(host_a->GetEnvelope(std::string(32, 'f')).status().code() ==
        StatusCode::kNotFound);
  EnvelopeFilter f;
  f.recipient = "carol@example.org";
  CHECK(host_a->ListEnvelopes(f)->size() == 1);
  f.recipient = "arol@example.org";
  CHECK(host_a->ListEnvelopes(f)->empty());
  // Two hosts, several threads each: one read receipt.
  std::atomic<int> wins{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Store& s = (i % 2 == 0) ? *host_a : *host_b;
      for (int n = 0; n < 5; ++n) {
        Result<bool> r = s.ClaimReadReceipt(id);
        if (!r.ok()) {
          ++errors;
        } else if (*r) {
          ++wins;
        }
        if (!s.NoteEnvelopeOpened(id).ok()) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(wins == 1);
  CHECK(host_a->GetEnvelope(id)->open_count == 40);
  CHECK(host_a->GetEnvelope(id)->first_opened_at == kNow);
  REQUIRE(host_a->SetEnvelopeExpiry(id, -1).ok());
  f = {};
  f.state = EnvelopeState::kExpired;
  CHECK(host_b->ListEnvelopes(f)->size() == 1);
  REQUIRE(host_b->RevokeEnvelope(id, "b", "oops").ok());
  CHECK(host_a->RevokeEnvelope(id, "a", "").code() ==
        StatusCode::kFailedPrecondition);
  CHECK(host_a->GetEnvelope(id)->revoked_by == "b");
  PortalAuditRecord audit;
  audit.envelope_id = id;
  audit.action = "denied_revoked";
  audit.email = "bob@example.org";
  REQUIRE(host_a->RecordPortalAudit(audit).ok());
  audit.envelope_id = "";
  audit.action = "login_failed";
  REQUIRE(host_b->RecordPortalAudit(audit).ok());
  CHECK(host_b->ListPortalAudit(id, 0)->size() == 1);
  Result<std::vector<PortalAuditRecord>> all = host_a->ListPortalAudit("", 0);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].action == "login_failed");
}

TEST_CASE("pg: hostile input stays data") {
  Schema schema;
  auto store = schema.Open();
  CHECK(
      store->PutCertificate("not DER", CertSource::kImported).status().code() ==
      StatusCode::kParseError);
  const std::string evil = "x');DROP/**/TABLE/**/certificates;--@example.com";
  Result<std::vector<CertificateRecord>> none = store->CertificatesFor(evil);
  INFO(none.status().ToString());
  REQUIRE(none.ok());
  CHECK(none->empty());
  REQUIRE(
      store->RecordEvent("kind", "subject", "'; DROP TABLE events; --").ok());
  CHECK(store->RecentEvents(1)->front().detail == "'; DROP TABLE events; --");
  // Bytes that are not UTF-8 in a text column: a clear error, no crash.
  Status bad = store->RecordEvent("kind", "subj", "\xff\xfe");
  CHECK_FALSE(bad.ok());
  CHECK(bad.code() == StatusCode::kInvalidArgument);
  // The store still works after a failed statement.
  CHECK(store->RecentEvents(5)->size() == 1);
}

TEST_CASE("pg: conninfo checks and an unreachable server") {
  StoreOptions o;
  o.backend = "postgresql";
  o.conninfo = "host=127.0.0.1 password=secret dbname=x";
  Result<std::unique_ptr<Store>> s = OpenStore(o);
  CHECK(s.status().code() == StatusCode::kInvalidArgument);
  CHECK(s.status().message().find("secret") == std::string::npos);
  o.conninfo = "host=127.0.0.1 nonsense_key=1";
  CHECK(OpenStore(o).status().code() == StatusCode::kInvalidArgument);
  o.conninfo = "";
  CHECK(OpenStore(o).status().code() == StatusCode::kInvalidArgument);
  o.conninfo = "host=127.0.0.1 port=1 dbname=x user=y connect_timeout=2";
  s = OpenStore(o);
  CHECK(s.status().code() == StatusCode::kUnavailable);
  CHECK(s.status().message().find("port=1") != std::string::npos);
  o.backend = "mysql";
  CHECK(OpenStore(o).status().code() == StatusCode::kInvalidArgument);
  // A schema that is not on search_path: no place for the tables.
  Schema schema;
  o = schema.Options();
  o.conninfo = Env("SEAL_PG_CONNINFO") + " options='-csearch_path=nowhere'";
  CHECK(OpenStore(o).status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("pg: two hosts share one database") {
  Schema schema;
  auto host_a = schema.Open();
  auto host_b = schema.Open();
  CertSpec spec;
  spec.san_emails = {"frank@example.com"};
  TestCert cert = MakeCert(spec);
  CertificateRecord a = MustPut(*host_a, cert.der, CertSource::kHarvested);
  CHECK(host_b->GetCertificate(a.sha256).ok());
  // Both put the same certificate from many threads: one row.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  TestCert other = MakeCert(spec);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      Store& s = (i % 2 == 0) ? *host_a : *host_b;
      if (!s.PutCertificate(other.der, CertSource::kHarvested).ok()) ++failures;
      if (!s.RecordEvent("t", std::to_string(i), "").ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(host_a->CertificatesFor("frank@example.com")->size() == 2);
  CHECK(host_b->RecentEvents(100)->size() == 6);
  // A release on one host is seen by the other, and is not done twice.
  Result<QuarantineRecord> q = host_a->PutQuarantine("msg", Info());
  REQUIRE(q.ok());
  REQUIRE(host_b->MarkReleased(q->id, "b").ok());
  CHECK(host_a->MarkReleased(q->id, "a").code() ==
        StatusCode::kFailedPrecondition);
  CHECK(host_a->GetQuarantine(q->id)->handled_by == "b");
}

TEST_CASE("pg: concurrent migrations from several processes") {
  Schema schema;
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      Result<std::unique_ptr<Store>> s = OpenStore(schema.Options());
      bool ok = s.ok() && (*s)->RecordEvent("start", "p", "").ok();
      _exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  Result<std::unique_ptr<PgStore>> s = PgStore::Open(schema.Options());
  REQUIRE(s.ok());
  CHECK((*s)->SchemaVersion().value() == LatestPgSchemaVersion());
  CHECK((*s)->RecentEvents(10)->size() == 4);
  // One record per migration, not one per process.
  PGconn* conn = PQconnectdb(schema.conninfo().c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  PGresult* res = PQexec(conn,
                         "SELECT count(*), count(DISTINCT version) FROM "
                         "sealmilter_migrations");
  REQUIRE(PQresultStatus(res) == PGRES_TUPLES_OK);
  CHECK(std::string(PQgetvalue(res, 0, 0)) ==
        std::to_string(PgMigrations().size()));
  CHECK(std::string(PQgetvalue(res, 0, 1)) ==
        std::to_string(PgMigrations().size()));
  PQclear(res);
  PQfinish(conn);
}

TEST_CASE("pg: a newer schema or a foreign schema is refused") {
  Schema schema;
  schema.Open().reset();
  AdminExec("INSERT INTO " + schema.name() +
            ".sealmilter_migrations VALUES (999, 'future', 0)");
  Result<std::unique_ptr<Store>> s = OpenStore(schema.Options());
  CHECK(s.status().code() == StatusCode::kFailedPrecondition);
  CHECK(s.status().message().find("newer") != std::string::npos);
  Schema foreign;
  AdminExec("CREATE TABLE " + foreign.name() + ".users (id int)");
  s = OpenStore(foreign.Options());
  CHECK(s.status().code() == StatusCode::kFailedPrecondition);
}

// Last in file order on purpose, but safe in any order: it restarts the
// server and waits until it accepts connections again.
TEST_CASE("pg: server stopped mid-way is kUnavailable, then recovers") {
  const std::string stop = Env("SEAL_PG_STOP");
  const std::string start = Env("SEAL_PG_START");
  if (stop.empty() || start.empty()) {
    WARN("SEAL_PG_STOP/SEAL_PG_START not set; restart test skipped");
    return;
  }
  Schema schema;
  auto store = schema.Open();
  REQUIRE(store->RecordEvent("before", "s", "").ok());
  REQUIRE(std::system(stop.c_str()) == 0);
  Status down = store->RecordEvent("during", "s", "");
  CHECK(down.code() == StatusCode::kUnavailable);
  CHECK(down.message().find("PostgreSQL") != std::string::npos);
  CHECK(store->RecentEvents(5).status().code() == StatusCode::kUnavailable);
  REQUIRE(std::system(start.c_str()) == 0);
  // The pooled connections died with the server; the store reconnects.
  Result<std::vector<EventRecord>> events = store->RecentEvents(5);
  INFO(events.status().ToString());
  REQUIRE(events.ok());
  CHECK(events->size() == 1);
  CHECK(store->RecordEvent("after", "s", "").ok());
  CHECK(store->RecentEvents(5)->size() == 2);
  // A restart between two calls: the idle pooled connection is dead, and
  // the call goes through on a new one without an error.
  REQUIRE(std::system(stop.c_str()) == 0);
  REQUIRE(std::system(start.c_str()) == 0);
  Status again = store->RecordEvent("restarted", "s", "");
  INFO(again.ToString());
  CHECK(again.ok());
}

}  // namespace
}  // namespace seal::store
