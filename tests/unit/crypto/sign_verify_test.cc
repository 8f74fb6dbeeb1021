// Signing and verification: multipart/signed output, verdicts (valid,
// invalid, untrusted, expired) with reasons, the facts a signature carries
// (chain, addresses, SMIMECapabilities, signing time), opaque signed-data,
// canonicalisation, and sign-then-encrypt unwrapped again.
#include <catch2/catch.hpp>
#include <ctime>
#include <string>
#include <vector>

#include "lib/crypto/canonical.h"
#include "lib/crypto/cms_input.h"
#include "lib/crypto/sign.h"
#include "lib/crypto/unwrap.h"
#include "lib/crypto/verify.h"
#include "tests/unit/crypto/test_pki.h"
#include "tests/unit/crypto/test_util.h"

namespace seal::crypto {
namespace {

using testing::Identity;
using testing::MustSplit;
using testing::SampleEntity;
using testing::TestPki;

Signer SignerFor(const Identity& id, bool with_intermediate = true) {
  Signer s{id.pair(), {}};
  if (with_intermediate) s.chain = {TestPki().intermediate.cert};
  return s;
}

std::string Sign(const std::string& entity, const Signer& signer,
                 SignOptions options = {}) {
  std::string out;
  Result<std::vector<HeaderField>> h =
      SignEntity(entity, signer, options, StringSink(&out));
  REQUIRE(h.ok());
  return out;
}

Result<VerifyResult> Verify(const std::string& entity,
                            VerifyOptions options = {},
                            const TrustStore* trust = nullptr,
                            std::string* content = nullptr) {
  ParsedEntity p = MustSplit(entity);
  ByteSink sink;
  if (content != nullptr) sink = StringSink(content);
  return VerifyEntity(p.ref(), trust ? *trust : *TestPki().trust, options,
                      content ? &sink : nullptr);
}

TEST_CASE("signed output is multipart/signed with the exact entity", "[sign]") {
  std::string entity = SampleEntity(3000);
  SignOptions options;
  options.boundary = "----=_test_boundary";
  std::string out = Sign(entity, SignerFor(TestPki().alice), options);
  ParsedEntity p = MustSplit(out);
  REQUIRE(p.headers.size() == 1);
  CHECK(*p.Find("Content-Type") ==
        "multipart/signed; protocol=\"application/pkcs7-signature\"; "
        "micalg=sha-256; boundary=\"----=_test_boundary\"");
  Result<MultipartSignedParts> parts =
      SplitMultipartSigned(p.body, "----=_test_boundary");
  REQUIRE(parts.ok());
  CHECK(parts->signed_part == entity);
  ParsedEntity sig = MustSplit(parts->signature_entity);
  CHECK(*sig.Find("Content-Type") ==
        "application/pkcs7-signature; name=smime.p7s");
  CHECK(*sig.Find("Content-Disposition") == "attachment; filename=smime.p7s");
  CHECK(out.substr(out.size() - 25) == "------=_test_boundary--\r\n");
  CHECK(IsCrlfCanonical(out));
}

TEST_CASE("sign then verify: valid, with the sender's facts",
          "[sign][verify]") {
  const auto& pki = TestPki();
  struct Case {
    const char* name;
    const Identity* id;
    bool chain;
    std::string address;
    const char* digest;
    size_t chain_len;  // leaf to root
  };
  const Case cases[] = {
      {"rsa 2048 via intermediate", &pki.alice, true, "alice@example.org",
       "sha256", 3},
      {"rsa 3072 under the root", &pki.bob, false, "robert@example.org",
       "sha256", 2},
      {"ec p-256", &pki.carol, true, "carol@example.org", "sha256", 3},
      {"address in subject only", &pki.dave_subject, true, "DAVE@example.org",
       "sha256", 3},
  };
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const Case& c : cases) {
    SECTION(c.name) {
      std::string entity = SampleEntity(10000);
      std::string out = Sign(entity, SignerFor(*c.id, c.chain));
      VerifyOptions options;
      options.sender_address = c.address;
      std::string content;
      Result<VerifyResult> r = Verify(out, options, nullptr, &content);
      REQUIRE(r.ok());
      INFO(r->reason);
      CHECK(r->status == SignatureStatus::kValid);
      CHECK(r->reason.empty());
      CHECK_FALSE(r->opaque);
      CHECK(r->address_checked);
      CHECK(r->address_match);
      CHECK(content == entity);
      CHECK(r->signed_content == entity);
      REQUIRE(r->signers.size() == 1);
      const SignerReport& s = r->signers[0];
      CHECK(s.cert == c.id->cert);
      CHECK(s.digest == c.digest);
      REQUIRE(s.signing_time.has_value());
      CHECK(*s.signing_time >= now - 60);
      CHECK(*s.signing_time <= now + 60);
      CHECK(s.chain.size() == c.chain_len);
      CHECK(s.chain.back() == pki.root.cert);
      CHECK_FALSE(s.emails.empty());
      // Our own capabilities come back parsed.
      CHECK(s.capabilities.present);
      CHECK(s.capabilities.content_ciphers ==
            std::vector<ContentCipher>{ContentCipher::kAes256Gcm,
                                       ContentCipher::kAes256Cbc,
                                       ContentCipher::kAes128Cbc});
      CHECK(s.capabilities.key_transports ==
            std::vector<KeyTransport>{KeyTransport::kRsaOaep});
      CHECK(s.capabilities.other.empty());
    }
  }
}

TEST_CASE("signature verdicts for bad signatures and bad certificates",
          "[verify]") {
  const auto& pki = TestPki();
  const std::string entity = SampleEntity(2000);

  SECTION("tampered content is invalid") {
    std::string out = Sign(entity, SignerFor(pki.alice));
    size_t at = out.find("lazy dog");
    out[at] = 'L';
    Result<VerifyResult> r = Verify(out);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kInvalid);
    CHECK_THAT(r->reason, Catch::Contains("does not match the content"));
  }
  SECTION("tampered signature value is invalid") {
    std::string out = Sign(entity, SignerFor(pki.alice), {});
    ParsedEntity p = MustSplit(out);
    std::string boundary =
        ParseContentType(*p.Find("Content-Type"))->Param("boundary");
    Result<MultipartSignedParts> parts = SplitMultipartSigned(p.body, boundary);
    REQUIRE(parts.ok());
    ParsedEntity sig = MustSplit(parts->signature_entity);
    Result<std::string> der = Base64Decode(sig.body);
    REQUIRE(der.ok());
    std::string d = *der;
    // The signature value is at the very end of the SignerInfo.
    d[d.size() - 10] = static_cast<char>(d[d.size() - 10] ^ 0x01);
    std::string resigned =
        std::string(p.header_block) +
        std::string(p.body.substr(
            0, static_cast<size_t>(sig.body.data() - p.body.data()))) +
        Base64EncodeLines(d) + "--" + boundary + "--\r\n";
    Result<VerifyResult> r = Verify(resigned);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kInvalid);
  }
  SECTION("untrusted root") {
    std::string out =
        Sign(entity, Signer{pki.stranger.pair(), {pki.other_root.cert}});
    Result<VerifyResult> r = Verify(out);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kUntrusted);
    CHECK_THAT(r->reason, Catch::Contains("untrusted"));
  }
  SECTION("missing intermediate is untrusted") {
    std::string out = Sign(entity, SignerFor(pki.alice, false));
    Result<VerifyResult> r = Verify(out);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kUntrusted);
  }
  SECTION("expired signer certificate") {
    std::string out = Sign(entity, SignerFor(pki.expired));
    Result<VerifyResult> r = Verify(out);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kExpired);
    CHECK_THAT(r->reason, Catch::Contains("expired (notAfter"));
    // At a time when it was valid, it verifies (against a store without
    // CRLs: today's CRLs are not valid yet at that time).
    TrustStoreOptions no_crl;
    no_crl.use_system_store = false;
    no_crl.anchors = {pki.root.cert};
    no_crl.crl_policy = CrlPolicy::kOff;
    auto store = TrustStore::Create(no_crl);
    REQUIRE(store.ok());
    VerifyOptions then;
    then.at_time = pki.expired.cert.NotAfter() - 3600;
    r = Verify(out, then, store->get());
    REQUIRE(r.ok());
    INFO(r->reason);
    CHECK(r->status == SignatureStatus::kValid);
    // With today's CRLs the revocation state at that time is unknown.
    r = Verify(out, then);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kUntrusted);
    CHECK_THAT(r->reason, Catch::Contains("revocation-unknown"));
  }
  SECTION("not yet valid signer certificate") {
    std::string out = Sign(entity, SignerFor(pki.not_yet));
    Result<VerifyResult> r = Verify(out);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kExpired);
    CHECK_THAT(r->reason, Catch::Contains("not-yet-valid"));
  }
  SECTION("certificate not for this address") {
    std::string out = Sign(entity, SignerFor(pki.alice));
    VerifyOptions options;
    options.sender_address = "mallory@example.org";
    Result<VerifyResult> r = Verify(out, options);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kUntrusted);
    CHECK(r->address_checked);
    CHECK_FALSE(r->address_match);
    CHECK_THAT(r->reason, Catch::Contains("address-mismatch") &&
                              Catch::Contains("not for mallory@example.org"));
  }
  SECTION("revoked signer certificate") {
    std::string out = Sign(entity, SignerFor(pki.revoked));
    Result<VerifyResult> r = Verify(out);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kInvalid);
    CHECK_THAT(r->reason, Catch::Contains("revoked"));
  }
  SECTION("certificate without emailProtection") {
    std::string out = Sign(entity, SignerFor(pki.no_eku));
    Result<VerifyResult> r = Verify(out);
    REQUIRE(r.ok());
    CHECK(r->status == SignatureStatus::kUntrusted);
    CHECK_THAT(r->reason, Catch::Contains("extended-key-usage"));
  }
}

