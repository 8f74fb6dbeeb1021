// Inbound S/MIME (lib/gateway/inbound.h): decryption with the current and a
// rolled-over key, no key, damaged and oversized CMS, signatures that are
// valid / invalid / expired / untrusted, harvesting, the forged result
// header, and the Subject tags (configurable, empty, forged).
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "lib/crypto/decrypt.h"
#include "lib/gateway/harvest.h"
#include "lib/gateway/inbound.h"
#include "lib/gateway/policy.h"
#include "lib/mime/charset.h"
#include "lib/mime/encoded_words.h"
#include "lib/mime/header_fields.h"
#include "lib/snapshot.h"
#include "tests/unit/gateway/smime_test_util.h"

namespace seal::gateway {
namespace {

using crypto::testing::SampleEntity;
using testing::Apply;
using testing::CountFields;
using testing::EncryptedTo;
using testing::FieldOf;
using testing::Outer;
using testing::SignedBy;
using testing::SmimeFixture;
using testing::TestPki;

const std::string kEntity =
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "Meet me at noon.\r\n";

Envelope Env(const std::string& sender,
             std::vector<std::string> recipients = {"alice@example.org"}) {
  return Envelope{sender, "", std::move(recipients)};
}

struct Run {
  std::string raw;
  InboundOutcome out;
  std::string delivered;
};

Run Process(SmimeFixture& f, const std::string& raw,
            const std::string& sender = "ext@other.example",
            std::vector<std::string> recipients = {"alice@example.org"}) {
  Run r;
  r.raw = raw;
  MessageParts parts = SplitMessage(r.raw);
  r.out = ProcessInbound(parts, Env(sender, std::move(recipients)), f.config,
                         f.services, f.spool);
  for (const std::string& w : r.out.warnings) UNSCOPED_INFO("warning: " << w);
  UNSCOPED_INFO("detail: " << r.out.detail);
  r.delivered = Apply(r.raw, r.out.plan);
  return r;
}

TEST_CASE("inbound: mail encrypted to an internal user is decrypted") {
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  Run r = Process(f, Outer("ext@other.example", "Lunch") +
                         EncryptedTo({TestPki().alice.cert}, kEntity));
  CHECK(r.out.verdict.kind == Verdict::Kind::kAccept);
  CHECK_FALSE(r.out.final);
  CHECK(r.out.smime);
  REQUIRE(r.out.plan.body != nullptr);
  MessageParts d = SplitMessage(r.delivered);
  CHECK(d.body == "Meet me at noon.\r\n");
  CHECK(FieldOf(r.delivered, "Content-Type") == "text/plain; charset=us-ascii");
  CHECK(CountFields(r.delivered, "Content-Transfer-Encoding") == 0);
  CHECK(CountFields(r.delivered, "Content-Disposition") == 0);
  CHECK(FieldOf(r.delivered, "Subject") == "[secure] Lunch");
  CHECK(FieldOf(r.delivered, "X-Seal-Result") == "smime=decrypted");
  CHECK(FieldOf(r.delivered, "Message-ID") == "<t1@other.example>");
  CHECK(CountFields(r.delivered, "MIME-Version") == 1);
  CHECK_THAT(r.out.detail, Catch::Contains("smime=decrypted"));
}

TEST_CASE("inbound: the key of an older, rolled-over certificate still works") {
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  f.AddKey(TestPki().alice_old);
  Run r = Process(f, Outer("ext@other.example", "Old") +
                         EncryptedTo({TestPki().alice_old.cert}, kEntity));
  REQUIRE(r.out.plan.body != nullptr);
  CHECK(SplitMessage(r.delivered).body == "Meet me at noon.\r\n");
  CHECK(FieldOf(r.delivered, "X-Seal-Result") == "smime=decrypted");
  CHECK_THAT(r.out.detail,
             Catch::Contains(
                 TestPki().alice_old.cert.Sha256Fingerprint().substr(0, 16)));
}

TEST_CASE("inbound: encrypted to several, one of them ours") {
  SmimeFixture f;
  f.AddKey(TestPki().carol);  // EC: key agreement RecipientInfo
  Run r = Process(
      f,
      Outer("ext@other.example", "Both") +
          EncryptedTo({TestPki().bob.cert, TestPki().carol.cert}, kEntity),
      "ext@other.example", {"carol@example.org"});
  REQUIRE(r.out.plan.body != nullptr);
  CHECK(SplitMessage(r.delivered).body == "Meet me at noon.\r\n");
}

TEST_CASE("inbound: decrypted only for the recipients it is encrypted to") {
  // Whoever holds a copy of the ciphertext must not get it decrypted by
  // re-sending it to another address here.
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  f.AddKey(TestPki().carol);
  const std::string raw = Outer("ext@other.example", "For Alice") +
                          EncryptedTo({TestPki().alice.cert}, kEntity);
  SECTION("another internal user") {
    Run r = Process(f, raw, "ext@other.example", {"carol@example.org"});
    CHECK(r.out.plan.body == nullptr);
    CHECK(r.delivered.find("Meet me at noon.") == std::string::npos);
    CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
          "smime=undecryptable; reason=not-for-recipient");
    CHECK(FieldOf(r.delivered, "Subject") == "For Alice");
  }
  SECTION("the right recipient and another one") {
    Run r = Process(f, raw, "ext@other.example",
                    {"alice@example.org", "mallory@example.org"});
    CHECK(r.out.plan.body == nullptr);
    CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
          "smime=undecryptable; reason=not-for-recipient");
  }
  SECTION("refused when inbound.undecryptable is reject") {
    f.config.inbound.undecryptable = "reject";
    Run r = Process(f, raw, "ext@other.example", {"carol@example.org"});
    CHECK(r.out.final);
    CHECK(r.out.verdict.kind == Verdict::Kind::kReject);
  }
  SECTION("the address compares without case") {
    Run r = Process(f, raw, "ext@other.example", {"Alice@EXAMPLE.org"});
    REQUIRE(r.out.plan.body != nullptr);
    CHECK(SplitMessage(r.delivered).body == "Meet me at noon.\r\n");
  }
}

