// Portal keys: the 256-bit keys that seal an envelope's `portal` key slot
// (key_slots.h), shared by every milter host and sealportal through one
// file (portal.key_file), and how that file is read, written and rolled.
//
// File format, one key per line, blank lines and '#' comments ignored:
//   sealportal-key-v1 KEY_ID BASE64(32 bytes)
// KEY_ID is [A-Za-z0-9._-], 1..64 chars, unique in the file. The first key
// is the current one: the milter seals new envelopes with it. The others
// stay so that sealportal can still open older envelopes (rollover: put a
// new key first, keep the old ones until their envelopes have expired).
// The file must be a regular file not readable or writable by group or
// others (like the store's master key), at most 64 KiB.
// Thread-safety: a PortalKeyRing is a plain value.
#ifndef SEALMILTER_LIB_ENVELOPE_PORTAL_KEY_H_
#define SEALMILTER_LIB_ENVELOPE_PORTAL_KEY_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"

namespace seal::envelope {

inline constexpr std::string_view kPortalKeyTag = "sealportal-key-v1";

struct PortalKey {
  std::string key_id;
  std::string key;  // 32 raw bytes
};

class PortalKeyRing {
 public:
  // At least one key, ids unique and well-formed, keys 32 bytes.
  static Result<PortalKeyRing> Make(std::vector<PortalKey> keys);

  const PortalKey& current() const { return keys_.front(); }
  // nullptr when no key has that id.
  const PortalKey* Find(std::string_view key_id) const;
  const std::vector<PortalKey>& keys() const { return keys_; }

 private:
  explicit PortalKeyRing(std::vector<PortalKey> keys)
      : keys_(std::move(keys)) {}
  std::vector<PortalKey> keys_;
};

// Parses the file text; errors name the line ("line 3: ...").
Result<PortalKeyRing> ParsePortalKeys(std::string_view text);
// Reads `path` (mode and size checked as above), then ParsePortalKeys.
Result<PortalKeyRing> LoadPortalKeyFile(const std::string& path);
// A new random key; `key_id` "" = "k" + UTC date and 8 random hex digits.
Result<PortalKey> GeneratePortalKey(std::string_view key_id);
// The file text for a ring, with a comment header.
std::string FormatPortalKeys(const PortalKeyRing& ring);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_PORTAL_KEY_H_