TEST_CASE("malformed signed messages are errors", "[verify]") {
  const auto& pki = TestPki();
  SignOptions options;
  options.boundary = "b0undary";
  std::string out = Sign(SampleEntity(500), SignerFor(pki.alice), options);
  struct Case {
    const char* name;
    std::string message;
    StatusCode code;
    const char* text;
  };
  std::string no_close = out.substr(0, out.find("--b0undary--"));
  const size_t sig_start = out.find("\r\n\r\nMI") + 4;
  std::string sig_garbage = out;
  sig_garbage.insert(sig_start + 100, "!!");
  std::string sig_truncated = out;
  {
    size_t start = sig_start;
    size_t end = sig_truncated.find("--b0undary--");
    size_t mid = start + (end - start) / 2;
    sig_truncated.erase(mid, end - 2 - mid);  // keep the CRLF before "--"
  }
  std::string one_part =
      out.substr(
          0, out.find("\r\n--b0undary\r\nContent-Type: application/pkcs7")) +
      "\r\n--b0undary--\r\n";
  std::string pgp = out;
  pgp.replace(pgp.find("application/pkcs7-signature\""), 28,
              "application/pgp-signature\"");
  const Case cases[] = {
      {"no closing boundary", no_close, StatusCode::kParseError, "truncated"},
      {"garbage base64 in the signature", sig_garbage, StatusCode::kParseError,
       "invalid base64 character"},
      {"truncated signature", sig_truncated, StatusCode::kParseError,
       "truncated or malformed CMS"},
      {"only one part", one_part, StatusCode::kParseError, "only one part"},
      {"PGP/MIME signature", pgp, StatusCode::kFailedPrecondition,
       "not S/MIME"},
      {"not signed at all", SampleEntity(10), StatusCode::kFailedPrecondition,
       "not signed"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Result<VerifyResult> r = Verify(c.message);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == c.code);
      CHECK_THAT(r.status().message(), Catch::Contains(c.text));
    }
  }
}

