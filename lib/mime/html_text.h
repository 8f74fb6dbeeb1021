// HTML to plain text for classification: what a reader would see, not a
// renderer. Drops tags, comments, <script>, <style>, <template> and
// declarations; decodes character references (html_entities.h); block
// elements (p, div, br, li, tr, h1, ...) become line breaks, phrasing
// elements (b, i, span, a, font, ...) vanish so "4111<b>1111</b>" stays one
// number, any other tag becomes a space; whitespace runs collapse to one
// space. One linear pass; handles unclosed tags, quotes and comments.
//
// Unlike a browser, an unterminated comment, <script>/<style> or tag does not
// hide the rest of the document: the rest is read as HTML text (a DLP scan
// must see what leaves), and `unclosed` is reported. After the first
// unterminated quoted attribute, tags end at the next '>' regardless of
// quotes; this and memoised failed searches keep every input linear.
//
// Known limits: attribute text (alt, title) is dropped; <pre> whitespace is
// collapsed; CSS-hidden text is kept. Pure functions, thread-safe.
#ifndef SEALMILTER_LIB_MIME_HTML_TEXT_H_
#define SEALMILTER_LIB_MIME_HTML_TEXT_H_

#include <string>
#include <string_view>

namespace seal::mime {

struct HtmlIssues {
  bool unclosed = false;  // a comment, raw-text element, tag or quote never
                          // ended; the rest was read as text
};

// `html` must already be UTF-8; the result is UTF-8 when the input is.
std::string HtmlToText(std::string_view html, HtmlIssues* issues = nullptr);

// The charset a <meta> element in the first 2048 bytes declares, lower-case,
// or "" (used when the MIME part has no charset parameter).
std::string SniffHtmlCharset(std::string_view html);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_HTML_TEXT_H_
