// Certificate checks for recipient selection and signer judgement: a table
// of (certificate, use, address) -> expected problems, the trust store's
// CRL policies, and choosing among candidates.
#include <catch2/catch.hpp>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "lib/crypto/cert_check.h"
#include "tests/unit/crypto/test_pki.h"

namespace seal::crypto {
namespace {

using testing::Identity;
using testing::TestPki;

std::set<CertProblem> Problems(const CertCheckReport& r) {
  std::set<CertProblem> out;
  for (const CertIssue& i : r.issues) out.insert(i.problem);
  return out;
}

TEST_CASE("certificate check table", "[cert]") {
  const auto& pki = TestPki();
  using P = CertProblem;
  struct Case {
    const char* name;
    const Identity* id;
    CertUse use;
    std::string address;
    std::vector<Certificate> intermediates;
    std::set<CertProblem> expected;
  };
  const std::vector<Certificate> ica = {pki.intermediate.cert};
  const Case cases[] = {
      {"alice encrypt",
       &pki.alice,
       CertUse::kEncryption,
       "alice@example.org",
       ica,
       {}},
      {"alice sign",
       &pki.alice,
       CertUse::kSigning,
       "ALICE@EXAMPLE.ORG",
       ica,
       {}},
      {"bob second SAN address",
       &pki.bob,
       CertUse::kEncryption,
       "robert@example.org",
       {},
       {}},
      {"carol EC encrypt",
       &pki.carol,
       CertUse::kEncryption,
       "carol@example.org",
       ica,
       {}},
      {"dave subject emailAddress",
       &pki.dave_subject,
       CertUse::kEncryption,
       "dave@example.org",
       ica,
       {}},
      {"no address check", &pki.alice, CertUse::kEncryption, "", ica, {}},
      {"wrong address",
       &pki.alice,
       CertUse::kEncryption,
       "bob@example.org",
       ica,
       {P::kAddressMismatch}},
      {"missing intermediate",
       &pki.alice,
       CertUse::kEncryption,
       "alice@example.org",
       {},
       {P::kUntrusted}},
      {"expired",
       &pki.expired,
       CertUse::kEncryption,
       "expired@example.org",
       ica,
       {P::kExpired}},
      {"not yet valid",
       &pki.not_yet,
       CertUse::kSigning,
       "notyet@example.org",
       ica,
       {P::kNotYetValid}},
      {"no emailProtection",
       &pki.no_eku,
       CertUse::kEncryption,
       "noeku@example.org",
       ica,
       {P::kExtendedKeyUsage}},
      {"signing-only key usage cannot encrypt",
       &pki.sign_only,
       CertUse::kEncryption,
       "signonly@example.org",
       ica,
       {P::kKeyUsage}},
      {"signing-only key usage can sign",
       &pki.sign_only,
       CertUse::kSigning,
       "signonly@example.org",
       ica,
       {}},
      {"revoked",
       &pki.revoked,
       CertUse::kEncryption,
       "revoked@example.org",
       ica,
       {P::kRevoked}},
      {"untrusted root",
       &pki.stranger,
       CertUse::kEncryption,
       "stranger@example.org",
       {pki.other_root.cert},
       {P::kUntrusted}},
      {"untrusted and wrong address",
       &pki.stranger,
       CertUse::kEncryption,
       "alice@example.org",
       {},
       {P::kUntrusted, P::kAddressMismatch}},
      {"a CA certificate is not for mail",
       &pki.intermediate,
       CertUse::kEncryption,
       "",
       {},
       {P::kKeyUsage}},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      CertCheckOptions options;
      options.use = c.use;
      options.address = c.address;
      options.trust = pki.trust.get();
      options.intermediates = c.intermediates;
      Result<CertCheckReport> r = CheckCertificate(c.id->cert, options);
      INFO(r.status().ToString());
      REQUIRE(r.ok());
      INFO(r->Summary());
      CHECK(Problems(*r) == c.expected);
      CHECK(r->usable() == c.expected.empty());
      if (c.expected.empty()) {
        CHECK(r->chain.back() == pki.root.cert);
        CHECK(r->revocation_checked);
        CHECK(r->Summary() == "usable");
      }
    }
  }
}

TEST_CASE("checks without a trust store skip the chain", "[cert]") {
  CertCheckOptions options;
  options.address = "stranger@example.org";
  Result<CertCheckReport> r =
      CheckCertificate(TestPki().stranger.cert, options);
  REQUIRE(r.ok());
  CHECK(r->usable());
  CHECK(r->chain.empty());
  CHECK_FALSE(r->revocation_checked);
}

TEST_CASE("check at another time", "[cert]") {
  const auto& pki = TestPki();
  CertCheckOptions options;
  options.at_time = pki.expired.cert.NotAfter() - 10;
  Result<CertCheckReport> r = CheckCertificate(pki.expired.cert, options);
  REQUIRE(r.ok());
  CHECK(r->usable());
  options.at_time = pki.alice.cert.NotAfter() + 10;
  r = CheckCertificate(pki.alice.cert, options);
  REQUIRE(r.ok());
  CHECK(r->Has(CertProblem::kExpired));
  CHECK_THAT(r->Summary(), Catch::StartsWith("expired (notAfter 20"));
}

TEST_CASE("CRL policies", "[cert][trust]") {
  const auto& pki = TestPki();
  auto store = [&](CrlPolicy policy, std::vector<Crl> crls) {
    TrustStoreOptions o;
    o.use_system_store = false;
    o.anchors = {pki.root.cert};
    o.crls = std::move(crls);
    o.crl_policy = policy;
    Result<std::shared_ptr<const TrustStore>> s = TrustStore::Create(o);
    REQUIRE(s.ok());
    return *s;
  };
  auto check = [&](const TrustStore& t, const Identity& id) {
    CertCheckOptions options;
    options.trust = &t;
    options.intermediates = {pki.intermediate.cert};
    Result<CertCheckReport> r = CheckCertificate(id.cert, options);
    REQUIRE(r.ok());
    return *r;
  };
  // Off: a revoked certificate passes (no revocation checking at all).
  auto off = store(CrlPolicy::kOff, {pki.intermediate_crl});
  CHECK(check(*off, pki.revoked).usable());
  CHECK_FALSE(check(*off, pki.alice).revocation_checked);
  // Soft without the CRL: passes, not checked.
  auto soft_none = store(CrlPolicy::kSoft, {});
  CHECK(check(*soft_none, pki.revoked).usable());
  CHECK_FALSE(check(*soft_none, pki.revoked).revocation_checked);
  // Soft with the CRL: revoked is caught, others checked.
  auto soft = store(CrlPolicy::kSoft, {pki.intermediate_crl});
  CHECK(check(*soft, pki.revoked).Has(CertProblem::kRevoked));
  CHECK(check(*soft, pki.alice).usable());
  CHECK(check(*soft, pki.alice).revocation_checked);
  // Hard without a CRL: unknown revocation is a problem.
  auto hard_none = store(CrlPolicy::kHard, {});
  CHECK(check(*hard_none, pki.alice).Has(CertProblem::kRevocationUnknown));
  auto hard = store(CrlPolicy::kHard, {pki.intermediate_crl});
  CHECK(check(*hard, pki.alice).usable());
  CHECK(check(*hard, pki.revoked).Has(CertProblem::kRevoked));
}

TEST_CASE("the system CA bundle loads and does not trust test roots",
          "[trust]") {
  TrustStoreOptions o;  // defaults: /etc/ssl/certs
  Result<std::shared_ptr<const TrustStore>> s = TrustStore::Create(o);
  if (!s.ok()) {
    // ca-certificates is part of the CI image; say so if it is missing.
    FAIL(s.status().ToString());
  }
  Result<ChainReport> r = (*s)->VerifyChain(
      TestPki().bob.cert, {}, ChainPurpose::kSmimeEncrypt, std::nullopt);
  REQUIRE(r.ok());
  CHECK_FALSE(r->trusted);
  TrustStoreOptions missing;
  missing.system_bundle = "/nonexistent/bundle.pem";
  missing.system_dir = "/nonexistent";
  s = TrustStore::Create(missing);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kNotFound);
}