TEST_CASE("a signed part that lost its CRs still verifies", "[verify]") {
  std::string out = Sign(SampleEntity(1000), SignerFor(TestPki().alice));
  std::string lf;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r' && i + 1 < out.size() && out[i + 1] == '\n') continue;
    lf += out[i];
  }
  Result<VerifyResult> r = Verify(lf);
  REQUIRE(r.ok());
  CHECK(r->status == SignatureStatus::kValid);
}

TEST_CASE("signing canonicalises line ends first", "[sign]") {
  std::string lf_entity = "Content-Type: text/plain\n\nline one\nline two\rx\n";
  std::string out = Sign(lf_entity, SignerFor(TestPki().alice));
  std::string content;
  Result<VerifyResult> r = Verify(out, {}, nullptr, &content);
  REQUIRE(r.ok());
  CHECK(r->status == SignatureStatus::kValid);
  CHECK(content ==
        "Content-Type: text/plain\r\n\r\nline one\r\nline two\r\nx\r\n");
}

// Opaque signed-data made with OpenSSL's own API (as another agent would).
std::string OpaqueSigned(const std::string& content, const Identity& id) {
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  X509StackPtr chain(sk_X509_new_null());
  X509_up_ref(TestPki().intermediate.cert.get());
  sk_X509_push(chain.get(), TestPki().intermediate.cert.get());
  CmsPtr cms(
      CMS_sign(id.cert.get(), id.key.get(), chain.get(), in.get(), CMS_BINARY));
  REQUIRE(cms);
  BioPtr out(BIO_new(BIO_s_mem()));
  REQUIRE(i2d_CMS_bio(out.get(), cms.get()) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);  // NOLINT
  return "Content-Type: application/pkcs7-mime; smime-type=signed-data; "
         "name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         Base64EncodeLines(std::string(data, static_cast<size_t>(n)));
}

