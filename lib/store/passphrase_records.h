// The Store's record of an envelope recipient's personal passphrase
// (envelope.passphrase = "per-recipient"): who it belongs to, the sealed
// secret (PassphraseVault's ciphertext; the store never sees the
// passphrase), who made it and how often it was used.
//
// Conventions as in records.h: Unix seconds (UTC), addresses lower-case.
// Thread-safety: plain values.
#ifndef SEALMILTER_LIB_STORE_PASSPHRASE_RECORDS_H_
#define SEALMILTER_LIB_STORE_PASSPHRASE_RECORDS_H_

#include <cstdint>
#include <string>

namespace seal::store {

inline constexpr size_t kMaxSealedPassphraseBytes = 4096;

struct RecipientPassphraseRecord {
  std::string address;  // lower-case; the key
  std::string sealed;   // PassphraseVault's blob: 1..4096 bytes, opaque here
  // "message": made by the milter for a message (use_count 0: its notice
  // has not gone out yet); "admin": set by an administrator.
  std::string origin;
  std::string created_by;    // actor; printable, at most 256 bytes
  int64_t created_at = 0;    // set by the store
  int64_t last_used_at = 0;  // 0 = never; NoteRecipientPassphraseUsed
  int64_t use_count = 0;
};

struct RecipientPassphrasePut {
  RecipientPassphraseRecord record;  // as stored: the existing one if any
  bool created = false;              // this call inserted it
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_PASSPHRASE_RECORDS_H_
