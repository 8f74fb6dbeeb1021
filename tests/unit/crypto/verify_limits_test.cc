// SignedData past what a real message carries is refused before OpenSSL
// digests anything (lib/crypto/verify.cc): duplicated digestAlgorithms (one
// digest pass over the content each) and many signers. A valid signature
// is not needed to cost CPU, so these are refused as malformed, quickly.
#include <openssl/bio.h>
#include <openssl/cms.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "lib/crypto/ossl.h"
#include "lib/crypto/verify.h"
#include "tests/unit/crypto/test_pki.h"

namespace seal::crypto {
namespace {

using testing::TestPki;

// A detached SignedData over `content` by bob (issued by the trusted root),
// with `signers` SignerInfos; the certificate is carried once.
std::string DetachedSignature(const std::string& content, int signers) {
  const auto& bob = TestPki().bob;
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  REQUIRE(in);
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, in.get(),
                      CMS_DETACHED | CMS_BINARY | CMS_PARTIAL));
  REQUIRE(cms);
  for (int i = 0; i < signers; ++i) {
    REQUIRE(CMS_add1_signer(cms.get(), bob.cert.get(), bob.key.get(),
                            EVP_sha256(),
                            CMS_BINARY | (i > 0 ? CMS_NOCERTS : 0)) != nullptr);
  }
  BioPtr data(
      BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  REQUIRE(CMS_final(cms.get(), data.get(), nullptr,
                    CMS_DETACHED | CMS_BINARY) == 1);
  unsigned char* der = nullptr;
  int len = i2d_CMS_ContentInfo(cms.get(), &der);
  REQUIRE(len > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// DER: tag, definite length, contents.
std::string Tlv(unsigned char tag, const std::string& contents) {
  std::string out(1, static_cast<char>(tag));
  size_t n = contents.size();
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else {
    std::string len;
    while (n > 0) {
      len.insert(len.begin(), static_cast<char>(n & 0xff));
      n >>= 8;
    }
    out += static_cast<char>(0x80 | len.size());
    out += len;
  }
  return out + contents;
}

// Splits DER `in` into its elements (tag+length+contents each).
std::vector<std::string> Elements(const std::string& in) {
  std::vector<std::string> out;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = p + in.size();
  while (p < end) {
    const unsigned char* start = p;
    long n = 0;
    int tag = 0, xclass = 0;
    int flags = ASN1_get_object(&p, &n, &tag, &xclass, end - p);
    REQUIRE((flags & 0x80) == 0);
    REQUIRE((flags & 0x01) == 0);
    p += n;
    out.emplace_back(reinterpret_cast<const char*>(start), p - start);
  }
  return out;
}

std::string Contents(const std::string& tlv) {
  const auto* p = reinterpret_cast<const unsigned char*>(tlv.data());
  long n = 0;
  int tag = 0, xclass = 0;
  ASN1_get_object(&p, &n, &tag, &xclass, static_cast<long>(tlv.size()));
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

// `der` with its digestAlgorithms SET holding `copies` copies of its first
// algorithm.
std::string WithDigestAlgorithms(const std::string& der, int copies) {
  std::vector<std::string> ci = Elements(Contents(der));  // OID, [0]
  REQUIRE(ci.size() == 2);
  std::string signed_data = Contents(ci[1]);  // SEQUENCE
  std::vector<std::string> sd = Elements(Contents(signed_data));
  REQUIRE(sd.size() >= 4);  // version, digestAlgorithms, content, ...
  std::vector<std::string> algs = Elements(Contents(sd[1]));
  REQUIRE(!algs.empty());
  std::string set;
  for (int i = 0; i < copies; ++i) set += algs[0];
  sd[1] = Tlv(0x31, set);
  std::string body;
  for (const std::string& e : sd) body += e;
  return Tlv(0x30, ci[0] + Tlv(0xa0, Tlv(0x30, body)));
}

VerifyOptions Options() {
  VerifyOptions o;
  o.sender_address = "bob@example.org";
  return o;
}

TEST_CASE("verify limits: a real signature passes the checks") {
  const std::string content = "Content-Type: text/plain\r\n\r\nhello\r\n";
  std::string der = DetachedSignature(content, 1);
  Result<VerifyResult> r =
      VerifyDetached(content, der, *TestPki().trust, Options());
  INFO((r.ok() ? "" : r.status().message()));
  REQUIRE(r.ok());
  CHECK(r->status == SignatureStatus::kValid);
  // Rebuilt with the same single algorithm: byte-identical, still valid.
  CHECK(WithDigestAlgorithms(der, 1) == der);
  r = VerifyDetached(content, WithDigestAlgorithms(der, 8), *TestPki().trust,
                     Options());
  REQUIRE(r.ok());
  CHECK(r->status == SignatureStatus::kValid);
}

TEST_CASE("verify limits: duplicated digest algorithms are refused") {
  const std::string content =
      "Content-Type: text/plain\r\n\r\n" + std::string(1 << 20, 'x') + "\r\n";
  std::string der = WithDigestAlgorithms(DetachedSignature(content, 1), 20000);
  auto start = std::chrono::steady_clock::now();
  Result<VerifyResult> r =
      VerifyDetached(content, der, *TestPki().trust, Options());
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kParseError);
  CHECK_THAT(r.status().message(), Catch::Contains("20000 digest algorithms"));
  // Not a timing assertion on speed, a bound against 20000 passes over a
  // megabyte (minutes) having happened at all.
  CHECK(took < std::chrono::seconds(20));
}

TEST_CASE("verify limits: many signers are refused") {
  const std::string content = "Content-Type: text/plain\r\n\r\nhi\r\n";
  Result<VerifyResult> r = VerifyDetached(
      content, DetachedSignature(content, 9), *TestPki().trust, Options());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("9 signers"));
  r = VerifyDetached(content, DetachedSignature(content, 8), *TestPki().trust,
                     Options());
  REQUIRE(r.ok());
}

}  // namespace
}  // namespace seal::crypto
