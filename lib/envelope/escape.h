// Text hygiene for everything the envelope code inserts into HTML, JSON or
// mail: UTF-8 repair, HTML escaping, single-line sanitising.
// Limits: UTF-8 repair replaces each invalid byte with U+FFFD; it does not
// normalise (no NFC).
#ifndef SEALMILTER_LIB_ENVELOPE_ESCAPE_H_
#define SEALMILTER_LIB_ENVELOPE_ESCAPE_H_

#include <string>
#include <string_view>

namespace seal::envelope {

// `s` with every byte that is not part of a valid UTF-8 sequence (including
// overlong forms, surrogates and code points above U+10FFFF) replaced by
// U+FFFD.
std::string ToValidUtf8(std::string_view s);
bool IsValidUtf8(std::string_view s);

// Escapes & < > " ' for use in HTML text and quoted attribute values.
std::string EscapeHtml(std::string_view s);

// Valid UTF-8 with control characters (C0, DEL) replaced by spaces: safe for
// one line of a text body or a header value.
std::string SanitizeLine(std::string_view s);

// A JSON string literal (with quotes) of valid UTF-8 `s`, escaping '"', '\\',
// control characters and '<', '>', '&' (as \u003c ...) so the result is
// inert inside an HTML element.
std::string JsonQuote(std::string_view s);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_ESCAPE_H_