TEST_CASE("inbound: a domain certificate's key decrypts for its domain") {
  SmimeFixture f;
  Result<std::string> der = TestPki().bob.cert.ToDer();
  REQUIRE(der.ok());
  Result<store::CertificateRecord> rec = f.vault.PutCertificateWithKey(
      *der, TestPki().bob.key.get(), store::CertSource::kDomain, "example.org");
  INFO(rec.status().ToString());
  REQUIRE(rec.ok());
  const std::string raw = Outer("ext@other.example", "Domain") +
                          EncryptedTo({TestPki().bob.cert}, kEntity);
  Run in_domain = Process(f, raw, "ext@other.example", {"dave@example.org"});
  REQUIRE(in_domain.out.plan.body != nullptr);
  CHECK(SplitMessage(in_domain.delivered).body == "Meet me at noon.\r\n");
  Run elsewhere = Process(f, raw, "ext@other.example", {"dave@example.net"});
  CHECK(elsewhere.out.plan.body == nullptr);
}

TEST_CASE("inbound: undecryptable mail per inbound.undecryptable") {
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  const std::string raw = Outer("ext@other.example", "For Bob") +
                          EncryptedTo({TestPki().bob.cert}, kEntity);
  SECTION("pass: delivered as received, with the reason") {
    Run r = Process(f, raw);
    CHECK(r.out.verdict.kind == Verdict::Kind::kAccept);
    CHECK_FALSE(r.out.final);
    CHECK(r.out.plan.body == nullptr);
    CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
          "smime=undecryptable; reason=no-key");
    CHECK(FieldOf(r.delivered, "Subject") == "For Bob");
    CHECK_THAT(FieldOf(r.delivered, "Content-Type"),
               Catch::Contains("pkcs7-mime"));
  }
  SECTION("reject: 550 5.7.1") {
    f.config.inbound.undecryptable = "reject";
    Run r = Process(f, raw);
    CHECK(r.out.final);
    CHECK(r.out.verdict.kind == Verdict::Kind::kReject);
    CHECK(r.out.verdict.smtp_code == "550");
    CHECK(r.out.verdict.enhanced_code == "5.7.1");
  }
  SECTION("quarantine: held with the reason") {
    f.config.inbound.undecryptable = "quarantine";
    Run r = Process(f, raw);
    CHECK(r.out.final);
    CHECK(r.out.verdict.kind == Verdict::Kind::kAccept);
    CHECK_THAT(r.out.plan.quarantine, Catch::Contains("no-key"));
  }
}

