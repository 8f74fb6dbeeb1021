// PassphraseVault: envelope recipients' personal passphrases in and out of
// the Store, sealed under the master key; the Store only ever sees
// ciphertext (passphrase_records.h).
//
// A secret is the passphrase as the recipient types it, its normalisation
// (generated or not), and the PBKDF2 salt, iteration count and resulting
// 32-byte KEK of its envelope slot, computed once by the caller
// (envelope::DerivePassphraseKek) so later envelopes need no PBKDF2; the
// vault checks sizes and ranges, not the derivation. Inner form: version
// (1) | flags (bit 0: generated) | iterations (4, big-endian) | salt length
// (1) | salt | KEK (32) | passphrase. Sealed with MasterKey::Seal bound to
// "recipient passphrase" and the address, so a blob copied onto another
// recipient's row does not open.
// Errors: kNotFound (none stored), kFailedPrecondition (sealed under
// another master key), kParseError (damaged, or bound to another address);
// kInvalidArgument for a secret out of range; never a garbage secret.
// Thread-safety: as thread-safe as the Store; the MasterKey is read-only.
// Both must outlive the vault.
#ifndef SEALMILTER_LIB_STORE_PASSPHRASE_VAULT_H_
#define SEALMILTER_LIB_STORE_PASSPHRASE_VAULT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/status.h"
#include "lib/store/master_key.h"
#include "lib/store/store.h"

namespace seal::store {

// The same bounds as the envelope format's passphrase slot.
inline constexpr uint32_t kMinPassphraseIterations = 600000;
inline constexpr uint32_t kMaxPassphraseIterations = 10000000;
inline constexpr size_t kPassphraseSaltBytes = 16;
inline constexpr size_t kPassphraseKekBytes = 32;
inline constexpr size_t kMaxPassphraseBytes = 1024;

struct RecipientSecret {
  std::string passphrase;   // as the recipient types it; 1..1024 bytes
  bool generated = false;   // "generated-v1" normalisation, else "trim"
  std::string salt;         // 16 bytes
  uint32_t iterations = 0;  // 600,000..10,000,000
  std::string kek;          // 32 bytes: PBKDF2 of the normalised passphrase
};

class PassphraseVault {
 public:
  PassphraseVault(Store& store, const MasterKey& master_key)
      : store_(store), master_key_(master_key) {}

  Result<RecipientSecret> Get(std::string_view address);

  // The secret of a record read from the store.
  Result<RecipientSecret> Open(const RecipientPassphraseRecord& rec) const;

  struct Created {
    RecipientSecret secret;            // what is stored now (opened)
    RecipientPassphraseRecord record;  // its row: address, origin, counters
    bool created = false;              // `candidate` was stored by this call
  };
  // Stores `candidate` (origin "message") unless the address has one;
  // returns what is stored.
  Result<Created> GetOrCreate(std::string_view address,
                              const RecipientSecret& candidate,
                              std::string_view created_by);
  // Stores or replaces (origin "admin").
  Status Set(std::string_view address, const RecipientSecret& secret,
             std::string_view created_by);

 private:
  Result<std::string> Seal(std::string_view address,
                           const RecipientSecret& secret) const;
  // A row to store: address normalised, `secret` sealed to it.
  Result<RecipientPassphraseRecord> NewRecord(
      std::string_view address, const RecipientSecret& secret,
      std::string_view origin, std::string_view created_by) const;

  Store& store_;
  const MasterKey& master_key_;
};

// Checks a secret's sizes and ranges (kInvalidArgument naming the field).
Status CheckRecipientSecret(const RecipientSecret& secret);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_PASSPHRASE_VAULT_H_
