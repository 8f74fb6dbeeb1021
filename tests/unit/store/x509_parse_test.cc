// Tables for certificate/CRL metadata extraction and the canonical forms the
// store keys on (lib/store/x509_parse.h, normalize.h, store.h Normalize*).
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lib/store/normalize.h"
#include "lib/store/store.h"
#include "lib/store/x509_parse.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::CertSpec;
using testing::kDay;
using testing::kNow;
using testing::MakeCert;

TEST_CASE("certificate metadata is extracted") {
  CertSpec spec;
  spec.san_emails = {"Alice@Example.COM", "alice.other@example.org",
                     "alice@example.com"};
  spec.subject_email = "ALICE@example.com";
  spec.subject_cn = "Alice Example";
  spec.serial = 0x1234abcd;
  spec.not_before = kNow - 10 * kDay;
  spec.not_after = kNow + 20 * kDay;
  testing::TestCert cert = MakeCert(spec);

  Result<CertificateRecord> rec = ParseCertificate(cert.der);
  INFO(rec.status().ToString());
  REQUIRE(rec.ok());
  CHECK(rec->der == cert.der);
  CHECK(rec->sha256.size() == 64);
  CHECK(rec->sha256 == Sha256Hex(cert.der));
  CHECK(rec->emails == std::vector<std::string>{"alice.other@example.org",
                                                "alice@example.com"});
  CHECK(rec->subject == "emailAddress=ALICE@example.com,CN=Alice Example");
  CHECK(rec->issuer == rec->subject);
  CHECK(rec->serial == "1234ABCD");
  CHECK(rec->ski.size() == 40);  // SHA-1 "hash" method
  CHECK(rec->not_before == kNow - 10 * kDay);
  CHECK(rec->not_after == kNow + 20 * kDay);
  CHECK(rec->key_algorithm == "ec:prime256v1");
  CHECK_FALSE(rec->is_ca);
  CHECK(rec->usage == (kUsageSign | kUsageEncrypt));
  CHECK(rec->ValidAt(kNow));
  CHECK_FALSE(rec->ValidAt(kNow + 21 * kDay));
  Result<std::string> issuer_der =
      NameDer(X509_get_issuer_name(cert.x509.get()));
  REQUIRE(issuer_der.ok());
  CHECK(rec->issuer_der == *issuer_der);
}

TEST_CASE("key usage and extended key usage decide sign/encrypt") {
  struct Case {
    const char* ku;
    const char* eku;
    uint32_t usage;
  };
  const std::vector<Case> cases = {
      {"critical,digitalSignature,keyEncipherment", "emailProtection",
       kUsageSign | kUsageEncrypt},
      {"critical,digitalSignature", "emailProtection", kUsageSign},
      {"critical,nonRepudiation", "emailProtection", kUsageSign},
      {"critical,keyEncipherment", "emailProtection", kUsageEncrypt},
      {"critical,keyAgreement", "emailProtection", kUsageEncrypt},
      {"critical,digitalSignature,keyEncipherment", "serverAuth", 0},
      {"critical,digitalSignature,keyEncipherment", "anyExtendedKeyUsage",
       kUsageSign | kUsageEncrypt},
      {nullptr, nullptr, kUsageSign | kUsageEncrypt},  // no restrictions
      {nullptr, "clientAuth", 0},
      {"critical,keyCertSign", nullptr, 0},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.ku ? c.ku : "(no KU)") + " / " +
         (c.eku ? c.eku : "(no EKU)"));
    CertSpec spec;
    spec.key_usage = c.ku;
    spec.ext_key_usage = c.eku;
    Result<CertificateRecord> rec = ParseCertificate(MakeCert(spec).der);
    REQUIRE(rec.ok());
    CHECK(rec->usage == c.usage);
  }
}

TEST_CASE("CA flag and missing SKI") {
  CertSpec spec;
  spec.ca = true;
  spec.ski = false;
  spec.key_usage = "critical,keyCertSign,cRLSign";
  spec.ext_key_usage = nullptr;
  Result<CertificateRecord> rec = ParseCertificate(MakeCert(spec).der);
  REQUIRE(rec.ok());
  CHECK(rec->is_ca);
  CHECK(rec->ski.empty());
  CHECK(rec->emails.empty());
}