TEST_CASE("inbound: no master key is our fault: tempfail when rejecting") {
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  f.services.vault = nullptr;
  f.services.key_error = "master key file /x does not exist";
  const std::string raw = Outer("ext@other.example", "Lunch") +
                          EncryptedTo({TestPki().alice.cert}, kEntity);
  Run pass = Process(f, raw);
  CHECK(FieldOf(pass.delivered, "X-Seal-Result") ==
        "smime=undecryptable; reason=no-master-key");
  f.config.inbound.undecryptable = "reject";
  Run reject = Process(f, raw);
  CHECK(reject.out.verdict.kind == Verdict::Kind::kTempfail);
  CHECK(reject.out.verdict.smtp_code == "451");
  f.services.store = nullptr;
  f.services.store_error = "locked";
  Run nostore = Process(f, raw);
  CHECK(nostore.out.verdict.kind == Verdict::Kind::kTempfail);
}

TEST_CASE("inbound: the wrong master key cannot open the stored key") {
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  store::MasterKey other = store::testing::TestMasterKey('z');
  store::KeyVault wrong(*f.store, other);
  f.services.vault = &wrong;
  Run r = Process(f, Outer("ext@other.example", "Lunch") +
                         EncryptedTo({TestPki().alice.cert}, kEntity));
  CHECK(r.out.plan.body == nullptr);
  CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
        "smime=undecryptable; reason=no-master-key");
}

TEST_CASE("inbound: damaged, truncated, hostile and oversized CMS") {
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  std::string good = EncryptedTo({TestPki().alice.cert}, SampleEntity(4000));
  size_t body_at = good.find("\r\n\r\n") + 4;
  struct Case {
    const char* name;
    std::string entity;
  };
  // GCM: any changed byte fails the tag (CBC has no integrity: a changed
  // block decrypts to garbage without an error, see decrypt.h).
  std::string gcm = EncryptedTo({TestPki().alice.cert}, SampleEntity(4000),
                                crypto::ContentCipher::kAes256Gcm);
  size_t gcm_at = gcm.find("\r\n\r\n") + 4 + 2000;
  std::string flipped = gcm;
  flipped[gcm_at] = flipped[gcm_at] == 'A' ? 'B' : 'A';
  std::string truncated = good.substr(0, body_at + 600);
  std::string not_base64 = good.substr(0, body_at) + "!!!! not base64 !!!!\r\n";
  std::string empty = good.substr(0, body_at);
  std::string garbage_der = good.substr(0, body_at) + "MIIBIjANBgkqhkiG\r\n";
  const std::vector<Case> cases = {
      {"one byte of GCM ciphertext changed", flipped},
      {"truncated", truncated},
      {"not base64", not_base64},
      {"empty body", empty},
      {"not DER", garbage_der},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Run r = Process(f, Outer("ext@other.example", "Bad") + c.entity);
    CHECK(r.out.verdict.kind == Verdict::Kind::kAccept);
    CHECK(r.out.plan.body == nullptr);
    std::string result = FieldOf(r.delivered, "X-Seal-Result");
    CHECK_THAT(result, Catch::StartsWith("smime=undecryptable; reason="));
    CHECK_FALSE(r.out.warnings.empty());
  }
  SECTION("plaintext larger than the spool allows") {
    f.spool.max_size = 2000;
    Run r = Process(f, Outer("ext@other.example", "Big") + good);
    CHECK(r.out.plan.body == nullptr);
    CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
          "smime=undecryptable; reason=damaged");
  }
}

