// HTML character references: "&amp;", "&eacute;", "&#233;", "&#xE9;".
//
// Named references cover the HTML 4 set (Latin-1, symbols, Greek, special
// characters: 253 names) plus "&apos;". Numeric references follow HTML5:
// 0x80..0x9F are read as Windows-1252, 0, surrogates and values above
// U+10FFFF become U+FFFD. A missing ';' is accepted for numeric references
// and for the Latin-1 names HTML5 also accepts without it (e.g. "&amp",
// "&nbsp"). U+00A0 (nbsp) is returned as a plain space so that patterns
// with " " or \s match text a browser shows with spaces. Pure, thread-safe.
//
// Known limits: the ~2000 names HTML5 added (e.g. "&NotEqualTilde;") stay
// literal text.
#ifndef SEALMILTER_LIB_MIME_HTML_ENTITIES_H_
#define SEALMILTER_LIB_MIME_HTML_ENTITIES_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace seal::mime {

// If `text` starts with a character reference ("&..."), appends its UTF-8
// value to `out` and returns the number of bytes consumed; else returns 0
// and appends nothing.
size_t DecodeHtmlEntity(std::string_view text, std::string& out);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_HTML_ENTITIES_H_
