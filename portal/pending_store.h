// PendingStore: the JS-free "open online" uploads waiting for their
// recipient to log in (release_protocol.md). In memory only (an envelope's
// ciphertext never touches the disk), bounded: every entry at most
// `max_entry` bytes, all of them at most `max_total` bytes and `max_count`
// entries; an entry lives `ttl_seconds` (15 min) from its upload. When full,
// the oldest entries go first. Ids are random 256-bit base64url tokens.
// Thread-safety: every method may be called concurrently.
#ifndef SEALMILTER_PORTAL_PENDING_STORE_H_
#define SEALMILTER_PORTAL_PENDING_STORE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::portal {

struct PendingUpload {
  std::string envelope_id;
  std::string metadata_json;
  std::string ciphertext;  // raw bytes (decoded)
  int64_t created_at = 0;  // seconds
  size_t Bytes() const {
    return envelope_id.size() + metadata_json.size() + ciphertext.size();
  }
};

class PendingStore {
 public:
  PendingStore(size_t max_entry, size_t max_total, size_t max_count = 1000,
               int64_t ttl_seconds = 15 * 60);

  // The new id; kResourceExhausted when the upload alone is over max_entry.
  Result<std::string> Put(PendingUpload upload, int64_t now);
  // nullopt when unknown or expired.
  std::optional<PendingUpload> Get(std::string_view id, int64_t now);
  void Purge(int64_t now);
  size_t total_bytes() const;
  size_t size() const;

 private:
  void PurgeLocked(int64_t now);
  const size_t max_entry_, max_total_, max_count_;
  const int64_t ttl_;
  mutable std::mutex mu_;
  std::map<std::string, PendingUpload, std::less<>> entries_;  // guarded
  size_t total_ = 0;                                           // guarded
};

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_PENDING_STORE_H_
