// The certificates the CA builds: extensions, serials, subject forms, and
// that OpenSSL's own verifier accepts them for S/MIME
// (lib/ca/cert_builder.h).
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "lib/ca/cert_builder.h"
#include "lib/ca/distinguished_name.h"
#include "lib/ca/key_type.h"
#include "lib/store/x509_parse.h"
#include "tests/unit/ca/ca_test_util.h"

namespace seal::ca {
namespace {

using testing::kDay;
using testing::kNow;

struct TestCa {
  store::EvpPkeyPtr key;
  store::X509Ptr cert;
  std::string der;
};

TestCa MakeCa(KeyType type = KeyType::kEcP256) {
  TestCa ca;
  ca.key = std::move(GenerateKey(type).value());
  store::X509NamePtr name =
      std::move(ParseDistinguishedName("CN=Test CA,O=Example").value());
  Result<store::X509Ptr> cert = BuildCaCertificate(
      ca.key.get(), name.get(), kNow - kDay, kNow + 3650 * kDay);
  INFO(cert.status().ToString());
  REQUIRE(cert.ok());
  ca.cert = std::move(*cert);
  ca.der = CertificateDer(ca.cert.get()).value();
  return ca;
}

TEST_CASE("serial numbers are random, positive and 128 bits") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    Result<store::Asn1IntegerPtr> serial = RandomSerial();
    REQUIRE(serial.ok());
    store::BignumPtr bn(ASN1_INTEGER_to_BN(serial->get(), nullptr));
    CHECK(BN_num_bits(bn.get()) == 128);
    CHECK_FALSE(BN_is_negative(bn.get()));
    seen.insert(*store::SerialHex(serial->get()));
  }
  CHECK(seen.size() == 200);
}

