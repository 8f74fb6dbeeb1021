// Shared set-up for the gateway S/MIME tests (inbound_test.cc,
// signing_test.cc): a fresh SQLite store with a vault under a test master
// key, Services pointing at them, the run-time test PKI of the crypto tests,
// and helpers that build messages and apply an EditPlan the way the MTA
// would.
#ifndef SEALMILTER_TESTS_UNIT_GATEWAY_SMIME_TEST_UTIL_H_
#define SEALMILTER_TESTS_UNIT_GATEWAY_SMIME_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "lib/config.h"
#include "lib/crypto/encrypt.h"
#include "lib/crypto/sign.h"
#include "lib/gateway/edit_plan.h"
#include "lib/gateway/header_block.h"
#include "lib/gateway/process.h"
#include "lib/gateway/render.h"
#include "lib/spool.h"
#include "lib/store/key_vault.h"
#include "lib/store/sqlite_store.h"
#include "tests/unit/crypto/test_pki.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::gateway::testing {

using crypto::testing::Identity;
using crypto::testing::TestPki;

struct SmimeFixture {
  SmimeFixture()
      : store(store::testing::OpenFresh(dir.File("store.db"))),
        master(store::testing::TestMasterKey('k')),
        vault(*store, master) {
    services.store = store.get();
    services.vault = &vault;
    services.trust = TestPki().trust;
    config = Config::Defaults();
    config.gateway.internal_domains = {"example.org"};
    spool.directory = dir.path();
    spool.memory_limit = 1 << 20;
    spool.max_size = 64 << 20;
  }

  // Stores `id`'s certificate with its private key (an internal user).
  store::CertificateRecord AddKey(const Identity& id) {
    Result<std::string> der = id.cert.ToDer();
    REQUIRE(der.ok());
    Result<store::CertificateRecord> rec = vault.PutCertificateWithKey(
        *der, id.key.get(), store::CertSource::kImported);
    INFO(rec.status().ToString());
    REQUIRE(rec.ok());
    return *rec;
  }

  store::testing::TempDir dir;
  std::unique_ptr<store::SqliteStore> store;
  store::MasterKey master;
  store::KeyVault vault;
  Services services;
  Config config;
  SpoolOptions spool;
};

inline std::string Outer(const std::string& from, const std::string& subject) {
  return "From: " + from +
         "\r\n"
         "To: alice@example.org\r\n"
         "Subject: " +
         subject +
         "\r\n"
         "Message-ID: <t1@other.example>\r\n"
         "MIME-Version: 1.0\r\n";
}

inline std::string EncryptedTo(
    const std::vector<crypto::Certificate>& certs, const std::string& entity,
    crypto::ContentCipher cipher = crypto::ContentCipher::kAes256Cbc) {
  std::vector<crypto::EncryptRecipient> rcpts;
  for (const crypto::Certificate& c : certs) rcpts.push_back({c, {}});
  std::string out;
  crypto::EncryptOptions options;
  options.cipher = cipher;
  Result<std::vector<crypto::HeaderField>> h =
      crypto::EncryptEntity(entity, rcpts, options, crypto::StringSink(&out));
  INFO(h.status().ToString());
  REQUIRE(h.ok());
  return out;
}

inline std::string SignedBy(const Identity& id, const std::string& entity,
                            std::vector<crypto::Certificate> chain = {}) {
  crypto::Signer signer{id.pair(), std::move(chain)};
  std::string out;
  Result<std::vector<crypto::HeaderField>> h = crypto::SignEntity(
      entity, signer, crypto::SignOptions{}, crypto::StringSink(&out));
  INFO(h.status().ToString());
  REQUIRE(h.ok());
  return out;
}

// The message after `plan`, as the MTA would deliver it.
inline std::string Apply(const std::string& raw, const EditPlan& plan) {
  MessageParts parts = SplitMessage(raw);
  std::string out = RenderHeaderBlock(parts, plan.headers);
  if (plan.body) {
    Result<SpoolView> v = plan.body->Map();
    REQUIRE(v.ok());
    out += std::string(v->data());
  } else {
    out += std::string(parts.body);
  }
  return out;
}

// The value of the first field `name` of `message`, or "(none)".
inline std::string FieldOf(const std::string& message,
                           const std::string& name) {
  MessageParts parts = SplitMessage(message);
  const RawField* f = FindField(parts, name);
  return f != nullptr ? f->value : "(none)";
}

inline int CountFields(const std::string& message, const std::string& name) {
  MessageParts parts = SplitMessage(message);
  int n = 0;
  for (const RawField& f : parts.fields) {
    if (crypto::EqualsIgnoreCase(f.name, name)) ++n;
  }
  return n;
}

}  // namespace seal::gateway::testing

#endif  // SEALMILTER_TESTS_UNIT_GATEWAY_SMIME_TEST_UTIL_H_
