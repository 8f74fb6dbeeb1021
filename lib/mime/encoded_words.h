// RFC 2047 encoded-words ("=?utf-8?B?w6k=?=") in header text, decoded to
// UTF-8.
//
// Lenient like common mail clients: encoded-words are recognised anywhere,
// not only as whole atoms (also inside quoted strings and parameter values
// that Outlook writes that way); whitespace between two adjacent
// encoded-words is dropped (RFC 2047 section 6.2); adjacent words in the
// same charset are joined before conversion so a multi-byte character split
// across words survives. Text outside encoded-words is raw header bytes:
// UTF-8 when valid, else Windows-1252. A malformed word is kept literally.
//
// Known limits: the RFC's 75-character limit per word is not enforced;
// encoded-text may not contain whitespace. Linear in the input.
#ifndef SEALMILTER_LIB_MIME_ENCODED_WORDS_H_
#define SEALMILTER_LIB_MIME_ENCODED_WORDS_H_

#include <string>
#include <string_view>

#include "lib/mime/charset.h"

namespace seal::mime {

// Decodes an unfolded header value (or phrase) to UTF-8. Problems (bad
// base64, unknown charset, invalid bytes) are recorded in `issues`.
// Thread-compatible (`conv` is per-thread).
std::string DecodeEncodedWords(std::string_view text, CharsetConverter& conv,
                               TextIssues& issues);
// The same text appended to `out`, without a string of its own (the text
// extractor builds "Name: value" items this way).
void AppendDecodedEncodedWords(std::string_view text, CharsetConverter& conv,
                               TextIssues& issues, std::string& out);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_ENCODED_WORDS_H_
