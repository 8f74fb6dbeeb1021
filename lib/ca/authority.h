// Authority: sealmilter's built-in CA for internal users' S/MIME
// certificates. "ca init" creates the CA key and self-signed certificate;
// EnsureCurrent issues a user a key pair and certificate on first need and
// renews it `renew_before_days` before it expires; Rollover issues a new one
// on demand. Everything lives in the Store: the CA certificate (source
// "authority") and every key, sealed by the KeyVault, so several milter
// hosts sharing one store share one CA.
//
// Keys are never deleted: after renewal or rollover the old certificate and
// key stay in the store, so mail encrypted to them still decrypts. Only the
// newest valid certificate is handed out for encryption (Store's "best"
// rule). A user certificate never outlives the CA certificate; when the CA
// expires within a user's renewal window, issuing is refused and the still
// valid old certificate is returned with a warning.
// Validity starts one hour before `now` (clock skew at the recipient).
// Known limits: within one process issuance is serialised (one mutex); two
// processes may both issue for the same new address at the same moment —
// both certificates are valid and the newer one wins. A CA replaced by
// another process is seen after Load() runs again (reload). No CRL is
// published for the CA yet.
// Thread-safety: all methods may be called from any thread.
#ifndef SEALMILTER_LIB_CA_AUTHORITY_H_
#define SEALMILTER_LIB_CA_AUTHORITY_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "lib/ca/key_type.h"
#include "lib/status.h"
#include "lib/store/clock.h"
#include "lib/store/key_vault.h"
#include "lib/store/openssl_util.h"
#include "lib/store/records.h"
#include "lib/store/store.h"

namespace seal::ca {

// The CA's settings; one config key each (see the report / man page).
struct CaOptions {
  KeyType key_type = KeyType::kRsa3072;               // ca.key_type
  std::string subject = "CN=sealmilter internal CA";  // ca.subject
  int64_t validity_years = 10;                        // ca.validity_years
  KeyType user_key_type = KeyType::kRsa2048;          // ca.user_key_type
  int64_t validity_days = 365;                        // ca.validity_days
  int64_t renew_before_days = 7;                      // ca.renew_before_days
};

// Range checks: validity_years 1-100, validity_days 1-3650,
// 0 <= renew_before_days < validity_days, subject parses.
Status ValidateCaOptions(const CaOptions& options);

inline constexpr int64_t kBackdateSeconds = 3600;

// Creates the CA key and self-signed certificate and stores both. When a CA
// valid at `now` exists, refuses (kFailedPrecondition) unless `replace`; a
// replaced CA's certificate and key stay in the store.
Result<store::CertificateRecord> InitAuthority(store::Store& store,
                                               store::KeyVault& vault,
                                               const CaOptions& options,
                                               int64_t now,
                                               bool replace = false);

struct Issued {
  store::CertificateRecord cert;
  bool newly_issued = false;
  // Non-OK when a renewal was due but failed and `cert` is the old,
  // still valid one (e.g. the CA expires too soon).
  Status warning;
};

class Authority {
 public:
  // Loads the current CA: the newest certificate of source "authority" that
  // is valid now and has a key. kNotFound when none was ever created,
  // kFailedPrecondition when every CA certificate has expired.
  static Result<std::unique_ptr<Authority>> Load(store::Store& store,
                                                 store::KeyVault& vault,
                                                 const CaOptions& options,
                                                 const store::Clock& clock);

  const store::CertificateRecord& certificate() const { return ca_record_; }
  X509* x509() const { return ca_cert_.get(); }

  // The address's current issued certificate, issuing one on first need or
  // when the current one ends within renew_before_days of `now`.
  Result<Issued> EnsureCurrent(std::string_view address, int64_t now);
  Result<Issued> EnsureCurrent(std::string_view address) {
    return EnsureCurrent(address, clock_.Now());
  }

  // Issues a new key and certificate now, whatever the current one's age.
  // With `revoke_previous`, earlier issued certificates for the address are
  // marked revoked (their keys stay, for decryption).
  Result<store::CertificateRecord> Rollover(std::string_view address,
                                            int64_t now,
                                            bool revoke_previous = false);

 private:
  Authority(store::Store& store, store::KeyVault& vault, CaOptions options,
            const store::Clock& clock, store::CertificateRecord ca_record,
            store::X509Ptr ca_cert, store::EvpPkeyPtr ca_key);

  // Call with mu_ held.
  Result<store::CertificateRecord> IssueLocked(const std::string& address,
                                               int64_t now,
                                               std::string_view event);

  store::Store& store_;
  store::KeyVault& vault_;
  const CaOptions options_;
  const store::Clock& clock_;
  const store::CertificateRecord ca_record_;
  const store::X509Ptr ca_cert_;  // read-only after construction
  const store::EvpPkeyPtr ca_key_;
  std::mutex mu_;  // serialises issuance (check, generate, store)
};

}  // namespace seal::ca

#endif  // SEALMILTER_LIB_CA_AUTHORITY_H_
