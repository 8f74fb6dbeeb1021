// The Store contract: round trips of every entity, best-certificate
// selection, domain certificates, issuer+serial and SKI lookups, removal
// rules, CRLs, capabilities, events and hostile input. Backend-independent
// cases use testing::TestDb and also run on PostgreSQL under run_pg_tests.py;
// cases tagged [sqlite] (the key vault's raw-row tampering, file modes) are
// SQLite-only and excluded there.
#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "lib/store/key_vault.h"
#include "lib/store/master_key.h"
#include "lib/store/open_store.h"
#include "lib/store/sqlite_schema.h"
#include "lib/store/sqlite_store.h"
#include "lib/store/x509_parse.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::CertSpec;
using testing::kDay;
using testing::kNow;
using testing::MakeCert;
using testing::OpenFresh;
using testing::TempDir;
using testing::TestCert;
using testing::TestDb;

CertificateRecord MustPut(Store& store, const std::string& der,
                          CertSource source, const std::string& domain = "") {
  Result<CertificateRecord> rec = store.PutCertificate(der, source, domain);
  INFO(rec.status().ToString());
  REQUIRE(rec.ok());
  return *rec;
}

int64_t RowCount(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
          SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string sql = "SELECT count(*) FROM " + table;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  int64_t n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

TEST_CASE("a certificate round-trips with all its metadata") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  CertSpec spec;
  spec.san_emails = {"Dave@Example.com", "dave@example.org"};
  TestCert cert = MakeCert(spec);
  Result<CertificateRecord> parsed = ParseCertificate(cert.der);
  REQUIRE(parsed.ok());

  CertificateRecord put = MustPut(*store, cert.der, CertSource::kHarvested);
  Result<CertificateRecord> got = store->GetCertificate(parsed->sha256);
  REQUIRE(got.ok());
  for (const CertificateRecord* rec : {&put, &*got}) {
    CHECK(rec->der == cert.der);
    CHECK(rec->sha256 == parsed->sha256);
    CHECK(rec->subject == parsed->subject);
    CHECK(rec->issuer == parsed->issuer);
    CHECK(rec->issuer_der == parsed->issuer_der);
    CHECK(rec->serial == parsed->serial);
    CHECK(rec->ski == parsed->ski);
    CHECK(rec->emails ==
          std::vector<std::string>{"dave@example.com", "dave@example.org"});
    CHECK(rec->not_before == parsed->not_before);
    CHECK(rec->not_after == parsed->not_after);
    CHECK(rec->key_algorithm == "ec:prime256v1");
    CHECK(rec->is_ca == false);
    CHECK(rec->usage == parsed->usage);
    CHECK(rec->source == CertSource::kHarvested);
    CHECK(rec->domains.empty());
    CHECK_FALSE(rec->revoked);
    CHECK_FALSE(rec->has_private_key);
    CHECK(rec->added_at == kNow);
  }
  // Upper case with colons names the same certificate.
  std::string colons;
  for (size_t i = 0; i < 64; i += 2) {
    if (i) colons += ':';
    colons += parsed->sha256.substr(i, 2);
  }
  for (char& c : colons) c = static_cast<char>(toupper(c));
  CHECK(store->GetCertificate(colons).ok());

  // Putting it again changes nothing, even with another source.
  clock.Advance(kDay);
  CertificateRecord again = MustPut(*store, cert.der, CertSource::kImported);
  CHECK(again.source == CertSource::kHarvested);
  CHECK(again.added_at == kNow);
  if (!db.postgres()) CHECK(RowCount(db.sqlite_path(), "certificates") == 1);

  CHECK(store->GetCertificate(std::string(64, '0')).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->GetCertificate("nothex").status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("best certificate: newest valid, not revoked, right usage") {
  TestDb db;
  auto store = db.Open();
  const std::string carol = "carol@example.com";
  struct Def {
    const char* label;
    int64_t nb_days;
    int64_t na_days;
    const char* ku;
    bool ca;
    CertSource source;
  };
  const char* kBoth = "critical,digitalSignature,keyEncipherment";
  const std::vector<Def> defs = {
      {"expired", -400, -35, kBoth, false, CertSource::kHarvested},
      {"older", -300, 65, kBoth, false, CertSource::kHarvested},
      {"newer", -100, 265, kBoth, false, CertSource::kImported},
      {"revoked", -50, 315, kBoth, false, CertSource::kImported},
      {"future", 10, 375, kBoth, false, CertSource::kImported},
      {"sign-only", -20, 345, "critical,digitalSignature", false,
       CertSource::kHarvested},
      {"ca", -10, 355, "critical,keyCertSign,keyEncipherment,digitalSignature",
       true, CertSource::kImported},
  };
  std::map<std::string, std::string> fp_of;  // label -> sha256
  std::map<std::string, std::string> label_of;
  for (const Def& d : defs) {
    CertSpec spec;
    spec.san_emails = {carol};
    spec.not_before = kNow + d.nb_days * kDay;
    spec.not_after = kNow + d.na_days * kDay;
    spec.key_usage = d.ku;
    spec.ca = d.ca;
    CertificateRecord rec = MustPut(*store, MakeCert(spec).der, d.source);
    fp_of[d.label] = rec.sha256;
    label_of[rec.sha256] = d.label;
  }
  REQUIRE(store->SetRevoked(fp_of["revoked"], true).ok());

  struct Case {
    int64_t at_days;
    CertUsage usage;
    std::optional<CertSource> source;
    const char* expect;  // nullptr: kNotFound
  };
  const std::vector<Case> cases = {
      {0, kUsageEncrypt, std::nullopt, "newer"},
      {0, kUsageSign, std::nullopt, "sign-only"},
      {0, kUsageEncrypt, CertSource::kHarvested, "older"},
      {0, kUsageEncrypt, CertSource::kIssued, nullptr},
      {20, kUsageEncrypt, std::nullopt, "future"},
      {-200, kUsageEncrypt, std::nullopt, "older"},
      {-350, kUsageEncrypt, std::nullopt, "expired"},
      {100, kUsageEncrypt, std::nullopt, "future"},
      {300, kUsageEncrypt, std::nullopt, "future"},
      {270, kUsageEncrypt, CertSource::kHarvested, nullptr},
      {400, kUsageEncrypt, std::nullopt, nullptr},
      {-500, kUsageEncrypt, std::nullopt, nullptr},
  };
  for (const Case& c : cases) {
    INFO("day " << c.at_days << " usage " << c.usage);
    Result<CertificateRecord> best = store->BestCertificateFor(
        "Carol@Example.COM", kNow + c.at_days * kDay, c.usage, c.source);
    if (c.expect == nullptr) {
      REQUIRE_FALSE(best.ok());
      CHECK(best.status().code() == StatusCode::kNotFound);
    } else {
      INFO(best.status().ToString());
      REQUIRE(best.ok());
      CHECK(label_of[best->sha256] == c.expect);
    }
  }
  // Un-revoking makes the revoked one (newer notBefore) the best again.
  REQUIRE(store->SetRevoked(fp_of["revoked"], false).ok());
  CHECK(label_of[store->BestCertificateFor(carol, kNow)->sha256] == "revoked");

  // All of them, newest notBefore first.
  Result<std::vector<CertificateRecord>> all = store->CertificatesFor(carol);
  REQUIRE(all.ok());
  REQUIRE(all->size() == defs.size());
  CHECK(label_of[all->front().sha256] == "future");
  CHECK(label_of[all->back().sha256] == "expired");
  CHECK(store->CertificatesFor("nobody@example.com")->empty());
}

TEST_CASE("best certificate ties: later notAfter, then the last added") {
  TestDb db;
  auto store = db.Open();
  CertSpec spec;
  spec.san_emails = {"tie@example.com"};
  spec.not_before = kNow - kDay;
  spec.not_after = kNow + 10 * kDay;
  CertificateRecord a =
      MustPut(*store, MakeCert(spec).der, CertSource::kImported);
  spec.not_after = kNow + 11 * kDay;
  CertificateRecord b =
      MustPut(*store, MakeCert(spec).der, CertSource::kImported);
  CertificateRecord c =
      MustPut(*store, MakeCert(spec).der, CertSource::kImported);
  CHECK(store->BestCertificateFor("tie@example.com", kNow)->sha256 == c.sha256);
  REQUIRE(store->SetRevoked(c.sha256, true).ok());
  CHECK(store->BestCertificateFor("tie@example.com", kNow)->sha256 == b.sha256);
  REQUIRE(store->SetRevoked(b.sha256, true).ok());
  CHECK(store->BestCertificateFor("tie@example.com", kNow)->sha256 == a.sha256);
}

TEST_CASE("domain certificates") {
  TestDb db;
  auto store = db.Open();
  CertSpec spec;
  spec.subject_cn = "gateway.partner.example";
  spec.not_before = kNow - 400 * kDay;
  spec.not_after = kNow - kDay;
  CertificateRecord expired = MustPut(*store, MakeCert(spec).der,
                                      CertSource::kDomain, "Partner.Example.");
  CHECK(expired.domains == std::vector<std::string>{"partner.example"});
  spec.not_before = kNow - 10 * kDay;
  spec.not_after = kNow + 300 * kDay;
  TestCert current = MakeCert(spec);
  CertificateRecord cur =
      MustPut(*store, current.der, CertSource::kDomain, "partner.example");

  Result<CertificateRecord> got =
      store->DomainCertificate("PARTNER.example", kNow);
  REQUIRE(got.ok());
  CHECK(got->sha256 == cur.sha256);
  CHECK(got->source == CertSource::kDomain);
  CHECK(
      store->DomainCertificate("partner.example", kNow - 100 * kDay)->sha256 ==
      expired.sha256);
  CHECK(store->DomainCertificate("other.example", kNow).status().code() ==
        StatusCode::kNotFound);
  CHECK(store->DomainCertificate("partner.example", kNow + 400 * kDay)
            .status()
            .code() == StatusCode::kNotFound);

  // The same certificate can serve a second domain.
  CertificateRecord both =
      MustPut(*store, current.der, CertSource::kDomain, "partner.example.org");
  CHECK(both.domains ==
        std::vector<std::string>{"partner.example", "partner.example.org"});
  CHECK(store->DomainCertificate("partner.example.org", kNow)->sha256 ==
        cur.sha256);

  // Only domain certificates name a domain, and they must.
  CHECK(store->PutCertificate(current.der, CertSource::kDomain, "")
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(store->PutCertificate(current.der, CertSource::kImported, "x.example")
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(store->PutCertificate(current.der, CertSource::kDomain, "bad domain")
            .status()
            .code() == StatusCode::kInvalidArgument);
  // A revoked domain certificate is skipped.
  REQUIRE(store->SetRevoked(cur.sha256, true).ok());
  CHECK(store->DomainCertificate("partner.example", kNow).status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("lookup by issuer and serial, and by subject key identifier") {
  TestDb db;
  auto store = db.Open();
  CertSpec ca_spec;
  ca_spec.ca = true;
  ca_spec.subject_cn = "Test CA";
  ca_spec.key_usage = "critical,keyCertSign";
  TestCert ca = MakeCert(ca_spec);

  CertSpec leaf;
  leaf.issuer = ca.x509.get();
  leaf.issuer_key = ca.key.get();
  leaf.san_emails = {"erin@example.com"};
  leaf.serial = 0x0a;
  TestCert one = MakeCert(leaf);
  leaf.serial = 0xff00;
  leaf.not_before = kNow - kDay;
  TestCert two = MakeCert(leaf);
  // A renewal that keeps the key of `two` (same SKI).
  leaf.serial = 0xff01;
  leaf.key = two.key.get();
  leaf.not_before = kNow;
  TestCert two_renewed = MakeCert(leaf);

  CertificateRecord r1 = MustPut(*store, one.der, CertSource::kHarvested);
  CertificateRecord r2 = MustPut(*store, two.der, CertSource::kHarvested);
  CertificateRecord r3 =
      MustPut(*store, two_renewed.der, CertSource::kHarvested);
  std::string issuer = *NameDer(X509_get_subject_name(ca.x509.get()));

  struct Case {
    const char* serial;
    const char* expect;  // "one", "two", "two_renewed" or nullptr
  };
  const std::vector<Case> cases = {
      {"0a", "one"},           {"0A", "one"},   {"a", "one"},
      {"00:0A", "one"},        {"FF00", "two"}, {"ff:00", "two"},
      {"ff01", "two_renewed"}, {"0b", nullptr}, {"-0a", nullptr},
  };
  std::map<std::string, std::string> label = {
      {r1.sha256, "one"}, {r2.sha256, "two"}, {r3.sha256, "two_renewed"}};
  for (const Case& c : cases) {
    INFO(c.serial);
    Result<std::vector<CertificateRecord>> found =
        store->FindByIssuerSerial(issuer, c.serial);
    REQUIRE(found.ok());
    if (c.expect == nullptr) {
      CHECK(found->empty());
    } else {
      REQUIRE(found->size() == 1);
      CHECK(label[found->front().sha256] == c.expect);
    }
  }
  std::string other_issuer = *NameDer(X509_get_subject_name(one.x509.get()));
  CHECK(store->FindByIssuerSerial(other_issuer, "0a")->empty());
  CHECK(store->FindByIssuerSerial("", "0a").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->FindByIssuerSerial(issuer, "zz").status().code() ==
        StatusCode::kInvalidArgument);

  // SKI: one match, or both certificates that share the key (newest first).
  std::string ski_upper = r1.ski;
  for (char& c : ski_upper) c = static_cast<char>(toupper(c));
  Result<std::vector<CertificateRecord>> by_ski = store->FindBySki(ski_upper);
  REQUIRE(by_ski.ok());
  REQUIRE(by_ski->size() == 1);
  CHECK(by_ski->front().sha256 == r1.sha256);
  Result<std::vector<CertificateRecord>> shared = store->FindBySki(r2.ski);
  REQUIRE(shared.ok());
  REQUIRE(shared->size() == 2);
  CHECK(shared->at(0).sha256 == r3.sha256);
  CHECK(shared->at(1).sha256 == r2.sha256);
  CHECK(store->FindBySki("00112233")->empty());
  CHECK(store->FindBySki("xyz").status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("sealed private keys: round trip, one per certificate") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  TestCert cert = MakeCert(CertSpec{});
  CertificateRecord rec = MustPut(*store, cert.der, CertSource::kImported);

  EncryptedKey key;
  key.master_key_id = "0123456789abcdef";
  key.blob = std::string("\x01sealed\0bytes", 13);
  REQUIRE(store->PutPrivateKey(rec.sha256, key).ok());
  Result<EncryptedKey> got = store->GetPrivateKey(rec.sha256);
  REQUIRE(got.ok());
  CHECK(got->master_key_id == key.master_key_id);
  CHECK(got->blob == key.blob);
  CHECK(got->created_at == kNow);
  CHECK(store->GetCertificate(rec.sha256)->has_private_key);

  CHECK(store->PutPrivateKey(rec.sha256, key).code() ==
        StatusCode::kFailedPrecondition);
  CHECK(store->PutPrivateKey(std::string(64, 'f'), key).code() ==
        StatusCode::kNotFound);
  CHECK(store->GetPrivateKey(std::string(64, 'f')).status().code() ==
        StatusCode::kNotFound);
  EncryptedKey bad = key;
  bad.master_key_id = "NOT HEX";
  CHECK(store->PutPrivateKey(rec.sha256, bad).code() ==
        StatusCode::kInvalidArgument);
  bad = key;
  bad.blob.clear();
  CHECK(store->PutPrivateKey(rec.sha256, bad).code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("removal: a certificate with a key needs the explicit mode") {
  TestDb db;
  auto store = db.Open();
  MasterKey master = testing::TestMasterKey('m');
  KeyVault vault(*store, master);
  CertSpec spec;
  spec.san_emails = {"frank@example.com"};
  TestCert with_key = MakeCert(spec);
  TestCert without_key = MakeCert(spec);
  Result<CertificateRecord> a = vault.PutCertificateWithKey(
      with_key.der, with_key.key.get(), CertSource::kIssued);
  REQUIRE(a.ok());
  CertificateRecord b =
      MustPut(*store, without_key.der, CertSource::kHarvested);

  CHECK(store->RemoveCertificate(a->sha256).code() ==
        StatusCode::kFailedPrecondition);
  CHECK(vault.GetPrivateKey(a->sha256).ok());
  REQUIRE(store->RemoveCertificate(b.sha256).ok());
  CHECK(store->CertificatesFor("frank@example.com")->size() == 1);
  REQUIRE(store->RemoveCertificate(a->sha256, KeyRemoval::kDeleteKey).ok());
  CHECK(store->CertificatesFor("frank@example.com")->empty());
  CHECK(store->GetPrivateKey(a->sha256).status().code() ==
        StatusCode::kNotFound);
  if (!db.postgres())
    CHECK(RowCount(db.sqlite_path(), "certificate_emails") == 0);
  if (!db.postgres()) CHECK(RowCount(db.sqlite_path(), "private_keys") == 0);
  CHECK(store->RemoveCertificate(a->sha256).code() == StatusCode::kNotFound);
  CHECK(store->SetRevoked(a->sha256, true).code() == StatusCode::kNotFound);
}

TEST_CASE("listing with filters") {
  TestDb db;
  auto store = db.Open();
  MasterKey master = testing::TestMasterKey('l');
  KeyVault vault(*store, master);
  CertSpec spec;
  spec.san_emails = {"gina@example.com"};
  MustPut(*store, MakeCert(spec).der, CertSource::kHarvested);
  TestCert issued = MakeCert(spec);
  REQUIRE(vault
              .PutCertificateWithKey(issued.der, issued.key.get(),
                                     CertSource::kIssued)
              .ok());
  spec.san_emails = {"hank@example.com"};
  MustPut(*store, MakeCert(spec).der, CertSource::kImported);

  struct Case {
    std::optional<CertSource> source;
    const char* address;
    bool with_key;
    size_t count;
  };
  const std::vector<Case> cases = {
      {std::nullopt, "", false, 3},
      {CertSource::kHarvested, "", false, 1},
      {CertSource::kIssued, "", false, 1},
      {CertSource::kDomain, "", false, 0},
      {std::nullopt, "GINA@example.com", false, 2},
      {std::nullopt, "", true, 1},
      {CertSource::kImported, "gina@example.com", false, 0},
  };
  for (const Case& c : cases) {
    CertificateFilter filter;
    filter.source = c.source;
    filter.address = c.address;
    filter.with_private_key = c.with_key;
    Result<std::vector<CertificateRecord>> got =
        store->ListCertificates(filter);
    REQUIRE(got.ok());
    CHECK(got->size() == c.count);
  }
  CertificateFilter bad;
  bad.address = "not an address";
  CHECK(store->ListCertificates(bad).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("key vault: keys open only with the right master key and cert",
          "[sqlite]") {
  TempDir dir;
  auto store = OpenFresh(dir.File("store.db"));
  MasterKey right = testing::TestMasterKey('r');
  MasterKey wrong = testing::TestMasterKey('w');
  KeyVault vault(*store, right);
  KeyVault wrong_vault(*store, wrong);

  TestCert one = MakeCert(CertSpec{});
  TestCert two = MakeCert(CertSpec{});
  Result<CertificateRecord> r1 =
      vault.PutCertificateWithKey(one.der, one.key.get(), CertSource::kIssued);
  REQUIRE(r1.ok());
  CHECK(r1->has_private_key);
  Result<EvpPkeyPtr> key = vault.GetPrivateKey(r1->sha256);
  REQUIRE(key.ok());
  CHECK(EVP_PKEY_eq(key->get(), one.key.get()) == 1);
  CHECK(X509_check_private_key(one.x509.get(), key->get()) == 1);
  CHECK(store->GetPrivateKey(r1->sha256)->master_key_id == right.id());

  // The wrong master key: a clear error naming both key ids.
  Result<EvpPkeyPtr> refused = wrong_vault.GetPrivateKey(r1->sha256);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
  CHECK(refused.status().message().find(right.id()) != std::string::npos);
  CHECK(refused.status().message().find("wrong store.key_file") !=
        std::string::npos);

  // A key that does not belong to the certificate is refused.
  Result<CertificateRecord> mismatch =
      vault.PutCertificateWithKey(two.der, one.key.get(), CertSource::kIssued);
  CHECK(mismatch.status().code() == StatusCode::kInvalidArgument);
  CHECK(store->ListCertificates()->size() == 1);  // nothing half-stored

  // Adding a key later to a stored certificate.
  CertificateRecord r2 = MustPut(*store, two.der, CertSource::kImported);
  CHECK(vault.PutPrivateKey(r2.sha256, one.key.get()).code() ==
        StatusCode::kInvalidArgument);
  REQUIRE(vault.PutPrivateKey(r2.sha256, two.key.get()).ok());
  CHECK(EVP_PKEY_eq(vault.GetPrivateKey(r2.sha256)->get(), two.key.get()) == 1);
  CHECK(
      vault.PutCertificateWithKey(two.der, two.key.get(), CertSource::kImported)
          .status()
          .code() == StatusCode::kFailedPrecondition);

  // A sealed key moved onto another certificate's row does not open.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.File("store.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "UPDATE private_keys SET sealed = (SELECT sealed FROM "
                         "private_keys ORDER BY cert_id LIMIT 1) WHERE cert_id "
                         "= (SELECT max(cert_id) FROM private_keys)",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  Result<EvpPkeyPtr> swapped = vault.GetPrivateKey(r2.sha256);
  REQUIRE_FALSE(swapped.ok());
  CHECK(swapped.status().code() == StatusCode::kParseError);
  CHECK(vault.GetPrivateKey(r1->sha256).ok());
}

TEST_CASE("CRLs: one per issuer, never replaced by an older one") {
  TestDb db;
  auto store = db.Open();
  TestCert ca1 = MakeCert(CertSpec{});
  CertSpec other;
  other.subject_cn = "Other CA";
  TestCert ca2 = MakeCert(other);
  std::string old_crl =
      testing::MakeCrl(ca1.x509.get(), ca1.key.get(), kNow - 10 * kDay, kNow);
  std::string new_crl = testing::MakeCrl(ca1.x509.get(), ca1.key.get(),
                                         kNow - kDay, kNow + 6 * kDay);
  std::string crl2 =
      testing::MakeCrl(ca2.x509.get(), ca2.key.get(), kNow, kNow + kDay);
  std::string issuer1 = *NameDer(X509_get_subject_name(ca1.x509.get()));

  Result<CrlRecord> put = store->PutCrl(old_crl);
  REQUIRE(put.ok());
  CHECK(put->der == old_crl);
  CHECK(store->PutCrl(new_crl)->der == new_crl);
  CHECK(store->PutCrl(old_crl)->der == new_crl);  // stays the newer one
  REQUIRE(store->PutCrl(crl2).ok());

  Result<CrlRecord> got = store->GetCrl(issuer1);
  REQUIRE(got.ok());
  CHECK(got->der == new_crl);
  CHECK(got->this_update == kNow - kDay);
  CHECK(got->next_update == kNow + 6 * kDay);
  CHECK(got->issuer == "CN=Test User");
  CHECK(store->ListCrls()->size() == 2);
  REQUIRE(store->RemoveCrl(issuer1).ok());
  CHECK(store->GetCrl(issuer1).status().code() == StatusCode::kNotFound);
  CHECK(store->RemoveCrl(issuer1).code() == StatusCode::kNotFound);
  CHECK(store->PutCrl("garbage").status().code() == StatusCode::kParseError);
}

TEST_CASE("SMIMECapabilities per address and certificate") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  const std::string fp_a(64, 'a');
  const std::string fp_b(64, 'b');
  CapabilitiesRecord caps;
  caps.address = "Ivy@Example.com";
  caps.cert_sha256 = fp_a;
  caps.blob = std::string("\x30\x03\x06\x01\x00", 5);
  caps.flags = 0x8000000000000005ull;
  caps.seen_at = kNow - 100;
  REQUIRE(store->PutCapabilities(caps).ok());

  Result<CapabilitiesRecord> got = store->CapabilitiesFor("ivy@example.com");
  REQUIRE(got.ok());
  CHECK(got->address == "ivy@example.com");
  CHECK(got->cert_sha256 == fp_a);
  CHECK(got->blob == caps.blob);
  CHECK(got->flags == caps.flags);
  CHECK(got->seen_at == kNow - 100);

  // Older data does not replace newer; newer does.
  CapabilitiesRecord older = caps;
  older.flags = 1;
  older.seen_at = kNow - 200;
  REQUIRE(store->PutCapabilities(older).ok());
  CHECK(store->CapabilitiesFor("ivy@example.com")->flags == caps.flags);
  CapabilitiesRecord newer = caps;
  newer.flags = 2;
  newer.seen_at = 0;  // now
  REQUIRE(store->PutCapabilities(newer).ok());
  CHECK(store->CapabilitiesFor("ivy@example.com")->flags == 2);
  CHECK(store->CapabilitiesFor("ivy@example.com")->seen_at == kNow);

  // Another certificate of the same address; most recent wins by default.
  CapabilitiesRecord other = caps;
  other.cert_sha256 = fp_b;
  other.flags = 3;
  other.seen_at = kNow + 5;
  REQUIRE(store->PutCapabilities(other).ok());
  CHECK(store->CapabilitiesFor("ivy@example.com")->flags == 3);
  CHECK(store->CapabilitiesFor("ivy@example.com", fp_a)->flags == 2);
  CHECK(store->CapabilitiesFor("nobody@example.com").status().code() ==
        StatusCode::kNotFound);

  CapabilitiesRecord big = caps;
  big.blob.assign(store->limits().max_capabilities_bytes + 1, 'x');
  CHECK(store->PutCapabilities(big).code() == StatusCode::kResourceExhausted);
  CapabilitiesRecord bad_fp = caps;
  bad_fp.cert_sha256 = "abc";
  CHECK(store->PutCapabilities(bad_fp).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("audit events, newest first") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  REQUIRE(store->RecordEvent("issued", "a@example.com", "one").ok());
  clock.Advance(10);
  REQUIRE(store->RecordEvent("renewed", "a@example.com", "two").ok());
  clock.Advance(10);
  REQUIRE(store->RecordEvent("revoked", "b@example.com", "three").ok());
  Result<std::vector<EventRecord>> events = store->RecentEvents(2);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK(events->at(0).kind == "revoked");
  CHECK(events->at(0).time == kNow + 20);
  CHECK(events->at(0).detail == "three");
  CHECK(events->at(1).kind == "renewed");
  CHECK(events->at(0).id > events->at(1).id);
  CHECK(store->RecentEvents(0)->empty());
  CHECK(store->RecordEvent("", "x", "y").code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->RecordEvent("k", "x", std::string(5000, 'd')).code() ==
        StatusCode::kResourceExhausted);
}

TEST_CASE("hostile input: not DER, oversized blobs, injection-like addresses") {
  TestDb db;
  auto store = db.Open();
  CHECK(store->PutCertificate("not a certificate", CertSource::kHarvested)
            .status()
            .code() == StatusCode::kParseError);
  CHECK(store->PutCertificate("", CertSource::kHarvested).status().code() ==
        StatusCode::kParseError);
  std::string huge(store->limits().max_certificate_bytes + 1, '\x30');
  CHECK(store->PutCertificate(huge, CertSource::kHarvested).status().code() ==
        StatusCode::kResourceExhausted);
  std::string huge_crl(store->limits().max_crl_bytes + 1, '\x30');
  CHECK(store->PutCrl(huge_crl).status().code() ==
        StatusCode::kResourceExhausted);
  EncryptedKey huge_key;
  huge_key.master_key_id = "00";
  huge_key.blob.assign(store->limits().max_key_blob_bytes + 1, 'k');
  CHECK(store->PutPrivateKey(std::string(64, 'a'), huge_key).code() ==
        StatusCode::kResourceExhausted);
  CHECK(store->ListCertificates()->empty());

  // Addresses that would break string-built SQL are just addresses here.
  const std::string evil = "x'or'1'='1--@example.com";
  CertSpec spec;
  spec.san_emails = {evil, "plain@example.com"};
  CertificateRecord rec =
      MustPut(*store, MakeCert(spec).der, CertSource::kHarvested);
  CHECK(rec.emails.size() == 2);
  const std::vector<std::string> probes = {
      "'; DROP TABLE certificates; --",
      "a@b' OR '1'='1",
      "x'or'1'='2--@example.com",
      "%@example.com",
      "_lain@example.com",
      "*@example.com",
      "\"; DELETE FROM private_keys; --\"@x",
  };
  for (const std::string& probe : probes) {
    INFO(probe);
    Result<CertificateRecord> best = store->BestCertificateFor(probe, kNow);
    CHECK_FALSE(best.ok());
    Result<std::vector<CertificateRecord>> all = store->CertificatesFor(probe);
    if (all.ok()) CHECK(all->empty());
  }
  CHECK(store->BestCertificateFor(evil, kNow)->sha256 == rec.sha256);
  CHECK(store->ListCertificates()->size() == 1);

  // Small limits apply to real certificates too.
  TestDb tight_db;
  StoreOptions tight = tight_db.Options();
  tight.limits.max_certificate_bytes = 100;
  Result<std::unique_ptr<Store>> small = OpenStore(tight);
  REQUIRE(small.ok());
  CHECK((*small)
            ->PutCertificate(MakeCert(spec).der, CertSource::kHarvested)
            .status()
            .code() == StatusCode::kResourceExhausted);
}

TEST_CASE("the database file and its WAL are created 0600", "[sqlite]") {
  TempDir dir;
  ::umask(022);
  std::string path = dir.File("store.db");
  auto store = OpenFresh(path);
  MustPut(*store, MakeCert(CertSpec{}).der, CertSource::kImported);
  for (const std::string& p : {path, path + "-wal", path + "-shm"}) {
    INFO(p);
    struct stat st;
    REQUIRE(::stat(p.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  CHECK(store->backend() == "sqlite");
  CHECK(*store->SchemaVersion() == LatestSqliteSchemaVersion());
}

}  // namespace
}  // namespace seal::store