TEST_CASE("choosing a recipient certificate", "[cert]") {
  const auto& pki = TestPki();
  CertCheckOptions options;
  options.address = "alice@example.org";
  options.trust = pki.trust.get();
  options.intermediates = {pki.intermediate.cert};
  std::vector<CertCheckReport> reports;
  // alice (1 year) outlives alice_old (30 days): the newer wins.
  Result<Certificate> c =
      ChooseCertificate({pki.alice_old.cert, pki.expired.cert, pki.alice.cert},
                        options, &reports);
  REQUIRE(c.ok());
  CHECK(*c == pki.alice.cert);
  REQUIRE(reports.size() == 3);
  CHECK(reports[0].usable());
  CHECK(reports[1].Has(CertProblem::kExpired));
  CHECK(reports[1].Has(CertProblem::kAddressMismatch));

  c = ChooseCertificate({pki.expired.cert, pki.no_eku.cert}, options);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == StatusCode::kNotFound);
  CHECK_THAT(c.status().message(),
             Catch::Contains("no usable certificate for alice@example.org") &&
                 Catch::Contains("expired") &&
                 Catch::Contains("extended-key-usage"));
  c = ChooseCertificate({}, options);
  REQUIRE_FALSE(c.ok());
}

TEST_CASE("certificate facts", "[cert]") {
  const auto& pki = TestPki();
  CHECK(pki.bob.cert.EmailAddresses() ==
        std::vector<std::string>{"bob@example.org", "Robert@Example.ORG"});
  CHECK(pki.dave_subject.cert.EmailAddresses() ==
        std::vector<std::string>{"dave@example.org"});
  CHECK(pki.carol.cert.key_kind() == KeyKind::kEc);
  CHECK(pki.bob.cert.key_bits() == 3072);
  CHECK(pki.root.cert.IsSelfIssued());
  CHECK_THAT(pki.alice.cert.Subject(), Catch::Contains("CN=Alice"));
  CHECK(pki.alice.cert.Sha256Fingerprint().size() == 64);
  // PEM and DER round trips.
  Result<std::string> pem = pki.alice.cert.ToPem();
  REQUIRE(pem.ok());
  Result<Certificate> back = Certificate::FromPem(*pem);
  REQUIRE(back.ok());
  CHECK(*back == pki.alice.cert);
  Result<std::string> der = pki.alice.cert.ToDer();
  REQUIRE(der.ok());
  CHECK(Certificate::FromDer(*der).ok());
  CHECK(Certificate::FromDer(*der + "x").status().code() ==
        StatusCode::kParseError);
  Result<std::vector<Certificate>> all =
      Certificate::AllFromPem(*pem + *pki.bob.cert.ToPem());
  REQUIRE(all.ok());
  CHECK(all->size() == 2);
  CHECK(Certificate::AllFromPem("nothing").status().code() ==
        StatusCode::kNotFound);
  Result<std::string> key_pem = pki.carol.key.ToPem();
  REQUIRE(key_pem.ok());
  Result<PrivateKey> key = PrivateKey::FromPem(*key_pem);
  REQUIRE(key.ok());
  CHECK(KeyPair::Make(pki.carol.cert, *key).ok());
  CHECK(PrivateKey::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END "
                            "PRIVATE KEY-----\n")
            .status()
            .code() == StatusCode::kParseError);
  Result<std::string> crl_pem = pki.intermediate_crl.ToPem();
  REQUIRE(crl_pem.ok());
  CHECK(Crl::FromPem(*crl_pem).ok());
  CHECK(FormatUtc(0) == "1970-01-01 00:00:00 UTC");
}

}  // namespace
}  // namespace seal::crypto
