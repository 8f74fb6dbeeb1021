// MasterKey: the 32-byte key that encrypts private keys at rest, the key
// file it lives in, and the AES-256-GCM sealing format.
//
// Key file: 64 hex digits and an optional newline (what CreateMasterKeyFile
// writes), or exactly 32 raw bytes. LoadMasterKeyFile refuses a file that is
// not a regular file, is a symlink, is readable or writable by group or
// others (mode must be 0600 or stricter), or is owned by anybody but the
// effective user, root, or the caller's `extra_owner` (the daemon reads the
// file as root before it drops privileges to milter.user, who may own it),
// naming the fix in the message (kFailedPrecondition).
//
// Sealed blob: version (1 byte, 1) | key id (8) | nonce (12) | ciphertext |
// GCM tag (16). The associated data is a fixed label, the caller's context
// (KeyVault passes the certificate fingerprint) and the version and key id,
// so a blob moved to another certificate or re-labelled fails to open. The
// key id is the first 8 bytes of SHA-256("sealmilter master key id" | key):
// it tells "wrong master key" (kFailedPrecondition) from "damaged blob"
// (kParseError) without revealing the key. Open never returns unauthenticated
// bytes.
// Known limits: no key rotation helper yet (re-seal every key under a new
// master key); the key is not mlock()ed.
// Thread-safety: a MasterKey is immutable; Seal and Open may run
// concurrently.
#ifndef SEALMILTER_LIB_STORE_MASTER_KEY_H_
#define SEALMILTER_LIB_STORE_MASTER_KEY_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/status.h"
#include "lib/store/secret.h"

namespace seal::store {

inline constexpr size_t kMasterKeyBytes = 32;

class MasterKey {
 public:
  // A key from its 32 bytes (tests, key rotation).
  static Result<MasterKey> FromBytes(std::string_view key);

  MasterKey(MasterKey&&) noexcept = default;
  MasterKey& operator=(MasterKey&&) noexcept = default;
  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;

  // 16 hex digits identifying this key (safe to store and log).
  const std::string& id() const { return id_; }

  // Encrypts `plaintext` bound to `context`.
  Result<std::string> Seal(std::string_view plaintext,
                           std::string_view context) const;
  // Decrypts a Seal output made with this key and the same `context`.
  Result<SecretBytes> Open(std::string_view blob,
                           std::string_view context) const;

 private:
  explicit MasterKey(SecretBytes key);
  std::unique_ptr<SecretBytes> key_;  // heap: moves do not copy key bytes
  std::string id_;
};

// Reads and checks a key file (see above).
Result<MasterKey> LoadMasterKeyFile(
    const std::string& path, std::optional<uid_t> extra_owner = std::nullopt);

// Creates a new key file with a random key: O_CREAT|O_EXCL (an existing file
// is never overwritten: kFailedPrecondition), mode 0600, fsync'ed.
Status CreateMasterKeyFile(const std::string& path);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_MASTER_KEY_H_
