// OpenEnvelope: the C++ opener of a secure envelope page (for `sealctl
// envelope open`, the portal and tests). It finds the metadata and
// ciphertext elements, parses the metadata, checks expiry, unwraps the
// content key from a passphrase slot (or a portal slot, given the portal
// key) and decrypts the original message.
//
// Failures are classified (OpenError) as the browser opener does: a wrong
// passphrase (or a modified slot: indistinguishable), a modified file
// (content or metadata fail authentication), an expired envelope, or a file
// that is not an envelope. The plaintext is returned only after the GCM tag
// has been verified.
// Limits: the whole page and the message are held in memory (a CLI tool's
// use); expiry in an offline file is advisory: anyone with the file and the
// passphrase can ignore it (ignore_expiry does), only the portal enforces it.
#ifndef SEALMILTER_LIB_ENVELOPE_ENVELOPE_READER_H_
#define SEALMILTER_LIB_ENVELOPE_ENVELOPE_READER_H_

#include <optional>
#include <string>
#include <string_view>

#include "lib/envelope/key_slots.h"
#include "lib/envelope/metadata.h"
#include "lib/status.h"

namespace seal::envelope {

enum class OpenError {
  kNone,
  kMalformed,           // not an envelope, or a damaged structure
  kUnsupportedVersion,  // a format version this build does not know
  kNoUsableSlot,        // no slot of the kind needed (or no matching key id)
  kWrongPassphrase,     // slot did not authenticate: wrong passphrase/key
  kTampered,            // content or metadata did not authenticate
  kExpired,             // past the metadata's expiry
};

std::string_view OpenErrorName(OpenError error);

struct OpenOptions {
  std::optional<TimePoint> now;  // default: the current time
  bool ignore_expiry = false;
};

struct OpenedEnvelope {
  EnvelopeMetadata metadata;
  std::string metadata_json;  // exactly as embedded (the additional data)
  std::string message;        // the original MIME message
};

// The embedded metadata, unauthenticated (for display before opening).
Result<EnvelopeMetadata> ReadEnvelopeMetadata(std::string_view html);

// `*error` (optional) receives the classification; the Status carries a
// message for people. Codes: kInvalidArgument (wrong passphrase),
// kParseError (malformed, tampered), kFailedPrecondition (expired,
// unsupported version), kNotFound (no usable slot).
Result<OpenedEnvelope> OpenEnvelope(std::string_view html,
                                    std::string_view passphrase,
                                    const OpenOptions& options,
                                    OpenError* error = nullptr);

// Opens with the portal key named by spec.key_id.
Result<OpenedEnvelope> OpenEnvelopeWithPortalKey(std::string_view html,
                                                 const PortalSlotSpec& key,
                                                 const OpenOptions& options,
                                                 OpenError* error = nullptr);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_ENVELOPE_READER_H_
