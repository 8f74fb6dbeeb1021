// A throw-away PKI for the S/MIME tests, generated at run time with
// OpenSSL's APIs (no private keys in the repository): a root and an
// intermediate CA, user certificates with RSA 2048/3072 and EC P-256 keys,
// and certificates that are wrong in one way each (expired, not yet valid,
// no emailProtection, signing-only key usage, revoked, from an untrusted
// root). Built once per process; tests share it read-only.
#ifndef SEALMILTER_TESTS_UNIT_CRYPTO_TEST_PKI_H_
#define SEALMILTER_TESTS_UNIT_CRYPTO_TEST_PKI_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/crypto/certificate.h"
#include "lib/crypto/trust_store.h"

namespace seal::crypto::testing {

enum class KeyAlg { kRsa2048, kRsa3072, kEcP256 };

struct CertSpec {
  std::string cn;
  std::vector<std::string> emails;  // subjectAltName rfc822Name
  std::string subject_email;        // subject emailAddress
  KeyAlg key = KeyAlg::kRsa2048;
  int64_t not_before = -3600;       // seconds from now
  int64_t not_after = 365 * 86400;  // seconds from now
  bool ca = false;
  // OpenSSL config syntax; nullopt: a sensible default for the key and
  // role; "" leaves the extension out.
  std::optional<std::string> key_usage;
  std::optional<std::string> ext_key_usage;
};

struct Identity {
  Certificate cert;
  PrivateKey key;
  KeyPair pair() const { return KeyPair{cert, key}; }
};

PrivateKey GenerateKey(KeyAlg alg);
Identity MakeRoot(const std::string& cn, KeyAlg alg);
Identity Issue(const Identity& issuer, const CertSpec& spec);
Crl MakeCrl(const Identity& issuer, const std::vector<Certificate>& revoked);

struct Pki {
  Identity root;          // RSA 3072 root CA
  Identity intermediate;  // RSA 2048 CA under root
  Identity alice;         // RSA 2048, alice@example.org (intermediate)
  Identity alice_old;     // RSA 2048, alice@example.org, older key
  Identity bob;           // RSA 3072, bob@example.org (root)
  Identity carol;         // EC P-256, carol@example.org (intermediate)
  Identity dave_subject;  // RSA 2048, address only in subject emailAddress
  Identity expired;       // expired@example.org, expired yesterday
  Identity not_yet;       // valid from tomorrow
  Identity no_eku;        // extendedKeyUsage serverAuth only
  Identity sign_only;     // keyUsage digitalSignature only
  Identity revoked;       // revoked by intermediate's CRL
  Identity other_root;    // a root nobody trusts
  Identity stranger;      // stranger@example.org under other_root
  Crl intermediate_crl;   // lists `revoked`
  Crl root_crl;           // empty
  std::shared_ptr<const TrustStore> trust;  // root only, CRLs (soft)
};

const Pki& TestPki();

// Entity helpers.
std::string SampleEntity(size_t body_bytes = 200);

}  // namespace seal::crypto::testing

#endif  // SEALMILTER_TESTS_UNIT_CRYPTO_TEST_PKI_H_