TEST_CASE("inbound: a valid signature is tagged and harvested") {
  SmimeFixture f;
  const auto& bob = TestPki().bob;  // issued by the trusted root
  Run r = Process(
      f, Outer("Bob <bob@example.org>", "Signed") + SignedBy(bob, kEntity),
      "bob@example.org");
  CHECK(r.out.smime);
  CHECK(r.out.plan.body == nullptr);  // delivered as signed, unchanged
  CHECK(FieldOf(r.delivered, "Subject") == "[signed OK] Signed");
  CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
        "smime=signed; signature=valid; signer=bob@example.org");
  CHECK_THAT(r.out.detail, Catch::Contains("harvested=1"));

  Result<std::vector<store::CertificateRecord>> certs =
      f.store->CertificatesFor("bob@example.org");
  REQUIRE(certs.ok());
  REQUIRE(certs->size() == 1);
  CHECK(certs->front().source == store::CertSource::kHarvested);
  CHECK(certs->front().sha256 == bob.cert.Sha256Fingerprint());
  CHECK_FALSE(certs->front().has_private_key);
  Result<store::CapabilitiesRecord> caps =
      f.store->CapabilitiesFor("bob@example.org");
  REQUIRE(caps.ok());
  Result<crypto::SmimeCapabilities> parsed =
      crypto::ParseSmimeCapabilities(caps->blob);
  REQUIRE(parsed.ok());
  CHECK(parsed->Supports(crypto::ContentCipher::kAes256Gcm));
  CHECK(parsed->Supports(crypto::ContentCipher::kAes256Cbc));
  CHECK(parsed->Supports(crypto::KeyTransport::kRsaOaep));
  CHECK((caps->flags & (uint64_t{1} << static_cast<int>(
                            crypto::ContentCipher::kAes256Gcm))) != 0);

  SECTION("harvest off: nothing stored") {
    SmimeFixture g;
    g.config.inbound.harvest = false;
    Run r2 = Process(g, Outer("bob@example.org", "S") + SignedBy(bob, kEntity),
                     "bob@example.org");
    CHECK(FieldOf(r2.delivered, "Subject") == "[signed OK] S");
    Result<std::vector<store::CertificateRecord>> none =
        g.store->CertificatesFor("bob@example.org");
    REQUIRE(none.ok());
    CHECK(none->empty());
  }
}

TEST_CASE("inbound: a chain through an intermediate carried in the message") {
  SmimeFixture f;
  const auto& pki = TestPki();
  Run r = Process(f, Outer("alice@example.org", "Chain") +
                         SignedBy(pki.alice, kEntity, {pki.intermediate.cert}));
  CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
        "smime=signed; signature=valid; signer=alice@example.org");
}

