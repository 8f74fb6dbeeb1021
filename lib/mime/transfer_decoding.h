// Content-Transfer-Encoding decoding (base64, quoted-printable, identity).
//
// This file is the MIME adapter's only user of mimetic: its Base64 and QP
// decoders do the decoding. mimetic's decoders accept anything, so the input
// is first filtered here: base64 input is reduced to its alphabet (mimetic's
// table lookup reads one byte past its table for '|', and '=' in the first
// half of a quantum produces garbage), and malformed input is detected here
// so the caller can warn. mimetic's QP decoder writes line breaks as LF and
// drops control characters other than TAB (RFC 2045 6.7 note 4).
//
// Decoding stops after `max_bytes` of output (result marked truncated); the
// work done is linear in the input. Thread-safe (no shared state).
//
// Known limits: x-uuencode, x-binhex and other non-standard encodings are
// not decoded (kUnknown passes the body through); mimetic's QP decoder
// drops one of two line breaks when trailing blanks precede a bare LF.
#ifndef SEALMILTER_LIB_MIME_TRANSFER_DECODING_H_
#define SEALMILTER_LIB_MIME_TRANSFER_DECODING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::mime {

enum class TransferEncoding : uint8_t {
  k7Bit,  // also the default when the header is absent
  k8Bit,
  kBinary,
  kBase64,
  kQuotedPrintable,
  kUnknown,  // e.g. x-uuencode; the body is passed through as is
};

// "7bit", "base64", ... ("unknown" for kUnknown).
std::string_view TransferEncodingName(TransferEncoding encoding);
// Maps a Content-Transfer-Encoding token (any case, trimmed) to the enum;
// empty means absent (k7Bit).
TransferEncoding ParseTransferEncoding(std::string_view token);

struct Decoded {
  std::string bytes;
  bool truncated = false;  // output reached max_bytes; the rest is dropped
  std::string problem;     // empty, or what was malformed ("invalid
                           // characters in base64"), for a warning
};

// Decodes `encoded` according to `encoding`; identity encodings copy (at most
// max_bytes). Fails only when memory runs out or mimetic throws (kInternal:
// both are worth a retry); malformed input is a `problem`, not an
// error.
Result<Decoded> DecodeTransfer(std::string_view encoded,
                               TransferEncoding encoding, size_t max_bytes);

// The base64 alphabet decoder alone (RFC 2047 "B" words use it): same
// filtering and reporting as DecodeTransfer.
Result<Decoded> DecodeBase64(std::string_view encoded, size_t max_bytes);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_TRANSFER_DECODING_H_
