// Parsing of the structured MIME header values Content-Type and
// Content-Disposition: a leading token ("text/plain", "attachment") and
// parameters, with RFC 2231 continuations ("name*0*=", "name*1=") and
// charsets ("utf-8''%C3%A9"), RFC 2047 encoded-words in quoted values (as
// Outlook writes them), comments, quoted strings with backslash escapes, and
// 8-bit raw values (UTF-8 if valid, else Windows-1252).
//
// Lenient where mailers are sloppy: missing ';' between parameters,
// unquoted values with spaces ("name=my file.pdf"), an unterminated quote
// (runs to the end). The first occurrence of a parameter wins; RFC 2231
// forms win over the plain form of the same name. Linear in the input.
//
// Known limits: RFC 2231 language tags are dropped; sections are joined in
// numeric order even when some are missing (with `malformed` set).
#ifndef SEALMILTER_LIB_MIME_CONTENT_FIELDS_H_
#define SEALMILTER_LIB_MIME_CONTENT_FIELDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/mime/charset.h"

namespace seal::mime {

struct MimeParam {
  std::string name;   // lower-case ASCII, without RFC 2231 "*" suffixes
  std::string value;  // decoded to UTF-8
  std::string raw;    // unquoted bytes as written (for "boundary"); for
                      // RFC 2231 values, the percent-decoded bytes
};

struct ContentField {
  std::string token;  // lower-case leading token; "" when missing
  std::vector<MimeParam> params;
  bool malformed = false;  // syntax was repaired somewhere
};

// Parses an unfolded Content-Type / Content-Disposition value.
// Thread-compatible (`conv` is per-thread).
ContentField ParseContentField(std::string_view value, CharsetConverter& conv,
                               TextIssues& issues);

// The parameter named `name` (lower-case), or nullptr.
const MimeParam* FindParam(const std::vector<MimeParam>& params,
                           std::string_view name);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_CONTENT_FIELDS_H_