TEST_CASE("the CA certificate is a self-signed CA with the right extensions") {
  TestCa ca = MakeCa();
  X509* x = ca.cert.get();
  CHECK(X509_get_version(x) == X509_VERSION_3);
  CHECK(X509_check_ca(x) == 1);
  CHECK((X509_get_extension_flags(x) & EXFLAG_SS) != 0);
  CHECK(X509_get_key_usage(x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(X509_get_pathlen(x) == 0);
  CHECK_FALSE(testing::Hex(X509_get0_subject_key_id(x)).empty());
  CHECK(testing::Hex(X509_get0_authority_key_id(x)) ==
        testing::Hex(X509_get0_subject_key_id(x)));
  CHECK(X509_get_signature_nid(x) == NID_ecdsa_with_SHA256);
  CHECK(testing::SerialBits(x) == 128);
  CHECK(store::NameText(X509_get_subject_name(x)) == "CN=Test CA,O=Example");
  store::EvpPkeyPtr pub(X509_get_pubkey(x));
  CHECK(X509_verify(x, pub.get()) == 1);
  CHECK(testing::Verify(ca.der, ca.der, kNow, X509_PURPOSE_ANY) == X509_V_OK);
}

TEST_CASE("user certificates: S/MIME extensions and a verifiable chain") {
  TestCa ca = MakeCa();
  store::EvpPkeyPtr user = std::move(GenerateKey(KeyType::kRsa2048).value());
  Result<store::X509Ptr> cert =
      BuildUserCertificate(ca.cert.get(), ca.key.get(), user.get(),
                           "alice@example.com", kNow - 3600, kNow + 365 * kDay);
  REQUIRE(cert.ok());
  X509* x = cert->get();
  std::string der = CertificateDer(x).value();

  CHECK(X509_get_version(x) == X509_VERSION_3);
  CHECK(X509_check_ca(x) == 0);
  CHECK(X509_get_key_usage(x) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  CHECK(X509_get_extended_key_usage(x) == XKU_SMIME);
  CHECK(testing::SanEmails(x) == std::vector<std::string>{"alice@example.com"});
  CHECK(store::NameText(X509_get_subject_name(x)) == "CN=alice@example.com");
  CHECK(X509_NAME_cmp(X509_get_issuer_name(x),
                      X509_get_subject_name(ca.cert.get())) == 0);
  CHECK_FALSE(testing::Hex(X509_get0_subject_key_id(x)).empty());
  CHECK(testing::Hex(X509_get0_authority_key_id(x)) ==
        testing::Hex(X509_get0_subject_key_id(ca.cert.get())));
  CHECK(testing::SerialBits(x) == 128);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(x)) == 2048);
  // keyUsage and basicConstraints are critical.
  int ku = X509_get_ext_by_NID(x, NID_key_usage, -1);
  int bc = X509_get_ext_by_NID(x, NID_basic_constraints, -1);
  REQUIRE(ku >= 0);
  REQUIRE(bc >= 0);
  CHECK(X509_EXTENSION_get_critical(X509_get_ext(x, ku)) == 1);
  CHECK(X509_EXTENSION_get_critical(X509_get_ext(x, bc)) == 1);

  for (int purpose : {X509_PURPOSE_SMIME_ENCRYPT, X509_PURPOSE_SMIME_SIGN}) {
    CHECK(testing::Verify(ca.der, der, kNow, purpose) == X509_V_OK);
  }
  CHECK(testing::Verify(ca.der, der, kNow + 366 * kDay,
                        X509_PURPOSE_SMIME_ENCRYPT) ==
        X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK(testing::Verify(ca.der, der, kNow - 2 * 3600,
                        X509_PURPOSE_SMIME_ENCRYPT) ==
        X509_V_ERR_CERT_NOT_YET_VALID);
  TestCa other = MakeCa();
  CHECK(testing::Verify(other.der, der, kNow, X509_PURPOSE_SMIME_ENCRYPT) !=
        X509_V_OK);

  // What the store will read from it.
  Result<store::CertificateRecord> rec = store::ParseCertificate(der);
  REQUIRE(rec.ok());
  CHECK(rec->emails == std::vector<std::string>{"alice@example.com"});
  CHECK(rec->usage == (store::kUsageSign | store::kUsageEncrypt));
  CHECK(rec->key_algorithm == "rsa:2048");
}

TEST_CASE("subject form follows the address length") {
  TestCa ca = MakeCa();
  store::EvpPkeyPtr user = std::move(GenerateKey(KeyType::kEcP256).value());
  struct Case {
    std::string address;
    std::string subject;
    bool san_critical;
  };
  std::string l64 = std::string(52, 'a') + "@example.com";    // 64
  std::string l65 = std::string(53, 'a') + "@example.com";    // 65
  std::string l129 = std::string(117, 'a') + "@example.com";  // 129
  const std::vector<Case> cases = {
      {l64, "CN=" + l64, false},
      {l65, "emailAddress=" + l65, false},
      {l129, "", true},
  };
  for (const Case& c : cases) {
    INFO(c.address.size());
    Result<store::X509Ptr> cert =
        BuildUserCertificate(ca.cert.get(), ca.key.get(), user.get(), c.address,
                             kNow - 3600, kNow + 30 * kDay);
    INFO(cert.status().ToString());
    REQUIRE(cert.ok());
    CHECK(store::NameText(X509_get_subject_name(cert->get())) == c.subject);
    CHECK(testing::SanEmails(cert->get()) ==
          std::vector<std::string>{c.address});
    int san = X509_get_ext_by_NID(cert->get(), NID_subject_alt_name, -1);
    REQUIRE(san >= 0);
    CHECK((X509_EXTENSION_get_critical(X509_get_ext(cert->get(), san)) == 1) ==
          c.san_critical);
    CHECK(testing::Verify(ca.der, CertificateDer(cert->get()).value(), kNow,
                          X509_PURPOSE_SMIME_ENCRYPT) == X509_V_OK);
  }
}

TEST_CASE("bad requests are refused") {
  TestCa ca = MakeCa();
  store::EvpPkeyPtr user = std::move(GenerateKey(KeyType::kEcP256).value());
  CHECK(BuildUserCertificate(ca.cert.get(), ca.key.get(), user.get(),
                             "j\xc3\xbcrgen@example.com", kNow, kNow + kDay)
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(BuildUserCertificate(ca.cert.get(), ca.key.get(), user.get(), "", kNow,
                             kNow + kDay)
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(BuildUserCertificate(ca.cert.get(), ca.key.get(), user.get(),
                             "x@example.com", kNow, kNow)
            .status()
            .code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seal::ca
