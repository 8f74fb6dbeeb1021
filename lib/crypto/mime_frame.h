// The MIME framing the S/MIME engine needs on raw bytes: splitting an entity
// into content headers and body, parsing Content-Type and its parameters,
// finding the two parts of a multipart/signed body with their exact bytes,
// and writing header blocks.
//
// This is deliberately small: the general MIME adapter (lib/mime/) decodes
// and classifies messages; S/MIME must see the exact undecoded bytes a
// signature covers, which is what this file gives.
// Known limits: RFC 2231 parameter continuations and charsets are not
// decoded (boundary, protocol, micalg and smime-type never use them);
// comments are removed from Content-Type; header names are matched
// case-insensitively; lines may end in CRLF or LF.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_CRYPTO_MIME_FRAME_H_
#define SEALMILTER_LIB_CRYPTO_MIME_FRAME_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/status.h"

namespace seal::crypto {

struct HeaderField {
  std::string name;
  std::string value;  // unfolded, surrounding white space removed
};

// An entity as the engine reads it: the two content headers that matter and
// the body. Callers that hold headers separately (the milter) fill it
// directly; SplitEntity builds it from bytes.
struct EntityRef {
  std::string content_type;       // raw value; empty means text/plain
  std::string transfer_encoding;  // raw value; empty means 7bit
  std::string_view body;          // not owned
};

struct ParsedEntity {
  std::vector<HeaderField> headers;
  std::string_view header_block;  // including the empty line's line end
  std::string_view body;

  // The value of the first header called `name`, or null.
  const std::string* Find(std::string_view name) const;
  EntityRef ref() const;
};

// Splits `entity` at its first empty line. Without one, all of it must be
// headers and the body is empty. A line that is neither a header nor a
// continuation is kParseError.
Result<ParsedEntity> SplitEntity(std::string_view entity,
                                 size_t max_header_bytes = 256 * 1024);

struct ContentType {
  std::string type;     // lower case, "text" when absent
  std::string subtype;  // lower case, "plain" when absent
  std::vector<std::pair<std::string, std::string>> params;  // names lower

  bool Is(std::string_view t, std::string_view s) const {
    return type == t && subtype == s;
  }
  // The first parameter called `name` (lower case), or "" when absent.
  std::string Param(std::string_view name) const;
  bool HasParam(std::string_view name) const;
};

// Parses a Content-Type value. Empty means text/plain; a value without '/'
// is kParseError. Malformed parameters are skipped.
Result<ContentType> ParseContentType(std::string_view value);

// Lower-cased, trimmed Content-Transfer-Encoding ("7bit" when empty).
std::string NormalizeTransferEncoding(std::string_view value);

struct MultipartSignedParts {
  // The first part's exact bytes: from after the first delimiter line to
  // before the line end that precedes the next delimiter.
  std::string_view signed_part;
  // The second part (headers and body), without the final line end.
  std::string_view signature_entity;
};

// Finds the two parts of a multipart/signed body delimited by `boundary`.
// kParseError when a delimiter is missing (truncated message) or there is
// only one part.
Result<MultipartSignedParts> SplitMultipartSigned(std::string_view body,
                                                  std::string_view boundary);

// "Name: value" lines ending in CRLF, long values folded at "; " so lines
// stay within 78 characters where possible, then nothing else (the caller
// adds the empty line).
std::string FormatHeaders(const std::vector<HeaderField>& headers);

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLowerAscii(std::string_view s);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_MIME_FRAME_H_
