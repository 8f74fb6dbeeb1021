// Header fields of one MIME entity, as byte ranges into the original
// message, and the small helpers to read them (name, unfolded value).
// The ranges let later stages copy or drop a field byte-exact.
// All functions are pure and thread-safe.
#ifndef SEALMILTER_LIB_MIME_HEADER_FIELDS_H_
#define SEALMILTER_LIB_MIME_HEADER_FIELDS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "lib/ascii.h"

namespace seal::mime {

struct HeaderField {
  size_t begin = 0;        // first byte of the field name
  size_t name_end = 0;     // end of the name (before optional WSP and ':')
  size_t value_begin = 0;  // just after the ':'
  size_t value_end = 0;    // end of the value, before its final line break
  size_t end = 0;          // just after the final line break (or EOF)
};

// Name as written ("Content-Type").
inline std::string_view FieldName(std::string_view message,
                                  const HeaderField& f) {
  return message.substr(f.begin, f.name_end - f.begin);
}
// Value as written, folds (CRLF + WSP) included.
inline std::string_view FieldRawValue(std::string_view message,
                                      const HeaderField& f) {
  return message.substr(f.value_begin, f.value_end - f.value_begin);
}
// Unfolds (drops every CR and LF) and trims spaces and tabs at both ends.
std::string UnfoldValue(std::string_view raw_value);
// The same text as UnfoldValue, without a copy when the value is not folded
// (the common case): a view into `raw_value`, else into `storage`, which
// then holds the unfolded value. Valid while both live.
std::string_view UnfoldedView(std::string_view raw_value, std::string& storage);
// True when `raw_value` is US-ASCII without NUL, CR, LF or '=': then
// UnfoldedView only trims it (TrimFoldWhitespace), it holds no encoded-word,
// and it
// is valid UTF-8 without NUL, so every decoder returns it as it is. Most
// header fields are like that; the text extractor skips those passes
// for them.
bool IsPlainFieldText(std::string_view raw_value);
// Without the spaces, tabs, CR and LF at both ends: what UnfoldedView trims
// (and all it does to a value without line breaks).
std::string_view TrimFoldWhitespace(std::string_view v);
// ASCII case-insensitive comparison of field names.
inline bool NameEquals(std::string_view a, std::string_view b) {
  return EqualsIgnoreAsciiCase(a, b);
}
// If `line` (without its line break) starts a header field, returns the
// name length and sets *colon to the index of the ':'. Else returns 0.
// A name is printable US-ASCII except ':'; WSP before ':' is tolerated
// (RFC 5322 obsolete syntax).
size_t FieldNameLength(std::string_view line, size_t* colon);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_HEADER_FIELDS_H_
