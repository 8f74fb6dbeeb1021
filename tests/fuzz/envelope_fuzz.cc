// libFuzzer target for the secure envelope reader (lib/envelope/
// envelope_reader.h): arbitrary bytes as an envelope page, read for its
// metadata and opened with a passphrase. Only the documented error codes
// may come back; nothing opens without authenticating (a fuzzed page that
// "opens" would be a forgery). Seeds: tests/fuzz/corpus/envelope/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/envelope/envelope_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view html(reinterpret_cast<const char*>(data), size);
  (void)seal::envelope::ReadEnvelopeMetadata(html);
  seal::envelope::OpenOptions options;
  options.ignore_expiry = true;
  seal::Result<seal::envelope::OpenedEnvelope> opened =
      seal::envelope::OpenEnvelope(html, "fuzz passphrase", options);
  if (opened.ok()) return 0;  // a seed made with this passphrase
  switch (opened.status().code()) {
    case seal::StatusCode::kInvalidArgument:
    case seal::StatusCode::kParseError:
    case seal::StatusCode::kFailedPrecondition:
    case seal::StatusCode::kNotFound:
    case seal::StatusCode::kResourceExhausted:
      return 0;
    default:
      std::abort();
  }
}