TEST_CASE("inbound: invalid, expired, untrusted and misaddressed signatures") {
  SmimeFixture f;
  const auto& pki = TestPki();
  struct Case {
    const char* name;
    std::string message;
    std::string status;
  };
  std::string signed_bob = SignedBy(pki.bob, kEntity);
  std::string tampered = signed_bob;
  size_t at = tampered.find("Meet me at noon.");
  REQUIRE(at != std::string::npos);
  tampered.replace(at, 4, "Meat");
  const std::vector<Case> cases = {
      {"content changed after signing",
       Outer("bob@example.org", "S") + tampered, "invalid"},
      {"expired certificate",
       Outer("expired@example.org", "S") +
           SignedBy(pki.expired, kEntity, {pki.intermediate.cert}),
       "expired"},
      {"untrusted root",
       Outer("stranger@example.org", "S") + SignedBy(pki.stranger, kEntity),
       "untrusted"},
      {"signer is not the From address",
       Outer("mallory@example.org", "S") + signed_bob, "untrusted"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Run r = Process(f, c.message);
    CHECK(FieldOf(r.delivered, "Subject") == "[signed INVALID] S");
    CHECK_THAT(FieldOf(r.delivered, "X-Seal-Result"),
               Catch::StartsWith("smime=signed; signature=" + c.status));
  }
  // Nothing was harvested from any of them.
  Result<std::vector<store::CertificateRecord>> all =
      f.store->ListCertificates();
  REQUIRE(all.ok());
  CHECK(all->empty());
}

TEST_CASE("inbound: a signature is valid only for one From address") {
  // bob's good signature, under From fields a reader may take for someone
  // else: no [signed OK], nothing harvested.
  SmimeFixture f;
  const std::string signed_bob = SignedBy(TestPki().bob, kEntity);
  struct Case {
    const char* name;
    std::string from_fields;
    std::string envelope_sender;
  };
  const std::vector<Case> cases = {
      {"a display name only, empty envelope sender",
       "From: \"CEO <ceo@bank.example>\"\r\n", ""},
      {"a display name only, the signer as envelope sender",
       "From: \"CEO <ceo@bank.example>\"\r\n", "bob@example.org"},
      {"two mailboxes", "From: bob@example.org, ceo@bank.example\r\n",
       "bob@example.org"},
      {"two From fields", "From: bob@example.org\r\nFrom: ceo@bank.example\r\n",
       "bob@example.org"},
      {"no From field and no envelope sender", "", ""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string raw = c.from_fields +
                            "To: alice@example.org\r\n"
                            "Subject: S\r\n"
                            "MIME-Version: 1.0\r\n" +
                            signed_bob;
    Run r = Process(f, raw, c.envelope_sender);
    CHECK(FieldOf(r.delivered, "Subject") == "[signed INVALID] S");
    CHECK_THAT(FieldOf(r.delivered, "X-Seal-Result"),
               Catch::StartsWith("smime=signed; signature=untrusted"));
  }
  Result<std::vector<store::CertificateRecord>> all =
      f.store->ListCertificates();
  REQUIRE(all.ok());
  CHECK(all->empty());
  SECTION("no From field: the envelope sender is the address") {
    Run r = Process(f,
                    "To: alice@example.org\r\nSubject: S\r\n"
                    "MIME-Version: 1.0\r\n" +
                        signed_bob,
                    "bob@example.org");
    CHECK(FieldOf(r.delivered, "Subject") == "[signed OK] S");
  }
}

TEST_CASE("inbound: a certificate revoked in the store does not sign") {
  // sealctl keys rollover --revoke-previous marks a compromised key in the
  // store; no CRL of the built-in CA says so.
  SmimeFixture f;
  const std::string raw =
      Outer("bob@example.org", "S") + SignedBy(TestPki().bob, kEntity);
  Run ok = Process(f, raw);
  REQUIRE(FieldOf(ok.delivered, "Subject") == "[signed OK] S");
  Result<std::string> der = TestPki().bob.cert.ToDer();
  REQUIRE(der.ok());
  Result<store::CertificateRecord> rec =
      f.store->PutCertificate(*der, store::CertSource::kImported);
  REQUIRE(rec.ok());
  REQUIRE(f.store->SetRevoked(rec->sha256, true).ok());
  Run r = Process(f, raw);
  CHECK(FieldOf(r.delivered, "Subject") == "[signed INVALID] S");
  CHECK_THAT(FieldOf(r.delivered, "X-Seal-Result"),
             Catch::StartsWith("smime=signed; signature=untrusted") &&
                 Catch::Contains("revoked"));
}

TEST_CASE("inbound: a signed message that cannot be parsed is malformed") {
  SmimeFixture f;
  std::string raw = Outer("bob@example.org", "S") +
                    "Content-Type: multipart/signed; "
                    "protocol=\"application/pkcs7-signature\"; "
                    "micalg=sha-256; boundary=\"b1\"\r\n"
                    "\r\n"
                    "--b1\r\n"
                    "Content-Type: text/plain\r\n"
                    "\r\n"
                    "hello\r\n";  // no second part, no close delimiter
  Run r = Process(f, raw);
  CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
        "smime=signed; signature=malformed");
  CHECK(FieldOf(r.delivered, "Subject") == "[signed INVALID] S");
}

TEST_CASE("inbound: an unsigned part added beside the signature is refused") {
  // Clients show a third part of multipart/signed next to the signed one;
  // it must not get the signature's verdict.
  SmimeFixture f;
  std::string signed_bob = SignedBy(TestPki().bob, kEntity);
  const size_t close = signed_bob.rfind("\r\n--");
  REQUIRE(close != std::string::npos);
  const std::string close_line = signed_bob.substr(close + 2);  // --B--
  REQUIRE(close_line.size() > 6);
  const std::string delimiter = close_line.substr(0, close_line.size() - 4);
  signed_bob.insert(close + 2, delimiter +
                                   "\r\nContent-Type: text/plain\r\n\r\n"
                                   "New bank account: pay IBAN X\r\n");
  Run r = Process(f, Outer("bob@example.org", "S") + signed_bob);
  CHECK(FieldOf(r.delivered, "Subject") == "[signed INVALID] S");
  CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
        "smime=signed; signature=malformed");
}