TEST_CASE("hostile certificate blobs are parse errors, never crashes") {
  std::string good = MakeCert(CertSpec{}).der;
  std::string pem = DerToPem(good, "CERTIFICATE");
  std::string huge_len = "\x30\x84\x7f\xff\xff\xff" + std::string(16, 'A');
  struct Case {
    const char* name;
    std::string input;
  };
  const std::vector<Case> cases = {
      {"empty", ""},
      {"text", "this is not a certificate"},
      {"PEM instead of DER", pem},
      {"trailing byte", good + "X"},
      {"truncated", good.substr(0, good.size() / 2)},
      {"one byte short", good.substr(0, good.size() - 1)},
      {"length claims 2 GiB", huge_len},
      {"NUL bytes", std::string(64, '\0')},
      {"SEQUENCE of nothing", std::string("\x30\x00", 2)},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Result<CertificateRecord> rec = ParseCertificate(c.input);
    REQUIRE_FALSE(rec.ok());
    CHECK(rec.status().code() == StatusCode::kParseError);
  }
  // Every single-byte corruption either fails cleanly or still parses.
  for (size_t i = 0; i < good.size(); i += 7) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    Result<CertificateRecord> rec = ParseCertificate(bad);
    if (!rec.ok()) {
      CHECK((rec.status().code() == StatusCode::kParseError ||
             rec.status().code() == StatusCode::kResourceExhausted));
    }
  }
}

TEST_CASE("a certificate with duplicate extensions is refused") {
  testing::TestCert cert = MakeCert(CertSpec{});
  X509* x = cert.x509.get();
  X509_EXTENSION* dup = X509_EXTENSION_dup(
      X509_get_ext(x, X509_get_ext_by_NID(x, NID_basic_constraints, -1)));
  REQUIRE(dup != nullptr);
  REQUIRE(X509_add_ext(x, dup, -1) == 1);
  X509_EXTENSION_free(dup);
  REQUIRE(X509_sign(x, cert.key.get(), EVP_sha256()) > 0);
  unsigned char* der = nullptr;
  int n = i2d_X509(x, &der);
  REQUIRE(n > 0);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  Result<CertificateRecord> rec = ParseCertificate(bytes);
  REQUIRE_FALSE(rec.ok());
  CHECK(rec.status().code() == StatusCode::kParseError);
  CHECK(rec.status().message().find("invalid extensions") != std::string::npos);
}

