// Base64 (RFC 4648, standard alphabet, '=' padding) for the envelope: a
// streaming encoder that writes wrapped lines into a Sink without holding the
// whole output, and a decoder for strings that skips ASCII whitespace.
//
// Limits: the decoder rejects any character outside the alphabet and
// whitespace, and data after padding; it does not accept the URL-safe
// alphabet.
#ifndef SEALMILTER_LIB_ENVELOPE_BASE64_H_
#define SEALMILTER_LIB_ENVELOPE_BASE64_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/envelope/sink.h"
#include "lib/status.h"

namespace seal::envelope {

// Encodes `data` in one piece, no line breaks.
std::string Base64Encode(std::string_view data);

// Decodes `text`, ignoring ASCII whitespace. Errors are kParseError.
Result<std::string> Base64Decode(std::string_view text);

// Streaming encoder. `line_length` (a multiple of 4; 0 = no wrapping) chars
// per line, each line ended by `eol`. Output goes to `out` in slices of at
// most about 48 KiB.
class Base64Writer {
 public:
  Base64Writer(Sink out, size_t line_length, std::string_view eol);
  Base64Writer(const Base64Writer&) = delete;
  Base64Writer& operator=(const Base64Writer&) = delete;

  Status Write(std::string_view data);
  // Encodes the last partial group with padding, ends the last line with
  // `eol` (when wrapping and the line is not empty) and flushes.
  Status Finish();

  // A Sink feeding this writer (valid while it lives).
  Sink AsSink();

 private:
  Status EmitGroup(const unsigned char* in, size_t n);
  Status FlushOut();

  Sink out_;
  size_t line_length_;
  std::string eol_;
  unsigned char pending_[3] = {0, 0, 0};
  size_t pending_len_ = 0;
  size_t column_ = 0;
  std::string buffer_;
};

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_BASE64_H_