TEST_CASE("inbound: signed, then encrypted: both tags, the signature kept") {
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  std::string signed_entity = SignedBy(TestPki().bob, kEntity);
  Run r = Process(f,
                  Outer("bob@example.org", "Both") +
                      EncryptedTo({TestPki().alice.cert}, signed_entity),
                  "bob@example.org");
  REQUIRE(r.out.plan.body != nullptr);
  CHECK(FieldOf(r.delivered, "Subject") == "[secure] [signed OK] Both");
  CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
        "smime=decrypted; signature=valid; signer=bob@example.org");
  CHECK_THAT(FieldOf(r.delivered, "Content-Type"),
             Catch::StartsWith("multipart/signed"));
}

TEST_CASE("inbound: a forged result header is removed, forged tags too") {
  SmimeFixture f;
  std::string raw =
      "From: ext@other.example\r\n"
      "Subject: [signed OK] [secure] pay this invoice\r\n"
      "X-Seal-Result: smime=decrypted; signature=valid\r\n"
      "x-seal-result: again\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "Trust me.\r\n";
  Run r = Process(f, raw);
  CHECK_FALSE(r.out.smime);
  CHECK(CountFields(r.delivered, "X-Seal-Result") == 0);
  CHECK(FieldOf(r.delivered, "Subject") == "pay this invoice");
  CHECK_THAT(r.out.detail, Catch::Contains("removed_result_headers=2"));

  SECTION("a tag hidden in an encoded-word goes too") {
    std::string hidden =
        "From: ext@other.example\r\n"
        "Subject: =?UTF-8?Q?=5Bsigned_OK=5D?= pay =?UTF-8?Q?caf=C3=A9?=\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "Trust me.\r\n";
    Run r2 = Process(f, hidden);
    const std::string subject = FieldOf(r2.delivered, "Subject");
    CHECK(subject.find("=5Bsigned") == std::string::npos);
    // What a reader sees: the text without the tag.
    mime::CharsetConverter conv;
    mime::TextIssues issues;
    CHECK(mime::DecodeEncodedWords(mime::UnfoldValue(subject), conv, issues) ==
          "pay caf\xc3\xa9");
  }
  SECTION("an encoded Subject without a tag is left as written") {
    std::string plain =
        "From: ext@other.example\r\n"
        "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "Hi.\r\n";
    Run r2 = Process(f, plain);
    CHECK(FieldOf(r2.delivered, "Subject") == "=?UTF-8?Q?caf=C3=A9?=");
  }
  SECTION("a second Subject field with our tag is removed") {
    std::string two =
        "From: ext@other.example\r\n"
        "Subject: invoice\r\n"
        "Subject: [signed OK] invoice\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "Trust me.\r\n";
    Run r2 = Process(f, two);
    CHECK(CountFields(r2.delivered, "Subject") == 1);
    CHECK(FieldOf(r2.delivered, "Subject") == "invoice");
    // Without a tag, a malformed message is left as it came.
    std::string plain_two =
        "From: ext@other.example\r\nSubject: one\r\nSubject: two\r\n"
        "Content-Type: text/plain\r\n\r\nHi.\r\n";
    Run r3 = Process(f, plain_two);
    CHECK(CountFields(r3.delivered, "Subject") == 2);
  }

  SECTION("on signed mail the forged copy goes and ours comes") {
    std::string s = "X-Seal-Result: smime=decrypted\r\n" +
                    Outer("bob@example.org", "[signed OK] hi") +
                    SignedBy(TestPki().stranger, kEntity);
    Run r2 = Process(f, s);
    CHECK(CountFields(r2.delivered, "X-Seal-Result") == 1);
    CHECK_THAT(FieldOf(r2.delivered, "X-Seal-Result"),
               Catch::Contains("signature=untrusted"));
    CHECK(FieldOf(r2.delivered, "Subject") == "[signed INVALID] hi");
  }
}

