// Key slot tests (key_slots.h) for precomputed KEKs and envelopes with
// several passphrase slots (envelope_writer.h): a slot made from a cached
// KEK opens with UnwrapPassphraseSlot and with the opener's algorithm
// (PBKDF2 as OpenSSL computes it, then AES-GCM), a wrong KEK does not, size
// and range errors, per-recipient slots with different labels, the
// remember-key rule and the 64-slot limit.
#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include "lib/envelope/crypto.h"
#include "lib/envelope/envelope_reader.h"
#include "lib/envelope/envelope_writer.h"
#include "lib/envelope/key_slots.h"
#include "tests/unit/envelope/envelope_test_util.h"

namespace seal::envelope {
namespace {

using testing::Templates;

const TimePoint kNow(std::chrono::seconds(1714564800));
const char kEnvelopeId[] = "0123456789abcdef0123456789abcdef";

// The opener's derivation, independently: OpenSSL's PBKDF2 of the
// normalized text.
std::string OpenSslKek(std::string_view normalized, std::string_view salt,
                       uint32_t iterations) {
  std::string out(32, '\0');
  REQUIRE(PKCS5_PBKDF2_HMAC(normalized.data(),
                            static_cast<int>(normalized.size()),
                            reinterpret_cast<const unsigned char*>(salt.data()),
                            static_cast<int>(salt.size()),
                            static_cast<int>(iterations), EVP_sha256(), 32,
                            reinterpret_cast<unsigned char*>(out.data())) == 1);
  return out;
}

std::string ContentKey() { return std::string(kContentKeySize, '\x5a'); }

// A cached KEK for `passphrase` (one PBKDF2 run).
struct Cached {
  std::string salt;
  std::string kek;
};
Cached Cache(std::string_view passphrase, bool generated) {
  auto salt = RandomSalt();
  REQUIRE(salt.ok());
  auto kek = DerivePassphraseKek(passphrase, generated, *salt, kMinIterations);
  REQUIRE(kek.ok());
  return Cached{*salt, *kek};
}

PassphraseSlotSpec Precomputed(const Cached& c, std::string label = "",
                               bool generated = true) {
  PassphraseSlotSpec spec;
  spec.generated = generated;
  spec.label = std::move(label);
  spec.salt = c.salt;
  spec.kek = c.kek;
  return spec;
}

TEST_CASE("RandomSalt: 16 fresh bytes", "[key_slots]") {
  auto a = RandomSalt();
  auto b = RandomSalt();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == kSaltSize);
  CHECK(*a != *b);
}

TEST_CASE("DerivePassphraseKek is the slot's derivation", "[key_slots]") {
  const std::string salt(kSaltSize, '\x11');
  auto kek =
      DerivePassphraseKek(" K7M2 x9qp-3HFD ", true, salt, kMinIterations);
  REQUIRE(kek.ok());
  CHECK(kek->size() == 32);
  CHECK(*kek == OpenSslKek("k7m2x9qp3hfd", salt, kMinIterations));
  auto trimmed =
      DerivePassphraseKek("  Open Sesame \n", false, salt, kMinIterations);
  REQUIRE(trimmed.ok());
  CHECK(*trimmed == OpenSslKek("Open Sesame", salt, kMinIterations));

  struct Row {
    const char* name;
    std::string passphrase;
    bool generated;
    std::string salt;
    uint32_t iterations;
  } rows[] = {
      {"short salt", "x", false, std::string(15, 's'), kMinIterations},
      {"long salt", "x", false, std::string(17, 's'), kMinIterations},
      {"no salt", "x", false, "", kMinIterations},
      {"few iterations", "x", false, salt, kMinIterations - 1},
      {"many iterations", "x", false, salt, kMaxIterations + 1},
      {"empty", " \t ", false, salt, kMinIterations},
      {"empty generated", " - - ", true, salt, kMinIterations},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    auto r = DerivePassphraseKek(row.passphrase, row.generated, row.salt,
                                 row.iterations);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("A slot from a precomputed KEK opens like any other", "[key_slots]") {
  const std::string pass = "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4";
  Cached c = Cache(pass, true);
  auto slot =
      MakePassphraseSlot(ContentKey(), kEnvelopeId, Precomputed(c, "bob"));
  REQUIRE(slot.ok());
  CHECK(slot->salt == c.salt);
  CHECK(slot->iterations == kMinIterations);
  CHECK(slot->normalize == kNormalizeGenerated);
  CHECK(slot->label == "bob");

  auto key =
      UnwrapPassphraseSlot(*slot, kEnvelopeId, "K7M2 X9QP 3HFD W8RA 6TNC EJV4");
  REQUIRE(key.ok());
  CHECK(*key == ContentKey());

  // The opener: PBKDF2 (here OpenSSL's) of the normalized passphrase with
  // the slot's salt, then AES-GCM under the slot's AAD.
  std::string opener_kek = OpenSslKek(
      NormalizePassphrase(pass, slot->normalize), slot->salt, slot->iterations);
  auto opened = AesGcmOpen(opener_kek, slot->iv,
                           SlotAad(KeySlot::Type::kPassphrase, kEnvelopeId),
                           slot->wrapped);
  REQUIRE(opened.ok());
  CHECK(*opened == ContentKey());

  // Other passphrase, other envelope: no.
  CHECK(
      !UnwrapPassphraseSlot(*slot, kEnvelopeId, "k7m2-x9qp-3hfd-w8ra-6tnc-ejv5")
           .ok());
  CHECK(!UnwrapPassphraseSlot(*slot, "ffffffffffffffffffffffffffffffff", pass)
             .ok());

  // Two envelopes from one cache: same salt, different IVs and wraps.
  auto again =
      MakePassphraseSlot(ContentKey(), kEnvelopeId, Precomputed(c, "bob"));
  REQUIRE(again.ok());
  CHECK(again->salt == slot->salt);
  CHECK(again->iv != slot->iv);
  CHECK(again->wrapped != slot->wrapped);
}

TEST_CASE("A wrong precomputed KEK gives a slot nobody opens", "[key_slots]") {
  const std::string pass = "correct horse battery";
  Cached c = Cache(pass, false);
  Cached wrong = c;
  wrong.kek[0] = static_cast<char>(wrong.kek[0] ^ 1);
  auto slot = MakePassphraseSlot(ContentKey(), kEnvelopeId,
                                 Precomputed(wrong, "", false));
  REQUIRE(slot.ok());  // the writer cannot tell; the caller vouches
  auto key = UnwrapPassphraseSlot(*slot, kEnvelopeId, pass);
  REQUIRE(!key.ok());
  CHECK(key.status().code() == StatusCode::kInvalidArgument);
  CHECK(IsAuthenticationFailure(key.status()));

  // A KEK cached for another salt does not fit this salt either.
  Cached other = Cache(pass, false);
  Cached mixed{other.salt, c.kek};
  auto mixed_slot = MakePassphraseSlot(ContentKey(), kEnvelopeId,
                                       Precomputed(mixed, "", false));
  REQUIRE(mixed_slot.ok());
  CHECK(!UnwrapPassphraseSlot(*mixed_slot, kEnvelopeId, pass).ok());
}

TEST_CASE("Precomputed slot: size and range errors", "[key_slots]") {
  const std::string salt(kSaltSize, 's');
  const std::string kek(32, 'k');
  struct Row {
    const char* name;
    std::string salt;
    std::string kek;
    uint32_t iterations = kMinIterations;
  };
  std::vector<Row> rows = {
      {"salt without KEK", salt, ""},
      {"KEK without salt", "", kek},
      {"short salt", std::string(15, 's'), kek},
      {"long salt", std::string(17, 's'), kek},
      {"short KEK", salt, std::string(31, 'k')},
      {"long KEK", salt, std::string(33, 'k')},
      {"few iterations", salt, kek, kMinIterations - 1},
      {"many iterations", salt, kek, kMaxIterations + 1},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    PassphraseSlotSpec spec;
    spec.passphrase = "ignored";
    spec.salt = row.salt;
    spec.kek = row.kek;
    spec.iterations = row.iterations;
    auto slot = MakePassphraseSlot(ContentKey(), kEnvelopeId, spec);
    REQUIRE(!slot.ok());
    CHECK(slot.status().code() == StatusCode::kInvalidArgument);
  }
  PassphraseSlotSpec ok;
  ok.salt = salt;
  ok.kek = kek;  // no passphrase needed with a KEK
  CHECK(MakePassphraseSlot(ContentKey(), kEnvelopeId, ok).ok());
  ok.salt.clear();
  ok.kek.clear();
  CHECK(!MakePassphraseSlot(ContentKey(), kEnvelopeId, ok).ok());  // empty
}

EnvelopeRequest Base() {
  EnvelopeRequest r;
  r.sender_address = "renee@example.com";
  r.now = kNow;
  r.options.remember_key = true;
  return r;
}

std::string Make(const EnvelopeRequest& r) {
  std::string html;
  auto info = MakeEnvelope(*Templates(), r,
                           MessageFromString("Subject: x\r\n\r\nhi\r\n"),
                           StringSink(&html));
  REQUIRE(info.ok());
  return html;
}

bool OffersRemember(const std::string& html) {
  return html.find("id=\"seal-remember\"") != std::string::npos;
}

TEST_CASE("Per-recipient slots: each recipient's passphrase opens it",
          "[key_slots][envelope]") {
  const std::string bob = "aaaa-bbbb-cccc-dddd-eeee-ffff";
  const std::string carol = "Carol's own passphrase";
  EnvelopeRequest r = Base();
  r.passphrases.push_back(Precomputed(Cache(bob, true), "bob@example.net"));
  r.passphrases.push_back(
      Precomputed(Cache(carol, false), "carol@example.org", false));
  PassphraseSlotSpec fresh;  // a new passphrase, PBKDF2 in the writer
  fresh.passphrase = "dave-new-pass";
  fresh.generated = true;
  fresh.label = "dave@example.com";
  r.passphrases.push_back(fresh);
  std::string html = Make(r);
  auto meta = ReadEnvelopeMetadata(html);
  REQUIRE(meta.ok());
  REQUIRE(meta->slots.size() == 3);
  CHECK(meta->slots[0].label == "bob@example.net");
  CHECK(meta->slots[1].label == "carol@example.org");
  CHECK(meta->slots[1].normalize == kNormalizeTrim);
  CHECK(meta->slots[2].label == "dave@example.com");
  CHECK(meta->slots[0].salt != meta->slots[1].salt);
  for (const std::string& pass : {bob, carol, std::string("DAVE NEW PASS")}) {
    INFO(pass);
    OpenOptions o;
    o.now = kNow;
    auto opened = OpenEnvelope(html, pass, o);
    REQUIRE(opened.ok());
    CHECK(opened->message == "Subject: x\r\n\r\nhi\r\n");
  }
  OpenOptions o;
  o.now = kNow;
  OpenError error = OpenError::kNone;
  CHECK(!OpenEnvelope(html, "nobody's passphrase", o, &error).ok());
  CHECK(error == OpenError::kWrongPassphrase);
  // Different labels: the opener would remember one key for one label, so
  // the page does not offer it.
  CHECK(!OffersRemember(html));
}

TEST_CASE("Remember is offered only when all slots share label and form",
          "[key_slots][envelope]") {
  Cached c = Cache("same-pass", true);
  EnvelopeRequest r = Base();
  r.passphrases = {Precomputed(c, "team"), Precomputed(c, "team")};
  CHECK(OffersRemember(Make(r)));
  r.options.remember_key = false;
  CHECK(!OffersRemember(Make(r)));
  r.options.remember_key = true;
  r.passphrases = {Precomputed(c, "team"), Precomputed(c, "")};
  CHECK(!OffersRemember(Make(r)));
  r.passphrases = {Precomputed(c, ""), Precomputed(c, "")};
  CHECK(!OffersRemember(Make(r)));
  r.passphrases = {Precomputed(c, "team", true), Precomputed(c, "team", false)};
  CHECK(!OffersRemember(Make(r)));
}

TEST_CASE("At most 64 passphrase slots", "[key_slots][envelope]") {
  Cached c = Cache("many", true);
  EnvelopeRequest r = Base();
  r.passphrases.assign(kMaxPassphraseSlots, Precomputed(c, "x"));
  std::string html = Make(r);
  auto meta = ReadEnvelopeMetadata(html);
  REQUIRE(meta.ok());
  CHECK(meta->slots.size() == 64);
  OpenOptions o;
  o.now = kNow;
  CHECK(OpenEnvelope(html, "many", o).ok());  // the first slot fits

  r.passphrases.push_back(Precomputed(c, "x"));
  std::string out;
  auto refused =
      MakeEnvelope(*Templates(), r, MessageFromString("x"), StringSink(&out));
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK(out.empty());

  // One bad slot among good ones fails the whole envelope.
  r.passphrases.resize(3);
  r.passphrases[1].kek.resize(31);
  refused =
      MakeEnvelope(*Templates(), r, MessageFromString("x"), StringSink(&out));
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seal::envelope
