// Encryption and decryption round trips (CBC default, GCM, OAEP, EC,
// several recipients, key rollover), the RFC 8551 output format, and every
// way decryption must fail cleanly.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lib/crypto/decrypt.h"
#include "lib/crypto/encrypt.h"
#include "tests/unit/crypto/test_pki.h"
#include "tests/unit/crypto/test_util.h"

namespace seal::crypto {
namespace {

using testing::EditDer;
using testing::Identity;
using testing::MustSplit;
using testing::SampleEntity;
using testing::TestPki;

std::string Encrypt(const std::string& entity,
                    const std::vector<EncryptRecipient>& recipients,
                    ContentCipher cipher = ContentCipher::kAes256Cbc) {
  std::string out;
  EncryptOptions options;
  options.cipher = cipher;
  Result<std::vector<HeaderField>> h =
      EncryptEntity(entity, recipients, options, StringSink(&out));
  REQUIRE(h.ok());
  return out;
}

Result<DecryptResult> Decrypt(const std::string& entity,
                              const std::vector<KeyPair>& keys,
                              std::string* plain) {
  ParsedEntity p = MustSplit(entity);
  plain->clear();
  return DecryptEntity(p.ref(), keys, StringSink(plain));
}

struct RoundTrip {
  const char* name;
  ContentCipher cipher;
  KeyTransport transport;
  const Identity* (*who)();
};

const Identity* Alice() { return &TestPki().alice; }
const Identity* Bob() { return &TestPki().bob; }
const Identity* Carol() { return &TestPki().carol; }

TEST_CASE("encrypt then decrypt round trips", "[encrypt][decrypt]") {
  const RoundTrip cases[] = {
      {"aes-256-cbc rsa2048 pkcs1", ContentCipher::kAes256Cbc,
       KeyTransport::kRsaPkcs1v15, Alice},
      {"aes-256-cbc rsa3072 pkcs1", ContentCipher::kAes256Cbc,
       KeyTransport::kRsaPkcs1v15, Bob},
      {"aes-128-cbc rsa2048 pkcs1", ContentCipher::kAes128Cbc,
       KeyTransport::kRsaPkcs1v15, Alice},
      {"aes-256-gcm rsa2048 pkcs1", ContentCipher::kAes256Gcm,
       KeyTransport::kRsaPkcs1v15, Alice},
      {"aes-128-gcm rsa3072 pkcs1", ContentCipher::kAes128Gcm,
       KeyTransport::kRsaPkcs1v15, Bob},
      {"aes-256-cbc rsa2048 oaep", ContentCipher::kAes256Cbc,
       KeyTransport::kRsaOaep, Alice},
      {"aes-256-gcm rsa3072 oaep-sha256", ContentCipher::kAes256Gcm,
       KeyTransport::kRsaOaepSha256, Bob},
      {"aes-256-cbc ec p-256", ContentCipher::kAes256Cbc,
       KeyTransport::kRsaPkcs1v15, Carol},
      {"aes-256-gcm ec p-256", ContentCipher::kAes256Gcm,
       KeyTransport::kRsaPkcs1v15, Carol},
      {"aes-128-cbc ec p-256", ContentCipher::kAes128Cbc,
       KeyTransport::kRsaPkcs1v15, Carol},
  };
  for (const RoundTrip& c : cases) {
    SECTION(c.name) {
      const Identity* id = c.who();
      for (size_t size :
           {size_t{0}, size_t{1}, size_t{57}, size_t{4000}, size_t{300000}}) {
        std::string entity = SampleEntity(size);
        std::string out = Encrypt(entity, {{id->cert, c.transport}}, c.cipher);
        std::string plain;
        Result<DecryptResult> r = Decrypt(out, {id->pair()}, &plain);
        INFO(c.name << " size " << size);
        REQUIRE(r.ok());
        CHECK(plain == entity);
        CHECK(r->authenticated == IsAead(c.cipher));
        CHECK(r->bytes == entity.size());
      }
    }
  }
}

TEST_CASE("output is an RFC 8551 application/pkcs7-mime entity", "[encrypt]") {
  std::string out = Encrypt(SampleEntity(5000), {{TestPki().alice.cert}});
  ParsedEntity p = MustSplit(out);
  REQUIRE(p.headers.size() == 3);
  CHECK(*p.Find("Content-Type") ==
        "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m");
  CHECK(*p.Find("Content-Transfer-Encoding") == "base64");
  CHECK(*p.Find("Content-Disposition") == "attachment; filename=smime.p7m");
  // Every line ends in CRLF; base64 lines are 76 characters but the last.
  std::string_view body = p.body;
  REQUIRE(body.size() > 0);
  REQUIRE(body.substr(body.size() - 2) == "\r\n");
  size_t lines = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    REQUIRE(eol != std::string_view::npos);
    std::string_view line = body.substr(pos, eol - pos);
    CHECK(line.find('\n') == std::string_view::npos);
    if (eol + 2 < body.size()) CHECK(line.size() == 76);
    CHECK(line.size() <= 76);
    pos = eol + 2;
    ++lines;
  }
  CHECK(lines > 10);
  for (char c : std::string(p.header_block)) {
    if (c == '\n') continue;
  }
  CHECK(out.find("\n") == out.find("\r\n") + 1);