TEST_CASE("internal mail: forged verdicts go too") {
  // A colleague cannot forge our verdict either: internal mail (from
  // inside to inside) loses the result header and leading copies of our
  // tags, as inbound mail does, and nothing else happens to it.
  SmimeFixture f;
  const std::string raw =
      "From: mallory@example.org\r\n"
      "To: bob@example.org\r\n"
      "Subject: =?UTF-8?Q?=5Bsigned_OK=5D?= new bank details\r\n"
      "X-Seal-Result: smime=signed; signature=valid; signer=ceo@example.org\r\n"
      "\r\n"
      "Please pay.\r\n";
  MessageParts parts = SplitMessage(raw);
  InboundOutcome out = RemoveForgedVerdicts(parts, f.config);
  std::string delivered = Apply(raw, out.plan);
  CHECK(CountFields(delivered, "X-Seal-Result") == 0);
  CHECK(FieldOf(delivered, "Subject").find("5Bsigned") == std::string::npos);
  CHECK(out.plan.body == nullptr);

  // Through ProcessMessage, for an authenticated sender writing inside.
  auto policy = BuildPolicy(f.config);
  REQUIRE(policy.ok());
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config = f.config;
  snapshot->policy = *policy;
  Transaction t(snapshot, Logger("s1/IN1"));
  t.envelope().sender = "mallory@example.org";
  t.envelope().auth_authen = "mallory";
  t.envelope().recipients = {"bob@example.org"};
  REQUIRE(t.spool().Append(raw).ok());
  ConnectionInfo c;
  c.client_addr = "192.0.2.9";
  Outcome o = ProcessMessage(t, c, f.services);
  CHECK(o.verdict.kind == Verdict::Kind::kAccept);
  std::string through = Apply(raw, o.plan);
  CHECK(CountFields(through, "X-Seal-Result") == 0);
  CHECK(FieldOf(through, "Subject").find("5Bsigned") == std::string::npos);

  // "[secure]" is how a colleague asks for encryption: it stays, and a
  // signature tag behind it still goes.
  for (const auto& [in, want] :
       std::vector<std::pair<std::string, std::string>>{
           {"[secure] plans", "[secure] plans"},
           {"[secure] [signed OK] plans", "[secure] plans"},
           {"[SIGNED OK][secure] plans", "plans"}}) {
    const std::string asked =
        "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: " + in +
        "\r\n\r\nhi\r\n";
    InboundOutcome kept = RemoveForgedVerdicts(SplitMessage(asked), f.config);
    CHECK(FieldOf(Apply(asked, kept.plan), "Subject") == want);
  }
}

