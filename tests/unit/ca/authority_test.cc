// The built-in CA end to end on a SQLite store with a fake clock: ca init,
// issue on first need, renewal inside the window, rollover, old keys kept,
// the CA's own expiry, and concurrent first use (lib/ca/authority.h).
#include <openssl/x509_vfy.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "lib/ca/authority.h"
#include "lib/store/key_vault.h"
#include "lib/store/x509_parse.h"
#include "tests/unit/ca/ca_test_util.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::ca {
namespace {

using store::CertificateRecord;
using store::CertSource;
using testing::kDay;
using testing::kNow;

// A store, a vault and CA options that keep key generation fast (EC keys);
// one test below covers the RSA defaults.
struct Fixture {
  explicit Fixture(CaOptions opts = FastOptions())
      : clock(kNow),
        store(store::testing::OpenFresh(dir.File("store.db"), &clock)),
        master(store::testing::TestMasterKey('a')),
        vault(*store, master),
        options(std::move(opts)) {}

  static CaOptions FastOptions() {
    CaOptions o;
    o.key_type = KeyType::kEcP256;
    o.user_key_type = KeyType::kEcP256;
    o.subject = "CN=Test Internal CA,O=Example";
    o.validity_years = 10;
    o.validity_days = 30;
    o.renew_before_days = 7;
    return o;
  }

  CertificateRecord Init(bool replace = false) {
    Result<CertificateRecord> ca =
        InitAuthority(*store, vault, options, clock.Now(), replace);
    INFO(ca.status().ToString());
    REQUIRE(ca.ok());
    return *ca;
  }

  std::unique_ptr<Authority> Load() {
    Result<std::unique_ptr<Authority>> ca =
        Authority::Load(*store, vault, options, clock);
    INFO(ca.status().ToString());
    REQUIRE(ca.ok());
    return std::move(*ca);
  }

  Issued Ensure(Authority& ca, const std::string& address) {
    Result<Issued> issued = ca.EnsureCurrent(address, clock.Now());
    INFO(issued.status().ToString());
    REQUIRE(issued.ok());
    return std::move(*issued);
  }

  std::vector<std::string> EventKinds() {
    std::vector<std::string> kinds;
    Result<std::vector<store::EventRecord>> events = store->RecentEvents(100);
    REQUIRE(events.ok());
    for (const store::EventRecord& e : *events) {
      kinds.insert(kinds.begin(), e.kind);  // oldest first
    }
    return kinds;
  }

  store::testing::TempDir dir;
  store::FakeClock clock;
  std::unique_ptr<store::SqliteStore> store;
  store::MasterKey master;
  store::KeyVault vault;
  CaOptions options;
};

void CheckKeyMatches(store::KeyVault& vault, const CertificateRecord& rec) {
  Result<store::EvpPkeyPtr> key = vault.GetPrivateKey(rec.sha256);
  INFO(key.status().ToString());
  REQUIRE(key.ok());
  store::X509Ptr cert = testing::Decode(rec.der);
  CHECK(X509_check_private_key(cert.get(), key->get()) == 1);
}

TEST_CASE("ca init creates the CA once; replacing is explicit") {
  Fixture f;
  Result<std::unique_ptr<Authority>> none =
      Authority::Load(*f.store, f.vault, f.options, f.clock);
  CHECK(none.status().code() == StatusCode::kNotFound);

  CertificateRecord ca = f.Init();
  CHECK(ca.source == CertSource::kAuthority);
  CHECK(ca.is_ca);
  CHECK(ca.has_private_key);
  CHECK(ca.subject == "CN=Test Internal CA,O=Example");
  CHECK(ca.issuer == ca.subject);
  CHECK(ca.key_algorithm == "ec:prime256v1");
  CHECK(ca.not_before == kNow - kBackdateSeconds);
  CHECK(ca.not_after == kNow + (365 * 10 + 2) * kDay);  // 2028 and 2032 leap
  CheckKeyMatches(f.vault, ca);
  CHECK(testing::Verify(ca.der, ca.der, kNow, X509_PURPOSE_ANY) == X509_V_OK);

  Result<CertificateRecord> again =
      InitAuthority(*f.store, f.vault, f.options, f.clock.Now());
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == StatusCode::kFailedPrecondition);
  CHECK(again.status().message().find("already exists") != std::string::npos);

  f.clock.Advance(kDay);
  CertificateRecord replaced = f.Init(/*replace=*/true);
  CHECK(replaced.sha256 != ca.sha256);
  CHECK(f.Load()->certificate().sha256 == replaced.sha256);
  // The old CA and its key stay (mail signed/encrypted under it).
  CheckKeyMatches(f.vault, ca);
  CHECK(f.EventKinds() == std::vector<std::string>{"ca-init", "ca-replace"});
}

