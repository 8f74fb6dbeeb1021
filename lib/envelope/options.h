// Per-message envelope options: what the recipient may do (reply, reply all,
// forward), read receipts, expiry, the JS-free variant and "remember key";
// the policy defaults; and the X-Seal-* headers a sender's mail client sets
// to choose them, which the milter parses here and removes before the
// message leaves.
//
// Header grammar (case-insensitive, surrounding whitespace ignored):
//   boolean headers: yes | no | true | false | on | off | 1 | 0
//   X-Seal-Expires:  +D (days, 1..3650) | +H:MM:SS (hours 0..87600, minutes
//                    and seconds 00..59) | never ; must be > 0
// A header that appears twice, or a value outside the grammar, is an error
// (kInvalidArgument naming the header); an expiry above the policy maximum,
// or "never" when the policy has a maximum, is an error too. The caller
// decides whether to reject the message or log and use the policy defaults.
// Limits: options are advisory in an offline envelope; sealportal enforces
// them for online opening.
#ifndef SEALMILTER_LIB_ENVELOPE_OPTIONS_H_
#define SEALMILTER_LIB_ENVELOPE_OPTIONS_H_

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/status.h"

namespace seal::envelope {

struct EnvelopeOptions {
  bool reply = true;
  bool reply_all = true;
  bool forward = true;
  bool read_receipt = false;
  bool js_free = false;
  bool remember_key = false;
  // Time from creation to expiry; nullopt = no expiry.
  std::optional<std::chrono::seconds> expires_after =
      std::chrono::hours(24 * 30);

  bool operator==(const EnvelopeOptions&) const = default;
};

struct OptionPolicy {
  EnvelopeOptions defaults;
  // Honour the sender's X-Seal-* headers (they are removed either way).
  bool sender_may_override = true;
  // Longest expiry a sender may ask for; nullopt = no limit ("never" allowed).
  std::optional<std::chrono::seconds> max_expiry = std::chrono::hours(24 * 365);
};

struct HeaderField {
  std::string name;
  std::string value;
};

// The header names (canonical spelling) the milter must remove.
std::span<const std::string_view> OptionHeaderNames();
// True when `name` is one of them (case-insensitive).
bool IsOptionHeader(std::string_view name);

// Parses one boolean header value.
Result<bool> ParseBoolValue(std::string_view value);
// Parses an X-Seal-Expires value: seconds, or nullopt for "never".
Result<std::optional<std::chrono::seconds>> ParseExpiryValue(
    std::string_view value);

// Starts from policy.defaults and applies the option headers found in
// `headers` (other headers are ignored). With sender_may_override false
// the headers are still validated but not applied.
Result<EnvelopeOptions> ParseOptionHeaders(std::span<const HeaderField> headers,
                                           const OptionPolicy& policy);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_OPTIONS_H_