TEST_CASE("addresses that are not plausible are skipped, too many refused") {
  CertSpec spec;
  spec.san_emails = {"no-at-sign", "ok@example.com"};
  Result<CertificateRecord> rec = ParseCertificate(MakeCert(spec).der);
  REQUIRE(rec.ok());
  CHECK(rec->emails == std::vector<std::string>{"ok@example.com"});

  CertSpec many;
  for (int i = 0; i < 5; ++i) {
    many.san_emails.push_back("user" + std::to_string(i) + "@example.com");
  }
  std::string der = MakeCert(many).der;
  CHECK(ParseCertificate(der, 5).ok());
  Result<CertificateRecord> refused = ParseCertificate(der, 4);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("CRL metadata is extracted") {
  testing::TestCert issuer = MakeCert(CertSpec{});
  std::string der = testing::MakeCrl(issuer.x509.get(), issuer.key.get(),
                                     kNow - kDay, kNow + 6 * kDay);
  Result<CrlRecord> crl = ParseCrl(der);
  INFO(crl.status().ToString());
  REQUIRE(crl.ok());
  CHECK(crl->this_update == kNow - kDay);
  CHECK(crl->next_update == kNow + 6 * kDay);
  CHECK(crl->issuer == "CN=Test User");
  CHECK(crl->issuer_der == *NameDer(X509_get_subject_name(issuer.x509.get())));
  CHECK(crl->sha256 == Sha256Hex(der));
  CHECK(ParseCrl("junk").status().code() == StatusCode::kParseError);
  CHECK(ParseCrl(der + "x").status().code() == StatusCode::kParseError);
}

TEST_CASE("PEM export reads back") {
  testing::TestCert cert = MakeCert(CertSpec{});
  std::string pem = DerToPem(cert.der, "CERTIFICATE");
  CHECK(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr back(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(back != nullptr);
  CHECK(X509_cmp(back.get(), cert.x509.get()) == 0);
}

TEST_CASE("address normalisation") {
  struct Case {
    const char* in;
    const char* out;  // nullptr: rejected
  };
  const std::vector<Case> cases = {
      {"Alice@Example.COM", "alice@example.com"},
      {"bob@example.com", "bob@example.com"},
      {"\"odd@local\"@example.com", "\"odd@local\"@example.com"},
      {"x'; DROP TABLE certificates; --@example.com",
       nullptr},  // spaces are refused
      {"x';DROP--@example.com", "x';drop--@example.com"},
      {"j\xc3\xbcrgen@example.com", "j\xc3\xbcrgen@example.com"},
      {"", nullptr},
      {"no-at", nullptr},
      {"@example.com", nullptr},
      {"user@", nullptr},
      {"us er@example.com", nullptr},
      {"user@exa\nmple.com", nullptr},
      {"user\x7f@example.com", nullptr},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    Result<std::string> got = NormalizeAddress(c.in);
    if (c.out == nullptr) {
      CHECK_FALSE(got.ok());
    } else {
      REQUIRE(got.ok());
      CHECK(*got == c.out);
    }
  }
  CHECK_FALSE(
      NormalizeAddress(std::string(300, 'a') + "@" + std::string(30, 'b'))
          .ok());
}

TEST_CASE("domain normalisation") {
  struct Case {
    const char* in;
    const char* out;
  };
  const std::vector<Case> cases = {
      {"Example.COM", "example.com"},
      {"example.com.", "example.com"},
      {"xn--mnchen-3ya.de", "xn--mnchen-3ya.de"},
      {"sub_domain.example.org", "sub_domain.example.org"},
      {"", nullptr},
      {".", nullptr},
      {"a..b", nullptr},
      {".example.com", nullptr},
      {"exa mple.com", nullptr},
      {"m\xc3\xbcnchen.de", nullptr},
      {"example.com'--", nullptr},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    Result<std::string> got = NormalizeDomain(c.in);
    if (c.out == nullptr) {
      CHECK_FALSE(got.ok());
    } else {
      REQUIRE(got.ok());
      CHECK(*got == c.out);
    }
  }
}

TEST_CASE("fingerprint, key id and serial forms") {
  std::string fp(64, 'a');
  CHECK(*NormalizeFingerprint(fp) == fp);
  std::string upper_colons;
  for (int i = 0; i < 32; ++i) upper_colons += (i ? ":AA" : "AA");
  CHECK(*NormalizeFingerprint(upper_colons) == fp);
  CHECK_FALSE(NormalizeFingerprint(fp.substr(1)).ok());
  CHECK_FALSE(NormalizeFingerprint(std::string(64, 'g')).ok());

  CHECK(*NormalizeKeyId("AB:cd:01") == "abcd01");
  CHECK_FALSE(NormalizeKeyId("abc").ok());
  CHECK_FALSE(NormalizeKeyId("").ok());

  struct Case {
    const char* in;
    const char* out;
  };
  const std::vector<Case> serials = {
      {"a", "0A"},   {"0A", "0A"}, {"00:0a", "0A"},  {"1234abcd", "1234ABCD"},
      {"-5", "-05"}, {"0", "0"},   {"xyz", nullptr}, {"", nullptr},
  };
  for (const Case& c : serials) {
    INFO(c.in);
    Result<std::string> got = NormalizeSerial(c.in);
    if (c.out == nullptr) {
      CHECK_FALSE(got.ok());
    } else {
      REQUIRE(got.ok());
      CHECK(*got == c.out);
    }
  }
}

}  // namespace
}  // namespace seal::store