TEST_CASE("inbound: tags and the header name are configurable") {
  SmimeFixture f;
  f.AddKey(TestPki().alice);
  std::string signed_entity = SignedBy(TestPki().bob, kEntity);
  std::string raw = Outer("bob@example.org", "Hi") +
                    EncryptedTo({TestPki().alice.cert}, signed_entity);
  SECTION("empty tags: the Subject stays") {
    f.config.inbound.tag_encrypted = "";
    f.config.inbound.tag_signed_ok = "";
    Run r = Process(f, raw);
    CHECK(FieldOf(r.delivered, "Subject") == "Hi");
    CHECK(FieldOf(r.delivered, "X-Seal-Result") ==
          "smime=decrypted; signature=valid; signer=bob@example.org");
  }
  SECTION("other tags and another header") {
    f.config.inbound.tag_encrypted = "(enc)";
    f.config.inbound.tag_signed_ok = "(sig)";
    f.config.inbound.result_header = "X-Gateway-SMIME";
    Run r = Process(f, raw);
    CHECK(FieldOf(r.delivered, "Subject") == "(enc) (sig) Hi");
    CHECK(CountFields(r.delivered, "X-Seal-Result") == 0);
    CHECK_THAT(FieldOf(r.delivered, "X-Gateway-SMIME"),
               Catch::StartsWith("smime=decrypted"));
  }
  SECTION("an invalid header name falls back, with a warning") {
    f.config.inbound.result_header = "Bad Name:";
    Run r = Process(f, raw);
    CHECK_THAT(FieldOf(r.delivered, "X-Seal-Result"),
               Catch::StartsWith("smime=decrypted"));
    CHECK_FALSE(r.out.warnings.empty());
  }
  SECTION("decrypt and verify off") {
    f.config.inbound.decrypt = false;
    Run r = Process(f, raw);
    CHECK(r.out.plan.body == nullptr);
    CHECK(FieldOf(r.delivered, "Subject") == "Hi");
    f.config.inbound.decrypt = true;
    f.config.inbound.verify = false;
    Run v = Process(f, raw);
    CHECK(FieldOf(v.delivered, "Subject") == "[secure] Hi");
    CHECK(FieldOf(v.delivered, "X-Seal-Result") ==
          "smime=decrypted; signature=unchecked");
  }
  SECTION("no Subject: one is added") {
    std::string no_subject = "From: bob@example.org\r\n" + signed_entity;
    Run r = Process(f, no_subject);
    CHECK(FieldOf(r.delivered, "Subject") == "[signed OK]");
  }
}

TEST_CASE("TagSubject: table") {
  const std::vector<std::string> ours = {"[secure]", "[signed OK]",
                                         "[signed INVALID]"};
  struct Case {
    std::string subject;
    std::vector<std::string> tags;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"Hello", {"[secure]"}, "[secure] Hello"},
      {"Hello", {"[secure]", "[signed OK]"}, "[secure] [signed OK] Hello"},
      {"[secure] Hello", {"[secure]"}, "[secure] Hello"},
      {"[signed OK] Hello", {}, "Hello"},
      {"[signed OK]", {}, ""},
      {"[signed OKAY] Hello", {}, "[signed OKAY] Hello"},
      {"Re: [signed OK] Hello", {}, "Re: [signed OK] Hello"},
      {"", {"[secure]"}, "[secure]"},
      {"Hello", {"", "[signed OK]"}, "[signed OK] Hello"},
      {"=?utf-8?q?caf=C3=A9?=", {"[secure]"}, "[secure] =?utf-8?q?caf=C3=A9?="},
      // Forgeries a reader would take for ours.
      {"[SIGNED OK] Hello", {}, "Hello"},
      {"[Signed ok]Hello", {}, "Hello"},
      {"[signed OK]: Hello", {}, ": Hello"},
      {"  [signed OK] Hello", {}, "Hello"},
      {"[secure][signed OK] Hello", {"[secure]"}, "[secure] Hello"},
  };
  for (const Case& c : cases) {
    INFO(c.subject);
    CHECK(TagSubject(c.subject, ours, c.tags) == c.want);
  }
}

TEST_CASE("harvest: capability encoding round-trips") {
  crypto::SmimeCapabilities caps;
  caps.present = true;
  caps.content_ciphers = {crypto::ContentCipher::kAes128Cbc,
                          crypto::ContentCipher::kAes256Gcm};
  caps.key_transports = {crypto::KeyTransport::kRsaPkcs1v15,
                         crypto::KeyTransport::kRsaOaep};
  Result<std::string> der = EncodeCapabilities(caps);
  REQUIRE(der.ok());
  Result<crypto::SmimeCapabilities> back = crypto::ParseSmimeCapabilities(*der);
  REQUIRE(back.ok());
  CHECK(back->content_ciphers == caps.content_ciphers);
  CHECK(back->key_transports == caps.key_transports);
  CHECK(CapabilityFlags(caps) != 0);
  CHECK(CapabilityFlags(crypto::SmimeCapabilities{}) == 0);
}

}  // namespace
}  // namespace seal::gateway
