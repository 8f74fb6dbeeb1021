// Certificate checks for S/MIME use: may this certificate encrypt to (or
// sign for) this address now? Used to pick recipient certificates and to
// judge signer certificates. Every problem found is reported, each with a
// structured reason, not only the first.
//
// Checks: validity dates at `at_time`; keyUsage (RSA encryption needs
// keyEncipherment, EC needs keyAgreement, signing needs digitalSignature or
// nonRepudiation; an absent extension allows all); extendedKeyUsage
// (emailProtection or anyExtendedKeyUsage when the extension is present);
// the address in subjectAltName rfc822Name or subject emailAddress; key type
// (RSA ≥ min_rsa_bits, EC on a named curve); and, with a TrustStore, that
// the chain builds to an anchor and nothing in it is revoked per the
// store's CRLs.
// Known limits: no certificate policies, no name constraints beyond what
// OpenSSL enforces while building the chain.
// Thread-safety: pure functions over immutable inputs.
#ifndef SEALMILTER_LIB_CRYPTO_CERT_CHECK_H_
#define SEALMILTER_LIB_CRYPTO_CERT_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/crypto/certificate.h"
#include "lib/crypto/trust_store.h"
#include "lib/status.h"

namespace seal::crypto {

enum class CertUse { kEncryption, kSigning };

enum class CertProblem {
  kExpired,            // notAfter passed (this certificate or an issuer)
  kNotYetValid,        // notBefore in the future
  kKeyUsage,           // keyUsage forbids this use
  kExtendedKeyUsage,   // extendedKeyUsage lacks emailProtection
  kAddressMismatch,    // the address is not in the certificate
  kUntrusted,          // the chain does not reach a trust anchor
  kRevoked,            // a CRL lists this certificate or an issuer
  kRevocationUnknown,  // CRL required (kHard) but missing or unusable
  kUnsupportedKey,     // neither RSA nor EC
  kWeakKey,            // RSA shorter than min_rsa_bits
  kChainInvalid,       // any other chain error (bad signature, CA flags)
};

// Stable lower-case name for logs and the CLI: "expired", "key-usage", ...
std::string_view CertProblemName(CertProblem problem);

struct CertIssue {
  CertProblem problem;
  std::string detail;
};

struct CertCheckOptions {
  CertUse use = CertUse::kEncryption;
  std::string address;                // empty: not checked
  std::optional<int64_t> at_time;     // now when unset
  const TrustStore* trust = nullptr;  // null: chain not checked
  std::vector<Certificate> intermediates;
  int min_rsa_bits = 2048;
};

struct CertCheckReport {
  std::vector<CertIssue> issues;
  std::vector<Certificate> chain;   // when a TrustStore was given
  bool revocation_checked = false;  // CRLs covered the certificate

  bool usable() const { return issues.empty(); }
  bool Has(CertProblem problem) const;
  // "expired (notAfter 2024-01-01 00:00:00 UTC); address-mismatch (...)".
  std::string Summary() const;
};

Result<CertCheckReport> CheckCertificate(const Certificate& cert,
                                         const CertCheckOptions& options);

// The usable candidate that stays valid longest (latest notAfter), or
// kNotFound whose message lists why each candidate was rejected. `reports`
// (optional) receives one report per candidate, in order.
Result<Certificate> ChooseCertificate(
    const std::vector<Certificate>& candidates, const CertCheckOptions& options,
    std::vector<CertCheckReport>* reports = nullptr);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_CERT_CHECK_H_
