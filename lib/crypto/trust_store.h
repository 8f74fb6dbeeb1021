// TrustStore: the certificates signatures and recipient certificates must
// chain to (the system CA bundle and/or configured anchors), the CRLs the
// caller supplies, and chain building with every problem recorded.
//
// Anchors may be any certificate, not only self-signed roots
// (X509_V_FLAG_PARTIAL_CHAIN): a configured intermediate or pinned
// certificate is trusted as given. CRL checking (X509_V_FLAG_CRL_CHECK, and
// CRL_CHECK_ALL with `crl_check_chain`) uses only the CRLs given here: no
// network. Under CrlPolicy::kSoft a certificate whose issuer has no CRL
// passes (revocation_checked is then false); under kHard it fails.
// VerifyChain keeps going after an error so a report can list them all.
// Known limits: no OCSP, no delta CRLs, no AIA fetching of intermediates
// (they must come with the message or from the caller).
// Thread-safety: immutable after Create; share the const object across
// threads (OpenSSL's X509_STORE locks its own lookups).
#ifndef SEALMILTER_LIB_CRYPTO_TRUST_STORE_H_
#define SEALMILTER_LIB_CRYPTO_TRUST_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/crypto/certificate.h"
#include "lib/crypto/ossl.h"
#include "lib/status.h"

namespace seal::crypto {

enum class CrlPolicy { kOff, kSoft, kHard };

struct TrustStoreOptions {
  bool use_system_store = true;
  std::string system_bundle = "/etc/ssl/certs/ca-certificates.crt";
  std::string system_dir = "/etc/ssl/certs";  // used when no bundle file
  std::vector<Certificate> anchors;
  std::vector<Crl> crls;
  CrlPolicy crl_policy = CrlPolicy::kSoft;
  bool crl_check_chain = false;  // also intermediates, not only the leaf
};

enum class ChainPurpose { kSmimeSign, kSmimeEncrypt, kAny };

struct ChainIssue {
  int error = 0;  // X509_V_ERR_*
  int depth = 0;  // 0 is the certificate itself
  std::string text;
};

struct ChainReport {
  bool trusted = false;  // no issues
  std::vector<ChainIssue> issues;
  std::vector<Certificate> chain;   // leaf first, as far as it was built
  bool revocation_checked = false;  // a CRL covered the leaf (and chain)
};

class TrustStore {
 public:
  static Result<std::shared_ptr<const TrustStore>> Create(
      TrustStoreOptions options);
  ~TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;

  // Builds and checks the chain of `leaf` at `at_time` (now when unset),
  // using `untrusted` (e.g. certificates carried in a CMS message) as
  // intermediates. Non-OK only when OpenSSL itself fails.
  Result<ChainReport> VerifyChain(const Certificate& leaf,
                                  const std::vector<Certificate>& untrusted,
                                  ChainPurpose purpose,
                                  std::optional<int64_t> at_time) const;

  const TrustStoreOptions& options() const { return options_; }
  X509_STORE* x509_store() const { return store_.get(); }

 private:
  TrustStore(TrustStoreOptions options, X509StorePtr store);
  TrustStoreOptions options_;
  X509StorePtr store_;
};

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_TRUST_STORE_H_