TEST_CASE("a user gets a certificate on first need, then the same one") {
  Fixture f;
  f.Init();
  auto ca = f.Load();
  // A certificate Alice imported herself does not count: the CA issues its
  // own (and, being newer, it becomes the best one).
  store::testing::CertSpec imported;
  imported.san_emails = {"alice@example.com"};
  REQUIRE(f.store
              ->PutCertificate(store::testing::MakeCert(imported).der,
                               CertSource::kImported)
              .ok());
  Issued first = f.Ensure(*ca, "Alice@Example.COM");
  CHECK(first.newly_issued);
  CHECK(first.warning.ok());
  const CertificateRecord& cert = first.cert;
  CHECK(cert.source == CertSource::kIssued);
  CHECK(cert.emails == std::vector<std::string>{"alice@example.com"});
  CHECK(cert.has_private_key);
  CHECK(cert.not_before == kNow - kBackdateSeconds);
  CHECK(cert.not_after == kNow + 30 * kDay);
  CHECK(cert.issuer == ca->certificate().subject);
  CheckKeyMatches(f.vault, cert);
  CHECK(testing::Verify(ca->certificate().der, cert.der, kNow,
                        X509_PURPOSE_SMIME_ENCRYPT) == X509_V_OK);
  CHECK(testing::Verify(ca->certificate().der, cert.der, kNow,
                        X509_PURPOSE_SMIME_SIGN) == X509_V_OK);

  f.clock.Advance(5 * kDay);
  Issued second = f.Ensure(*ca, "alice@example.com");
  CHECK_FALSE(second.newly_issued);
  CHECK(second.cert.sha256 == cert.sha256);
  // The clock overload reads the injected clock.
  Result<Issued> via_clock = ca->EnsureCurrent("alice@example.com");
  REQUIRE(via_clock.ok());
  CHECK(via_clock->cert.sha256 == cert.sha256);
  CHECK(f.store->CertificatesFor("alice@example.com")->size() == 2);
  CHECK(
      f.store->BestCertificateFor("alice@example.com", f.clock.Now())->sha256 ==
      cert.sha256);
  CHECK(f.EventKinds() == std::vector<std::string>{"ca-init", "issued"});

  CHECK(ca->EnsureCurrent("not an address", kNow).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(ca->EnsureCurrent("j\xc3\xbcrgen@example.com", kNow).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("renewal happens renew_before_days before expiry, not earlier") {
  struct Case {
    int64_t after_seconds;  // since the first issuance
    bool renewed;
    const char* event;  // the second event kind, or nullptr
  };
  const std::vector<Case> cases = {
      {1 * kDay, false, nullptr},
      {22 * kDay, false, nullptr},      // 8 days left
      {23 * kDay - 1, false, nullptr},  // 7 days + 1 s left
      {23 * kDay, true, "renewed"},     // exactly 7 days left
      {29 * kDay, true, "renewed"},     // 1 day left
      {30 * kDay, true, "renewed"},     // the last valid second
      {30 * kDay + 1, true, "issued"},  // expired: a first need again
      {400 * kDay, true, "issued"},
  };
  for (const Case& c : cases) {
    INFO("after " << c.after_seconds << " s");
    Fixture f;
    f.Init();
    auto ca = f.Load();
    CertificateRecord first = f.Ensure(*ca, "bob@example.com").cert;
    f.clock.Advance(c.after_seconds);
    Issued now = f.Ensure(*ca, "bob@example.com");
    CHECK(now.newly_issued == c.renewed);
    CHECK((now.cert.sha256 != first.sha256) == c.renewed);
    if (c.event != nullptr) {
      CHECK(f.EventKinds().back() == c.event);
      CHECK(now.cert.not_before == f.clock.Now() - kBackdateSeconds);
      CHECK(testing::Verify(ca->certificate().der, now.cert.der, f.clock.Now(),
                            X509_PURPOSE_SMIME_ENCRYPT) == X509_V_OK);
    }
  }
}

TEST_CASE("after renewal the new certificate is used; the old key is kept") {
  Fixture f;
  f.Init();
  auto ca = f.Load();
  CertificateRecord old_cert = f.Ensure(*ca, "carol@example.com").cert;
  f.clock.Advance(25 * kDay);  // 5 days left
  CertificateRecord new_cert = f.Ensure(*ca, "carol@example.com").cert;
  REQUIRE(new_cert.sha256 != old_cert.sha256);
  CHECK(new_cert.serial != old_cert.serial);
  CHECK(new_cert.ski != old_cert.ski);  // a new key, not a re-certification

  Result<CertificateRecord> best =
      f.store->BestCertificateFor("carol@example.com", f.clock.Now());
  REQUIRE(best.ok());
  CHECK(best->sha256 == new_cert.sha256);
  CHECK(f.store->CertificatesFor("carol@example.com")->size() == 2);

  // Mail encrypted to the old certificate still finds its key, by
  // issuer+serial and by SKI, long after the old certificate expired.
  f.clock.Advance(100 * kDay);
  Result<std::vector<CertificateRecord>> by_serial =
      f.store->FindByIssuerSerial(old_cert.issuer_der, old_cert.serial);
  REQUIRE(by_serial.ok());
  REQUIRE(by_serial->size() == 1);
  CHECK(by_serial->front().has_private_key);
  CheckKeyMatches(f.vault, by_serial->front());
  Result<std::vector<CertificateRecord>> by_ski =
      f.store->FindBySki(old_cert.ski);
  REQUIRE(by_ski.ok());
  REQUIRE(by_ski->size() == 1);
  CHECK(by_ski->front().sha256 == old_cert.sha256);
  CheckKeyMatches(f.vault, new_cert);
  // Both certificates have their keys; nothing was deleted.
  store::CertificateFilter keys;
  keys.source = CertSource::kIssued;
  keys.with_private_key = true;
  CHECK(f.store->ListCertificates(keys)->size() == 2);
}

TEST_CASE("rollover on demand; optionally revoking the previous ones") {
  Fixture f;
  f.Init();
  auto ca = f.Load();
  CertificateRecord c1 = f.Ensure(*ca, "dan@example.com").cert;
  f.clock.Advance(60);
  Result<CertificateRecord> c2 = ca->Rollover("dan@example.com", f.clock.Now());
  REQUIRE(c2.ok());
  CHECK(c2->sha256 != c1.sha256);
  CHECK(f.store->BestCertificateFor("dan@example.com", f.clock.Now())->sha256 ==
        c2->sha256);
  CHECK_FALSE(f.store->GetCertificate(c1.sha256)->revoked);

  f.clock.Advance(60);
  Result<CertificateRecord> c3 =
      ca->Rollover("DAN@example.com", f.clock.Now(), /*revoke_previous=*/true);
  REQUIRE(c3.ok());
  CHECK(f.store->GetCertificate(c1.sha256)->revoked);
  CHECK(f.store->GetCertificate(c2->sha256)->revoked);
  CHECK_FALSE(f.store->GetCertificate(c3->sha256)->revoked);
  CheckKeyMatches(f.vault, c1);
  CheckKeyMatches(f.vault, *c2);
  // EnsureCurrent keeps the rolled-over certificate.
  Issued current = f.Ensure(*ca, "dan@example.com");
  CHECK_FALSE(current.newly_issued);
  CHECK(current.cert.sha256 == c3->sha256);
  CHECK(f.EventKinds() == std::vector<std::string>{"ca-init", "issued",
                                                   "rollover", "rollover",
                                                   "revoked", "revoked"});
}

TEST_CASE("user certificates never outlive the CA") {
  CaOptions options = Fixture::FastOptions();
  options.validity_years = 1;
  options.validity_days = 365;
  Fixture f(options);
  CertificateRecord ca_rec = f.Init();
  auto ca = f.Load();

  // 100 days before the CA ends: the user certificate is cut to the CA's end.
  f.clock.Set(ca_rec.not_after - 100 * kDay);
  CertificateRecord cut = f.Ensure(*ca, "eve@example.com").cert;
  CHECK(cut.not_after == ca_rec.not_after);
  CHECK(testing::Verify(ca_rec.der, cut.der, f.clock.Now(),
                        X509_PURPOSE_SMIME_ENCRYPT) == X509_V_OK);

  // Inside the renewal window but the CA cannot issue past it: the old,
  // still valid certificate comes back with a warning.
  f.clock.Set(ca_rec.not_after - 5 * kDay);
  Issued kept = f.Ensure(*ca, "eve@example.com");
  CHECK_FALSE(kept.newly_issued);
  CHECK(kept.cert.sha256 == cut.sha256);
  CHECK(kept.warning.code() == StatusCode::kFailedPrecondition);
  // Someone without a certificate gets the error itself.
  Result<Issued> refused = ca->EnsureCurrent("fay@example.com", f.clock.Now());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
  CHECK(refused.status().message().find("CA certificate ends") !=
        std::string::npos);

  // After the CA ends nothing loads until a new CA is made.
  f.clock.Set(ca_rec.not_after + 1);
  Result<std::unique_ptr<Authority>> expired =
      Authority::Load(*f.store, f.vault, f.options, f.clock);
  CHECK(expired.status().code() == StatusCode::kFailedPrecondition);
  CHECK(ca->EnsureCurrent("eve@example.com", f.clock.Now()).status().code() ==
        StatusCode::kFailedPrecondition);
  CertificateRecord fresh = f.Init();  // no --replace needed: none is valid
  auto new_ca = f.Load();
  CHECK(new_ca->certificate().sha256 == fresh.sha256);
  Issued reissued = f.Ensure(*new_ca, "eve@example.com");
  CHECK(reissued.newly_issued);
  CHECK(testing::Verify(fresh.der, reissued.cert.der, f.clock.Now(),
                        X509_PURPOSE_SMIME_ENCRYPT) == X509_V_OK);
}

TEST_CASE("the defaults: RSA 3072 CA and RSA 2048 user keys") {
  CaOptions defaults;
  CHECK(defaults.key_type == KeyType::kRsa3072);
  CHECK(defaults.user_key_type == KeyType::kRsa2048);
  CHECK(defaults.validity_days == 365);
  CHECK(defaults.renew_before_days == 7);
  CHECK(defaults.validity_years == 10);
  Fixture f(defaults);
  CertificateRecord ca_rec = f.Init();
  CHECK(ca_rec.key_algorithm == "rsa:3072");
  CHECK(ca_rec.subject == "CN=sealmilter internal CA");
  auto ca = f.Load();
  CertificateRecord user = f.Ensure(*ca, "gus@example.com").cert;
  CHECK(user.key_algorithm == "rsa:2048");
  CHECK(user.not_after == kNow + 365 * kDay);
  CHECK(testing::Verify(ca_rec.der, user.der, kNow,
                        X509_PURPOSE_SMIME_ENCRYPT) == X509_V_OK);
  store::X509Ptr x = testing::Decode(user.der);
  CHECK(X509_get_signature_nid(x.get()) == NID_sha256WithRSAEncryption);
  CheckKeyMatches(f.vault, user);
}

TEST_CASE("the CA does not load under the wrong master key") {
  Fixture f;
  f.Init();
  store::MasterKey other = store::testing::TestMasterKey('z');
  store::KeyVault wrong(*f.store, other);
  Result<std::unique_ptr<Authority>> ca =
      Authority::Load(*f.store, wrong, f.options, f.clock);
  REQUIRE_FALSE(ca.ok());
  CHECK(ca.status().code() == StatusCode::kFailedPrecondition);
  CHECK(ca.status().message().find("CA key") != std::string::npos);
}

TEST_CASE("four threads asking for one new address get one certificate") {
  Fixture f;
  f.Init();
  auto ca = f.Load();
  std::atomic<int> issued{0};
  std::atomic<int> failures{0};
  std::vector<std::string> shas(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t round = 0; round < 2; ++round) {
        Result<Issued> r = ca->EnsureCurrent("hal@example.com", kNow);
        if (!r.ok()) {
          ++failures;
          continue;
        }
        if (r->newly_issued) ++issued;
        shas[t * 2 + round] = r->cert.sha256;
        // Other addresses in parallel.
        if (!ca->EnsureCurrent("t" + std::to_string(t) + "@example.com", kNow)
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(issued.load() == 1);
  for (const std::string& sha : shas) CHECK(sha == shas[0]);
  CHECK(f.store->CertificatesFor("hal@example.com")->size() == 1);
}

TEST_CASE("CA options are range-checked") {
  struct Case {
    const char* name;
    void (*mutate)(CaOptions&);
    bool ok;
  };
  const std::vector<Case> cases = {
      {"defaults", [](CaOptions&) {}, true},
      {"years 0", [](CaOptions& o) { o.validity_years = 0; }, false},
      {"years 101", [](CaOptions& o) { o.validity_years = 101; }, false},
      {"days 0", [](CaOptions& o) { o.validity_days = 0; }, false},
      {"days 3651", [](CaOptions& o) { o.validity_days = 3651; }, false},
      {"renew -1", [](CaOptions& o) { o.renew_before_days = -1; }, false},
      {"renew 0", [](CaOptions& o) { o.renew_before_days = 0; }, true},
      {"renew = validity",
       [](CaOptions& o) {
         o.validity_days = 7;
         o.renew_before_days = 7;
       },
       false},
      {"renew just below",
       [](CaOptions& o) {
         o.validity_days = 8;
         o.renew_before_days = 7;
       },
       true},
      {"bad subject", [](CaOptions& o) { o.subject = "CN"; }, false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CaOptions o;
    c.mutate(o);
    Status s = ValidateCaOptions(o);
    CHECK(s.ok() == c.ok);
    if (!s.ok()) CHECK(s.code() == StatusCode::kInvalidArgument);
  }
  Fixture f;
  CaOptions bad = Fixture::FastOptions();
  bad.validity_days = 0;
  CHECK(InitAuthority(*f.store, f.vault, bad, kNow).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seal::ca
