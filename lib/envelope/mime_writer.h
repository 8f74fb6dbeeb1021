// Small MIME writing helpers for the notifications: header fields with
// RFC 2047 encoded words and folding, quoted-printable bodies, boundaries,
// Date and Message-ID values. All output uses CRLF line ends.
// Limits: only UTF-8 is produced; header encoding uses B encoded words
// (RFC 2047) split on character boundaries.
#ifndef SEALMILTER_LIB_ENVELOPE_MIME_WRITER_H_
#define SEALMILTER_LIB_ENVELOPE_MIME_WRITER_H_

#include <string>
#include <string_view>

#include "lib/envelope/metadata.h"
#include "lib/status.h"

namespace seal::envelope {

// "Name: value\r\n" with `value` (UTF-8, one line: control characters
// become spaces) left as is when it is short printable ASCII, otherwise as
// folded RFC 2047 encoded words.
std::string HeaderLine(std::string_view name, std::string_view value);

// Only `value` encoded (no name, no CRLF at the end); continuation lines
// start with a space. `name_length` is the room the field name takes.
std::string EncodeHeaderValue(std::string_view value, size_t name_length);

// Quoted-printable (RFC 2045) of UTF-8 text whose lines end in LF or CRLF;
// output lines end in CRLF and are at most 76 characters.
std::string EncodeQuotedPrintable(std::string_view text);

// A random boundary that cannot occur in base64 or quoted-printable output.
Result<std::string> NewBoundary();

// RFC 5322 date-time in UTC: "Wed, 01 May 2024 12:00:00 +0000".
std::string FormatMailDate(TimePoint t);

// "<random@domain>".
Result<std::string> NewMessageId(std::string_view domain);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_MIME_WRITER_H_