TEST_CASE("opaque signed-data verifies and yields its content", "[verify]") {
  std::string entity = SampleEntity(5000);
  std::string opaque = OpaqueSigned(entity, TestPki().carol);
  std::string content;
  Result<VerifyResult> r = Verify(opaque, {}, nullptr, &content);
  REQUIRE(r.ok());
  INFO(r->reason);
  CHECK(r->status == SignatureStatus::kValid);
  CHECK(r->opaque);
  CHECK(content == entity);
  // OpenSSL's default capabilities list is parsed too.
  REQUIRE(r->signers.size() == 1);
  CHECK(r->signers[0].capabilities.Supports(ContentCipher::kAes256Cbc));

  // Tampered content inside the structure.
  std::string bad = testing::EditDer(opaque, [](std::string& d) {
    size_t at = d.find("lazy dog");
    d[at] = 'L';
  });
  content.clear();
  r = Verify(bad, {}, nullptr, &content);
  REQUIRE(r.ok());
  CHECK(r->status == SignatureStatus::kInvalid);
}

TEST_CASE("sign then encrypt, unwrapped with keys and trust",
          "[sign][encrypt][unwrap]") {
  const auto& pki = TestPki();
  std::string entity = SampleEntity(50000);
  for (ContentCipher cipher :
       {ContentCipher::kAes256Cbc, ContentCipher::kAes256Gcm}) {
    std::string out;
    EncryptOptions enc;
    enc.cipher = cipher;
    Result<std::vector<HeaderField>> h = SignAndEncryptEntity(
        entity, SignerFor(pki.alice), {}, {{pki.bob.cert}, {pki.carol.cert}},
        enc, StringSink(&out));
    REQUIRE(h.ok());
    CHECK((*h)[0].value.find("application/pkcs7-mime") == 0);

    for (const Identity* reader : {&pki.bob, &pki.carol}) {
      std::string inner;
      UnwrapOptions options;
      options.spool.directory = "/tmp";
      options.verify.sender_address = "alice@example.org";
      Result<UnwrapReport> r =
          UnwrapEntity(MustSplit(out).ref(), {reader->pair()}, *pki.trust,
                       options, StringSink(&inner));
      REQUIRE(r.ok());
      REQUIRE(r->layers.size() == 2);
      CHECK(r->decrypted());
      CHECK(r->layers[0].decrypt.authenticated == IsAead(cipher));
      REQUIRE(r->signature() != nullptr);
      CHECK(r->signature()->status == SignatureStatus::kValid);
      CHECK(r->signature()->address_match);
      CHECK(inner == entity);
    }
  }
}

TEST_CASE("unwrap refuses clear messages and reports bad layers", "[unwrap]") {
  const auto& pki = TestPki();
  UnwrapOptions options;
  options.spool.directory = "/tmp";
  std::string inner;
  Result<UnwrapReport> r =
      UnwrapEntity(MustSplit(SampleEntity(10)).ref(), {pki.alice.pair()},
                   *pki.trust, options, StringSink(&inner));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);

  // Signed only, by an untrusted signer: content still comes out.
  std::string out = Sign(SampleEntity(300),
                         Signer{pki.stranger.pair(), {pki.other_root.cert}});
  r = UnwrapEntity(MustSplit(out).ref(), {}, *pki.trust, options,
                   StringSink(&inner));
  REQUIRE(r.ok());
  CHECK_FALSE(r->decrypted());
  REQUIRE(r->signature() != nullptr);
  CHECK(r->signature()->status == SignatureStatus::kUntrusted);
  CHECK(inner == SampleEntity(300));
}

TEST_CASE("detached verification from DER", "[verify]") {
  SignOptions options;
  options.boundary = "xyz";
  std::string entity = SampleEntity(100);
  std::string out = Sign(entity, SignerFor(TestPki().carol), options);
  ParsedEntity p = MustSplit(out);
  Result<MultipartSignedParts> parts = SplitMultipartSigned(p.body, "xyz");
  REQUIRE(parts.ok());
  Result<std::string> der =
      Base64Decode(MustSplit(parts->signature_entity).body);
  REQUIRE(der.ok());
  Result<VerifyResult> r =
      VerifyDetached(entity, *der, *TestPki().trust, VerifyOptions{});
  REQUIRE(r.ok());
  CHECK(r->status == SignatureStatus::kValid);
  r = VerifyDetached(entity + "x", *der, *TestPki().trust, VerifyOptions{});
  REQUIRE(r.ok());
  CHECK(r->status == SignatureStatus::kInvalid);
  // A detached signature is not opaque signed-data.
  r = VerifyOpaque(*der, *TestPki().trust, VerifyOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kParseError);
}

}  // namespace
}  // namespace seal::crypto
