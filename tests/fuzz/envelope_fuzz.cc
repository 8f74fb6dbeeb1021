// libFuzzer target for the secure envelope reader (lib/envelope/
// envelope_reader.h): arbitrary bytes as an envelope page, read for its
// metadata and opened with a fixed portal key and with a passphrase. Only
// the documented error codes may come back; what opens must carry metadata
// that ReadEnvelopeMetadata also accepts. The portal-key open is cheap and
// runs on every input; the passphrase open costs a 600,000-iteration PBKDF2,
// so it runs on one input in four (chosen by a hash of the input, so a
// reproducer behaves the same). Seeds: tests/fuzz/corpus/envelope/
// (seed.html: passphrase slot; portal.html: passphrase and portal slot,
// made with sealctl envelope make --portal-key-id fuzz, key 0x42 * 32).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/envelope/envelope_reader.h"

namespace {

void CheckOpen(std::string_view html,
               const seal::Result<seal::envelope::OpenedEnvelope>& opened,
               seal::envelope::OpenError error) {
  if (opened.ok()) {
    // Authenticated: the page must also read as an envelope.
    if (error != seal::envelope::OpenError::kNone) std::abort();
    if (!seal::envelope::ReadEnvelopeMetadata(html).ok()) std::abort();
    return;
  }
  if (opened.status().message().empty()) std::abort();
  if (error == seal::envelope::OpenError::kNone) std::abort();
  switch (opened.status().code()) {
    case seal::StatusCode::kInvalidArgument:
    case seal::StatusCode::kParseError:
    case seal::StatusCode::kFailedPrecondition:
    case seal::StatusCode::kNotFound:
    case seal::StatusCode::kResourceExhausted:
      return;
    default:
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view html(reinterpret_cast<const char*>(data), size);
  (void)seal::envelope::ReadEnvelopeMetadata(html);
  seal::envelope::OpenOptions options;
  options.ignore_expiry = true;

  seal::envelope::PortalSlotSpec portal;
  portal.key_id = "fuzz";
  portal.key = std::string(32, '\x42');
  seal::envelope::OpenError error = seal::envelope::OpenError::kNone;
  CheckOpen(
      html,
      seal::envelope::OpenEnvelopeWithPortalKey(html, portal, options, &error),
      error);

  uint32_t hash = 2166136261u;  // FNV-1a
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;
  if (hash % 4 != 0) return 0;
  error = seal::envelope::OpenError::kNone;
  CheckOpen(
      html,
      seal::envelope::OpenEnvelope(html, "fuzz passphrase", options, &error),
      error);
  return 0;
}
