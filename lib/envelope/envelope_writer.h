// MakeEnvelope: turns an original MIME message into the secure envelope, one
// self-contained HTML page (format: sealmilter.envelope(5)), written to a
// Sink as it is produced.
//
// The message is read once, in slices, from a MessageSource (a string or a
// Spool), encrypted with AES-256-GCM under a fresh random content key and
// IV, with the metadata JSON as additional data, and base64-encoded straight
// into the output (76-character lines): memory use does not grow with the
// message size. The content key is wrapped into the requested slots and
// wiped afterwards.
// Limits: a MessageSource must write exactly the size it declares (the
// metadata records it before encryption starts).
// Thread-safety: MakeEnvelope may run concurrently on different inputs.
#ifndef SEALMILTER_LIB_ENVELOPE_ENVELOPE_WRITER_H_
#define SEALMILTER_LIB_ENVELOPE_ENVELOPE_WRITER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/envelope/key_slots.h"
#include "lib/envelope/metadata.h"
#include "lib/envelope/options.h"
#include "lib/envelope/sink.h"
#include "lib/envelope/template_set.h"
#include "lib/spool.h"
#include "lib/status.h"

namespace seal::envelope {

// The original message: its size and a function writing its bytes, in
// order, into the given Sink.
struct MessageSource {
  uint64_t size = 0;
  std::function<Status(const Sink&)> write;
};
// `bytes` must outlive the MessageSource.
MessageSource MessageFromString(std::string_view bytes);
// Reads the spool in 64 KiB slices; the spool must outlive the source.
MessageSource MessageFromSpool(Spool& spool);

inline constexpr size_t kMaxPassphraseSlots = 64;

struct EnvelopeRequest {
  std::string sender_address;  // shown before decryption; "" not allowed
  std::string sender_name;     // display name, may be ""
  std::string locale = "en";   // page language (falls back to "en")
  EnvelopeOptions options;     // expires_after counts from `now`
  std::string portal_url;      // "" = no portal (required with a portal slot)
  // One passphrase slot each (e.g. one per recipient), in order; at most
  // kMaxPassphraseSlots.
  std::vector<PassphraseSlotSpec> passphrases;
  std::optional<PortalSlotSpec> portal;
  std::optional<TimePoint> now;  // default: the current time
};

struct EnvelopeInfo {
  std::string id;  // 32 hex digits: the key of the portal's envelope record
  TimePoint created;
  std::optional<TimePoint> expires;
  uint64_t html_size = 0;  // bytes written to the sink
};

// The page offers "remember the passphrase" (options.remember_key) only
// when every passphrase slot has the same non-empty label and the same
// normalization, as the opener requires.
// Errors: kInvalidArgument for a bad request (no slot, more than 64
// passphrase slots, JS-free without a portal, bad portal URL, empty sender,
// ...); the sink's own errors; the source's errors.
Result<EnvelopeInfo> MakeEnvelope(const EnvelopeTemplates& templates,
                                  const EnvelopeRequest& request,
                                  const MessageSource& message,
                                  const Sink& out);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_ENVELOPE_WRITER_H_