  std::string gcm = Encrypt(SampleEntity(10), {{TestPki().alice.cert}},
                            ContentCipher::kAes256Gcm);
  CHECK(*MustSplit(gcm).Find("Content-Type") ==
        "application/pkcs7-mime; smime-type=authEnveloped-data; "
        "name=smime.p7m");
}

TEST_CASE("headers can be returned without being written", "[encrypt]") {
  std::string body;
  EncryptOptions options;
  options.emit_headers = false;
  Result<std::vector<HeaderField>> h = EncryptEntity(
      SampleEntity(100), {{TestPki().alice.cert}}, options, StringSink(&body));
  REQUIRE(h.ok());
  REQUIRE(h->size() == 3);
  CHECK(body.rfind("MI", 0) == 0);  // base64 of a DER SEQUENCE
  EntityRef ref{(*h)[0].value, (*h)[1].value, body};
  std::string plain;
  REQUIRE(
      DecryptEntity(ref, {TestPki().alice.pair()}, StringSink(&plain)).ok());
  CHECK(plain == SampleEntity(100));
}

TEST_CASE("input in several pieces is one stream", "[encrypt]") {
  std::string entity = SampleEntity(10000);
  std::string_view v = entity;
  ByteSource pieces(std::vector<std::string_view>{
      v.substr(0, 10), v.substr(10, 0), v.substr(10, 5000), v.substr(5010)});
  std::string out;
  REQUIRE(EncryptEntity(pieces, {{TestPki().alice.cert}}, {}, StringSink(&out))
              .ok());
  std::string plain;
  REQUIRE(Decrypt(out, {TestPki().alice.pair()}, &plain).ok());
  CHECK(plain == entity);
}

TEST_CASE("input from a BIO", "[encrypt]") {
  std::string entity = SampleEntity(70000);
  BioPtr bio(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  std::string out;
  REQUIRE(EncryptEntity(ByteSource::FromBio(bio.get()), {{TestPki().bob.cert}},
                        {}, StringSink(&out))
              .ok());
  std::string plain;
  REQUIRE(Decrypt(out, {TestPki().bob.pair()}, &plain).ok());
  CHECK(plain == entity);
}

TEST_CASE("several recipients each decrypt", "[encrypt][decrypt]") {
  const auto& pki = TestPki();
  std::string entity = SampleEntity(2000);
  for (ContentCipher cipher :
       {ContentCipher::kAes256Cbc, ContentCipher::kAes256Gcm}) {
    std::string out = Encrypt(entity,
                              {{pki.alice.cert},
                               {pki.bob.cert, KeyTransport::kRsaOaep},
                               {pki.carol.cert}},
                              cipher);
    for (const Identity* id : {&pki.alice, &pki.bob, &pki.carol}) {
      std::string plain;
      Result<DecryptResult> r = Decrypt(out, {id->pair()}, &plain);
      REQUIRE(r.ok());
      CHECK(plain == entity);
      CHECK(r->recipient_count == 3);
    }
    std::string plain;
    Result<DecryptResult> r = Decrypt(out, {pki.stranger.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
  }
}

TEST_CASE("old keys after a rollover still decrypt", "[decrypt]") {
  const auto& pki = TestPki();
  std::string entity = SampleEntity(100);
  std::string to_old = Encrypt(entity, {{pki.alice_old.cert}});
  std::string to_new = Encrypt(entity, {{pki.alice.cert}});
  std::vector<KeyPair> keys = {pki.bob.pair(), pki.alice.pair(),
                               pki.alice_old.pair()};
  std::string plain;
  Result<DecryptResult> r = Decrypt(to_old, keys, &plain);
  REQUIRE(r.ok());
  CHECK(r->key_index == 2);
  CHECK(plain == entity);
  r = Decrypt(to_new, keys, &plain);
  REQUIRE(r.ok());
  CHECK(r->key_index == 1);
  CHECK(plain == entity);
}

TEST_CASE("decryption failures are clear", "[decrypt]") {
  const auto& pki = TestPki();
  const std::string entity = SampleEntity(3000);
  const std::string cbc = Encrypt(entity, {{pki.alice.cert}});
  const std::string gcm =
      Encrypt(entity, {{pki.alice.cert}}, ContentCipher::kAes256Gcm);
  std::string plain;

  SECTION("wrong key: not addressed to us, names the recipient") {
    Result<DecryptResult> r = Decrypt(cbc, {pki.bob.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
    CHECK_THAT(r.status().message(),
               Catch::Contains("not encrypted to any of our 1 certificate") &&
                   Catch::Contains("Test Intermediate CA") &&
                   Catch::Contains(pki.alice.cert.SerialHex()));
  }
  SECTION("no keys at all") {
    Result<DecryptResult> r = Decrypt(cbc, {}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
  }
  SECTION("mismatched key pair is refused when built") {
    Result<KeyPair> pair = KeyPair::Make(pki.alice.cert, pki.bob.key);
    REQUIRE_FALSE(pair.ok());
    CHECK_THAT(pair.status().message(),
               Catch::Contains("does not belong to certificate"));
  }
  SECTION("truncated CMS") {
    for (size_t keep : {size_t{10}, size_t{200}, size_t{2000}}) {
      std::string cut =
          EditDer(cbc, [keep](std::string& d) { d.resize(keep); });
      Result<DecryptResult> r = Decrypt(cut, {pki.alice.pair()}, &plain);
      INFO("kept " << keep);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == StatusCode::kParseError);
      CHECK_THAT(r.status().message(),
                 Catch::Contains("truncated or malformed CMS"));
    }
  }
  SECTION("truncated base64 text") {
    std::string cut = cbc.substr(0, cbc.size() - 301);
    Result<DecryptResult> r = Decrypt(cut, {pki.alice.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kParseError);
  }
  SECTION("garbage in the base64") {
    std::string bad = cbc;
    bad[bad.size() / 2] = '*';
    Result<DecryptResult> r = Decrypt(bad, {pki.alice.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kParseError);
    CHECK_THAT(r.status().message(),
               Catch::Contains("invalid base64 character 0x2a at offset"));
  }
  SECTION("not base64 at all") {
    std::string bad = std::string(MustSplit(cbc).header_block) +
                      "this is not base64 data!\r\n";
    Result<DecryptResult> r = Decrypt(bad, {pki.alice.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kParseError);
  }
  SECTION("tampered GCM ciphertext fails the tag") {
    // Flip a byte in the middle of the encrypted content.
    std::string bad = EditDer(gcm, [](std::string& d) {
      d[d.size() - 1500] = static_cast<char>(d[d.size() - 1500] ^ 0x01);
    });
    Result<DecryptResult> r = Decrypt(bad, {pki.alice.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kParseError);
    CHECK_THAT(r.status().message(), Catch::Contains("authentication failed"));
  }
  SECTION("tampered GCM tag") {
    std::string bad = EditDer(gcm, [](std::string& d) {
      // The tag is the last OCTET STRING (04 10 + 16 bytes), followed only
      // by end-of-contents octets.
      size_t end = d.find_last_not_of('\0');
      REQUIRE(end != std::string::npos);
      size_t tag = end + 1 - 16;
      REQUIRE(d.substr(tag - 2, 2) == "\x04\x10");
      d[tag + 5] = static_cast<char>(d[tag + 5] ^ 0x80);
    });
    Result<DecryptResult> r = Decrypt(bad, {pki.alice.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kParseError);
  }
  SECTION("tampered encrypted key") {
    // Damage the RSA-encrypted content key: PKCS#1 v1.5 failures are
    // hidden by OpenSSL (random key), so this fails at the content.
    std::string bad = EditDer(gcm, [](std::string& d) {
      size_t at = 300;  // inside the RecipientInfo's encryptedKey
      d[at] = static_cast<char>(d[at] ^ 0x55);
    });
    Result<DecryptResult> r = Decrypt(bad, {pki.alice.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
  }
  SECTION("not an encrypted entity") {
    std::string clear = SampleEntity(10);
    Result<DecryptResult> r = Decrypt(clear, {pki.alice.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  }
  SECTION("signed-data is not encrypted") {
    std::string st = cbc;
    size_t at = st.find("enveloped-data");
    st.replace(at, 14, "signed-data");
    Result<DecryptResult> r = Decrypt(st, {pki.alice.pair()}, &plain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  }
  SECTION("a failing sink stops decryption with its own status") {
    ParsedEntity p = MustSplit(cbc);
    Result<DecryptResult> r =
        DecryptEntity(p.ref(), {pki.alice.pair()},
                      [](std::string_view) { return IoError("disk full"); });
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kIoError);
    CHECK_THAT(r.status().message(), Catch::Contains("disk full"));
  }
}

TEST_CASE("encryption input errors", "[encrypt]") {
  std::string out;
  Result<std::vector<HeaderField>> r =
      EncryptEntity(SampleEntity(10), {}, {}, StringSink(&out));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  r = EncryptEntity(SampleEntity(10), {{Certificate()}}, {}, StringSink(&out));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  // A sink that fails: its status comes back.
  int calls = 0;
  r = EncryptEntity(SampleEntity(400000), {{TestPki().alice.cert}}, {},
                    [&calls](std::string_view) {
                      return ++calls > 2 ? IoError("sink full") : Status::Ok();
                    });
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kIoError);
}

TEST_CASE("definite-length DER from OpenSSL's one-shot API", "[decrypt]") {
  // Not our streaming (indefinite-length) form: the splitter must rebuild
  // definite lengths around the removed content.
  const std::string entity = SampleEntity(70000);
  for (bool gcm : {false, true}) {
    BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
    X509StackPtr certs(sk_X509_new_null());
    X509_up_ref(TestPki().alice.cert.get());
    sk_X509_push(certs.get(), TestPki().alice.cert.get());
    CmsPtr cms(CMS_encrypt(certs.get(), in.get(),
                           gcm ? EVP_aes_256_gcm() : EVP_aes_128_cbc(),
                           CMS_BINARY));
    REQUIRE(cms);
    unsigned char* der = nullptr;
    int n = i2d_CMS_ContentInfo(cms.get(), &der);
    REQUIRE(n > 0);
    std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(n));
    OPENSSL_free(der);
    CHECK(static_cast<unsigned char>(bytes[1]) == 0x83);  // definite length
    std::string plain;
    Result<DecryptResult> r =
        DecryptCms(bytes, {TestPki().alice.pair()}, StringSink(&plain));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(plain == entity);
    // And as a base64 entity.
    std::string mime =
        "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        Base64EncodeLines(bytes);
    r = Decrypt(mime, {TestPki().alice.pair()}, &plain);
    REQUIRE(r.ok());
    CHECK(plain == entity);
  }
}

TEST_CASE("raw DER decryption", "[decrypt]") {
  std::string out = Encrypt(SampleEntity(500), {{TestPki().carol.cert}});
  Result<std::string> der = Base64Decode(MustSplit(out).body);
  REQUIRE(der.ok());
  std::string plain;
  Result<DecryptResult> r =
      DecryptCms(*der, {TestPki().carol.pair()}, StringSink(&plain));
  REQUIRE(r.ok());
  CHECK(plain == SampleEntity(500));
  // In pieces.
  std::string_view v = *der;
  plain.clear();
  r = DecryptCms(ByteSource(std::vector<std::string_view>{
                     v.substr(0, 7), v.substr(7, 100), v.substr(107)}),
                 {TestPki().carol.pair()}, StringSink(&plain));
  REQUIRE(r.ok());
  CHECK(plain == SampleEntity(500));
}

}  // namespace
}  // namespace seal::crypto

namespace seal::crypto {
namespace {

// Robustness: damaged CMS objects (random byte changes, cuts, inserted
// bytes) must give an error or a result, never a crash or a hang. The
// sanitizer build makes this meaningful.
TEST_CASE("mutated CMS objects never crash", "[decrypt][robustness]") {
  const auto& pki = TestPki();
  std::string entity = SampleEntity(3000);
  std::vector<std::string> ders;
  for (ContentCipher cipher :
       {ContentCipher::kAes256Cbc, ContentCipher::kAes256Gcm}) {
    std::string out =
        Encrypt(entity, {{pki.alice.cert}, {pki.carol.cert}}, cipher);
    Result<std::string> der = Base64Decode(MustSplit(out).body);
    REQUIRE(der.ok());
    ders.push_back(*der);
  }
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
  };
  int ok = 0;
  for (const std::string& der : ders) {
    for (int round = 0; round < 400; ++round) {
      std::string d = der;
      switch (next() % 3) {
        case 0:
          for (int k = 0; k < 1 + static_cast<int>(next() % 4); ++k) {
            d[next() % d.size()] = static_cast<char>(next());
          }
          break;
        case 1:
          d.resize(next() % d.size());
          break;
        case 2:
          d.insert(next() % d.size(), std::string(1 + next() % 3, '\x80'));
          break;
      }
      std::string plain;
      Result<DecryptResult> r = DecryptCms(
          d, {pki.alice.pair(), pki.carol.pair()}, StringSink(&plain));
      if (r.ok()) ++ok;
    }
  }
  // CBC damage outside the RecipientInfos mostly goes unnoticed; the test is
  // that nothing crashed.
  CHECK(ok < 800);  // many mutations were detected
}

}  // namespace
}  // namespace seal::crypto
