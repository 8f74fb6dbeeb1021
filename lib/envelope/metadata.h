// The envelope's metadata: a versioned JSON document embedded in the page and
// used, byte for byte, as the AES-GCM additional data of the content, so any
// change to it (sender, expiry, options, slots) makes decryption fail.
//
// Serialisation writes compact JSON in a fixed field order, UTF-8 (invalid
// input sequences replaced by U+FFFD), with '<', '>' and '&' escaped as
// \u003c, \u003e, \u0026 so the text is inert inside HTML. Parsing checks
// types, sizes and ranges; unknown fields and unknown slot types are ignored
// (forward compatibility within format version 1). See
// sealmilter.envelope(5) for the field list.
// Limits: the JSON text is capped at 64 KiB and 16 levels of nesting.
#ifndef SEALMILTER_LIB_ENVELOPE_METADATA_H_
#define SEALMILTER_LIB_ENVELOPE_METADATA_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/envelope/options.h"
#include "lib/status.h"

namespace seal::envelope {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::seconds>;

inline constexpr std::string_view kFormatName = "sealmilter-envelope";
inline constexpr int kFormatVersion = 1;
inline constexpr uint32_t kMinIterations = 600000;
inline constexpr uint32_t kMaxIterations = 10000000;
inline constexpr size_t kMaxMetadataSize = 64 * 1024;

// How the opener turns typed text into PBKDF2 input.
//   "trim":         strip leading/trailing whitespace.
//   "generated-v1": lower-case ASCII letters, drop spaces and '-'.
inline constexpr std::string_view kNormalizeTrim = "trim";
inline constexpr std::string_view kNormalizeGenerated = "generated-v1";

struct KeySlot {
  enum class Type { kPassphrase, kPortal };
  Type type = Type::kPassphrase;
  // Both types: AES-256-GCM wrap of the 32-byte content key.
  std::string iv;       // 12 raw bytes
  std::string wrapped;  // 48 raw bytes: encrypted key || tag
  // kPassphrase: PBKDF2-HMAC-SHA256 parameters.
  uint32_t iterations = 0;
  std::string salt;  // raw bytes (16 written; 16..64 accepted)
  std::string normalize;
  std::string label;  // identifies a reusable passphrase ("" = one-off)
  // kPortal: which portal key wraps the content key.
  std::string key_id;
};

struct EnvelopeMetadata {
  int version = kFormatVersion;
  std::string id;  // 32 lower-case hex digits (128 random bits)
  std::string sender;
  std::string sender_name;
  TimePoint created;
  std::optional<TimePoint> expires;
  std::string locale;
  EnvelopeOptions options;  // expires_after is not serialised (see expires)
  std::string portal_url;   // "" = no portal
  std::string content_iv;   // 12 raw bytes
  uint64_t content_size = 0;
  std::vector<KeySlot> slots;
};

std::string SerializeMetadata(const EnvelopeMetadata& metadata);

// kParseError for malformed input; kFailedPrecondition for a format version
// this build does not know.
Result<EnvelopeMetadata> ParseMetadata(std::string_view json);

// "2024-05-01T12:00:00Z" and back (UTC, seconds, 'Z' only).
std::string FormatRfc3339(TimePoint t);
Result<TimePoint> ParseRfc3339(std::string_view text);
// "2024-05-01 12:00 UTC": for people, in every locale.
std::string FormatHumanUtc(TimePoint t);

// The AES-GCM additional data of a slot's key wrap: binds the wrap to one
// envelope and one slot type ("sealmilter-envelope:1:passphrase:<id>").
std::string SlotAad(KeySlot::Type type, std::string_view envelope_id);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_METADATA_H_
