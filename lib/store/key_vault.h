// KeyVault: private keys in and out of the Store, sealed under the master
// key. The Store and its backends only ever see ciphertext.
//
// A key is encoded as PKCS#8 DER, sealed with MasterKey::Seal and bound to
// its certificate's fingerprint (a sealed key copied onto another
// certificate's row fails to open). Before storing, the key is checked to
// match the certificate's public key.
// Errors: kNotFound (no key stored), kFailedPrecondition (sealed under a
// different master key: wrong key file), kParseError (the sealed bytes are
// damaged or bound to another certificate); never a garbage key.
// Thread-safety: as thread-safe as the Store; the MasterKey is read-only.
// Both must outlive the vault.
#ifndef SEALMILTER_LIB_STORE_KEY_VAULT_H_
#define SEALMILTER_LIB_STORE_KEY_VAULT_H_

#include <string_view>

#include "lib/status.h"
#include "lib/store/master_key.h"
#include "lib/store/openssl_util.h"
#include "lib/store/records.h"
#include "lib/store/store.h"

namespace seal::store {

class KeyVault {
 public:
  KeyVault(Store& store, const MasterKey& master_key)
      : store_(store), master_key_(master_key) {}

  // Stores a certificate and its private key atomically.
  Result<CertificateRecord> PutCertificateWithKey(std::string_view der,
                                                  EVP_PKEY* key,
                                                  CertSource source,
                                                  std::string_view domain = {});
  // Adds the key of an already stored certificate.
  Status PutPrivateKey(std::string_view cert_sha256, EVP_PKEY* key);
  // The private key of a certificate.
  Result<EvpPkeyPtr> GetPrivateKey(std::string_view cert_sha256);

  const MasterKey& master_key() const { return master_key_; }

 private:
  Result<EncryptedKey> Seal(std::string_view der, EVP_PKEY* key);

  Store& store_;
  const MasterKey& master_key_;
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_KEY_VAULT_H_
