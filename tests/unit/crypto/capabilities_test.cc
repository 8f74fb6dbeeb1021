// SMIMECapabilities: what we advertise, parsing other agents' lists, and
// the conservative algorithm choice per recipient group.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lib/crypto/smime_capabilities.h"

namespace seal::crypto {
namespace {

std::string Der(STACK_OF(X509_ALGOR) * algs) {
  unsigned char* der = nullptr;
  int n = i2d_X509_ALGORS(algs, &der);
  REQUIRE(n > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

SmimeCapabilities From(std::vector<int> nids) {
  STACK_OF(X509_ALGOR)* raw = nullptr;
  for (int nid : nids) REQUIRE(CMS_add_simple_smimecap(&raw, nid, -1) == 1);
  AlgorStackPtr algs(raw);
  Result<SmimeCapabilities> caps = ParseSmimeCapabilities(Der(algs.get()));
  REQUIRE(caps.ok());
  return *caps;
}

TEST_CASE("our capabilities parse back in order", "[caps]") {
  Result<AlgorStackPtr> own = OwnSmimeCapabilities();
  REQUIRE(own.ok());
  Result<SmimeCapabilities> caps = ParseSmimeCapabilities(Der(own->get()));
  REQUIRE(caps.ok());
  CHECK(caps->present);
  CHECK(caps->ToString() == "aes-256-gcm aes-256-cbc aes-128-cbc rsa-oaep");
  // The OAEP entry carries an empty parameter SEQUENCE (RFC 3560 defaults).
  std::string der = Der(own->get());
  const std::string oaep_with_empty_params(
      "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x07\x30\x00", 13);
  CHECK(der.find(oaep_with_empty_params) != std::string::npos);
}

TEST_CASE("parsing other agents' lists", "[caps]") {
  SmimeCapabilities caps =
      From({NID_aes_256_cbc, NID_des_ede3_cbc, NID_rsaEncryption,
            NID_aes_128_gcm, NID_sha256, NID_aes_256_cbc});
  CHECK(caps.content_ciphers ==
        std::vector<ContentCipher>{ContentCipher::kAes256Cbc,
                                   ContentCipher::kAes128Gcm});
  CHECK(caps.des3_cbc);
  CHECK(caps.Supports(KeyTransport::kRsaPkcs1v15));
  CHECK_FALSE(caps.Supports(KeyTransport::kRsaOaep));
  REQUIRE(caps.other.size() == 1);
  CHECK(caps.other[0] == "sha256");
  CHECK(ParseSmimeCapabilities("garbage").status().code() ==
        StatusCode::kParseError);
}

TEST_CASE("algorithm choice table", "[caps]") {
  SmimeCapabilities gcm = From({NID_aes_256_gcm, NID_aes_256_cbc});
  SmimeCapabilities gcm128 = From({NID_aes_128_gcm, NID_aes_128_cbc});
  SmimeCapabilities cbc = From({NID_aes_256_cbc, NID_aes_128_cbc});
  SmimeCapabilities cbc128 = From({NID_aes_128_cbc, NID_des_ede3_cbc});
  SmimeCapabilities oaep = From({NID_aes_256_cbc, NID_rsaesOaep});
  struct Case {
    const char* name;
    std::vector<const SmimeCapabilities*> group;
    AlgorithmPolicy policy;
    ContentCipher expected;
  };
  const Case cases[] = {
      {"nobody known", {}, {}, ContentCipher::kAes256Cbc},
      {"unknown recipient", {nullptr}, {}, ContentCipher::kAes256Cbc},
      {"one GCM recipient", {&gcm}, {}, ContentCipher::kAes256Gcm},
      {"GCM disabled by policy",
       {&gcm},
       {false, true},
       ContentCipher::kAes256Cbc},
      {"GCM and unknown", {&gcm, nullptr}, {}, ContentCipher::kAes256Cbc},
      {"GCM and CBC only", {&gcm, &cbc}, {}, ContentCipher::kAes256Cbc},
      {"only 128-bit GCM", {&gcm128}, {}, ContentCipher::kAes128Gcm},
      {"128-bit CBC only", {&cbc128}, {}, ContentCipher::kAes128Cbc},
      {"128-bit CBC among others",
       {&cbc, &cbc128},
       {},
       ContentCipher::kAes128Cbc},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(ChooseContentCipher(c.group, c.policy) == c.expected);
  }
  CHECK(ChooseKeyTransport(nullptr) == KeyTransport::kRsaPkcs1v15);
  CHECK(ChooseKeyTransport(&cbc) == KeyTransport::kRsaPkcs1v15);
  CHECK(ChooseKeyTransport(&oaep) == KeyTransport::kRsaOaep);
  CHECK(ChooseKeyTransport(&oaep, {true, false}) == KeyTransport::kRsaPkcs1v15);
}

TEST_CASE("algorithm names", "[caps]") {
  for (ContentCipher c :
       {ContentCipher::kAes256Cbc, ContentCipher::kAes192Cbc,
        ContentCipher::kAes128Cbc, ContentCipher::kAes256Gcm,
        ContentCipher::kAes192Gcm, ContentCipher::kAes128Gcm}) {
    Result<ContentCipher> back = ParseContentCipher(ContentCipherName(c));
    REQUIRE(back.ok());
    CHECK(*back == c);
    CHECK(CipherFor(c) != nullptr);
  }
  for (KeyTransport t : {KeyTransport::kRsaPkcs1v15, KeyTransport::kRsaOaep,
                         KeyTransport::kRsaOaepSha256}) {
    Result<KeyTransport> back = ParseKeyTransport(KeyTransportName(t));
    REQUIRE(back.ok());
    CHECK(*back == t);
  }
  CHECK(ParseContentCipher("des").status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seal::crypto
