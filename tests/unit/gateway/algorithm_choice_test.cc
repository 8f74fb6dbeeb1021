// ChooseSmimeAlgorithms (lib/gateway/algorithm_choice.h): GCM and OAEP only
// from harvested capabilities, the defaults for unknown recipients, and
// a store that holds garbage or fails never stops the encryption.
#include "lib/gateway/algorithm_choice.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lib/crypto/decrypt.h"
#include "lib/gateway/harvest.h"
#include "lib/gateway/rewrite.h"
#include "tests/unit/gateway/smime_test_util.h"

namespace seal::gateway {
namespace {

using crypto::ContentCipher;
using crypto::KeyTransport;
using testing::Apply;
using testing::FieldOf;
using testing::SmimeFixture;
using testing::TestPki;

// Stores `caps` for `address` as harvest would, for `cert`.
void Harvested(store::Store& store, const std::string& address,
               const crypto::Certificate& cert,
               const crypto::SmimeCapabilities& caps) {
  Result<std::string> blob = EncodeCapabilities(caps);
  REQUIRE(blob.ok());
  store::CapabilitiesRecord rec;
  rec.address = address;
  rec.cert_sha256 = cert.Sha256Fingerprint();
  rec.blob = *blob;
  REQUIRE(store.PutCapabilities(rec).ok());
}

crypto::SmimeCapabilities Modern() {
  crypto::SmimeCapabilities caps;
  caps.present = true;
  caps.content_ciphers = {ContentCipher::kAes256Gcm, ContentCipher::kAes256Cbc};
  caps.key_transports = {KeyTransport::kRsaOaep, KeyTransport::kRsaPkcs1v15};
  return caps;
}

TEST_CASE("ChooseSmimeAlgorithms: unknown recipients get the defaults") {
  SmimeFixture f;
  SmimeAlgorithms none = ChooseSmimeAlgorithms(
      {"bob@example.org"}, {TestPki().bob.cert}, f.store.get());
  CHECK(none.cipher == ContentCipher::kAes256Cbc);
  REQUIRE(none.recipients.size() == 1);
  CHECK(none.recipients[0].transport == KeyTransport::kRsaPkcs1v15);
  CHECK(none.summary == "aes-256-cbc");
  CHECK(none.warnings.empty());
  SmimeAlgorithms no_store =
      ChooseSmimeAlgorithms({"bob@example.org"}, {TestPki().bob.cert}, nullptr);
  CHECK(no_store.cipher == ContentCipher::kAes256Cbc);
}

TEST_CASE("ChooseSmimeAlgorithms: harvested GCM and OAEP are used") {
  SmimeFixture f;
  Harvested(*f.store, "bob@example.org", TestPki().bob.cert, Modern());
  SmimeAlgorithms one = ChooseSmimeAlgorithms(
      {"bob@example.org"}, {TestPki().bob.cert}, f.store.get());
  CHECK(one.cipher == ContentCipher::kAes256Gcm);
  REQUIRE(one.recipients.size() == 1);
  CHECK(one.recipients[0].transport == KeyTransport::kRsaOaep);
  CHECK(one.summary == "aes-256-gcm+oaep:1");

  // A second recipient without capabilities: no GCM for the group, but
  // bob keeps OAEP (it is per recipient).
  SmimeAlgorithms two = ChooseSmimeAlgorithms(
      {"bob@example.org", "alice@example.org"},
      {TestPki().bob.cert, TestPki().alice.cert}, f.store.get());
  CHECK(two.cipher == ContentCipher::kAes256Cbc);
  REQUIRE(two.recipients.size() == 2);
  CHECK(two.recipients[0].transport == KeyTransport::kRsaOaep);
  CHECK(two.recipients[1].transport == KeyTransport::kRsaPkcs1v15);

  // An EC recipient has no key transport to choose; GCM still needs its
  // capabilities.
  Harvested(*f.store, "carol@example.org", TestPki().carol.cert, Modern());
  SmimeAlgorithms ec = ChooseSmimeAlgorithms(
      {"carol@example.org"}, {TestPki().carol.cert}, f.store.get());
  CHECK(ec.cipher == ContentCipher::kAes256Gcm);
  CHECK(ec.summary == "aes-256-gcm");
}

TEST_CASE(
    "ChooseSmimeAlgorithms: the address's newest record is the "
    "fallback for another certificate") {
  SmimeFixture f;
  // Capabilities seen with alice's old certificate, encrypting to the new.
  Harvested(*f.store, "alice@example.org", TestPki().alice_old.cert, Modern());
  SmimeAlgorithms a = ChooseSmimeAlgorithms(
      {"alice@example.org"}, {TestPki().alice.cert}, f.store.get());
  CHECK(a.cipher == ContentCipher::kAes256Gcm);
}

TEST_CASE(
    "ChooseSmimeAlgorithms: an unreadable record means the defaults "
    "and a warning") {
  SmimeFixture f;
  store::CapabilitiesRecord rec;
  rec.address = "bob@example.org";
  rec.cert_sha256 = TestPki().bob.cert.Sha256Fingerprint();
  rec.blob = "\x30\x05garbage";
  REQUIRE(f.store->PutCapabilities(rec).ok());
  SmimeAlgorithms a = ChooseSmimeAlgorithms(
      {"bob@example.org"}, {TestPki().bob.cert}, f.store.get());
  CHECK(a.cipher == ContentCipher::kAes256Cbc);
  CHECK(a.recipients[0].transport == KeyTransport::kRsaPkcs1v15);
  REQUIRE(a.warnings.size() == 1);
  CHECK_THAT(a.warnings[0], Catch::Contains("bob@example.org"));
}

TEST_CASE("RewriteSmime with the chosen GCM decrypts as AuthEnvelopedData") {
  SmimeFixture f;
  Harvested(*f.store, "bob@example.org", TestPki().bob.cert, Modern());
  SmimeAlgorithms a = ChooseSmimeAlgorithms(
      {"bob@example.org"}, {TestPki().bob.cert}, f.store.get());
  const std::string msg =
      "From: a@example.org\r\nTo: bob@example.org\r\nSubject: x\r\n"
      "Content-Type: text/plain\r\n\r\nsecret text\r\n";
  Result<EditPlan> plan =
      RewriteSmime(SplitMessage(msg), a.recipients, a.cipher, f.spool);
  REQUIRE(plan.ok());
  std::string out = Apply(msg, *plan);
  crypto::EntityRef ref;
  ref.content_type = FieldOf(out, "Content-Type");
  CHECK_THAT(ref.content_type, Catch::Contains("authEnveloped-data"));
  ref.transfer_encoding = FieldOf(out, "Content-Transfer-Encoding");
  MessageParts o = SplitMessage(out);
  ref.body = o.body;
  std::string plain;
  Result<crypto::DecryptResult> dr = crypto::DecryptEntity(
      ref, {TestPki().bob.pair()}, crypto::StringSink(&plain));
  REQUIRE(dr.ok());
  CHECK(dr->authenticated);
  CHECK_THAT(plain, Catch::Contains("secret text"));
}

}  // namespace
}  // namespace seal::gateway
