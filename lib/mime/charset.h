// Charset conversion to UTF-8 for the MIME adapter.
//
// UTF-8 validation and the Windows-1252 family (us-ascii, iso-8859-1 and
// windows-1252 labels, read as WHATWG does) are done here; every other
// charset goes through glibc iconv. Invalid input bytes become U+FFFD
// (one per maximal invalid subpart for UTF-8, one per byte for iconv). An
// unknown or unusable charset label falls back to "UTF-8 if valid, else
// Windows-1252" and is reported so the caller can warn. Nothing here throws
// except std::bad_alloc.
//
// Known limits: a label is accepted only if it is at most 40 characters of
// [A-Za-z0-9._:()+-] (no "//TRANSLIT" suffixes reach iconv); an input byte
// that iconv rejects mid-way through a stateful encoding (ISO-2022-JP) is
// skipped without resetting the shift state.
#ifndef SEALMILTER_LIB_MIME_CHARSET_H_
#define SEALMILTER_LIB_MIME_CHARSET_H_

#include <iconv.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace seal::mime {

// What went wrong while turning bytes into text; accumulated by the decoders
// so the caller can emit one warning per part or header.
struct TextIssues {
  bool bad_encoding = false;    // malformed base64 / QP / encoded-word
  bool replaced = false;        // invalid bytes were replaced by U+FFFD
  bool raw_not_utf8 = false;    // raw 8-bit text read as Windows-1252
  std::string unknown_charset;  // a label iconv does not know (last seen)
};

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view bytes);
// Copies `bytes`, replacing each maximal invalid subpart by U+FFFD. Sets
// *replaced (when given) if anything was replaced.
std::string SanitizeUtf8(std::string_view bytes, bool* replaced = nullptr);
// Windows-1252 to UTF-8 (0x81, 0x8D, 0x8F, 0x90, 0x9D map to C1 controls).
std::string Windows1252ToUtf8(std::string_view bytes);
// Raw 8-bit header or parameter text: UTF-8 when valid, else Windows-1252.
std::string RawBytesToUtf8(std::string_view bytes);
// Same, recording the Windows-1252 fallback in issues.raw_not_utf8.
std::string RawBytesToUtf8(std::string_view bytes, TextIssues& issues);
// Length of the longest prefix of UTF-8 `text` of at most `max` bytes that
// does not end inside a multi-byte sequence.
size_t Utf8PrefixLength(std::string_view text, size_t max);
// Appends the UTF-8 encoding of `cp` (U+FFFD for surrogates and > U+10FFFF).
void AppendUtf8(std::string& out, char32_t cp);
// Lower-cased, trimmed, quotes removed, "*language" (RFC 2231) dropped;
// empty when the label has characters outside [A-Za-z0-9._:()+-] or is
// longer than 40.
std::string NormalizeCharset(std::string_view label);

// Converts text in a MIME charset to UTF-8. Caches one iconv descriptor per
// charset seen. Thread-compatible: use one instance per thread (in practice
// one per message). Owns its descriptors and closes them on destruction.
class CharsetConverter {
 public:
  CharsetConverter() = default;
  ~CharsetConverter();
  CharsetConverter(const CharsetConverter&) = delete;
  CharsetConverter& operator=(const CharsetConverter&) = delete;

  // `charset` is the label as written (any case); empty means unlabelled
  // (treated as us-ascii: UTF-8 if valid, else Windows-1252). Records an
  // unknown label or replaced bytes in `issues`.
  std::string ToUtf8(std::string_view bytes, std::string_view charset,
                     TextIssues& issues);

  // The text rules scan, in one pass over `bytes` and one copy, when
  // `charset` is UTF-8 or a "UTF-8 if valid" label (us-ascii, unlabelled):
  // the same text as ToUtf8, then CRLF and lone CR made LF and NUL made
  // U+FFFD. Returns false, `out` unspecified, for any other charset and
  // for unlabelled bytes that are not UTF-8 (Windows-1252): the caller then
  // takes the general path. Output stops once longer than `stop_after`
  // bytes (it is then a prefix of the full text, cut by the caller); the
  // rest of `bytes` is still checked, not copied, so `issues` and `*nul`
  // (set when there was a NUL) say the same as for the whole text.
  bool ToScanText(std::string_view bytes, std::string_view charset,
                  size_t stop_after, std::string& out, TextIssues& issues,
                  bool* nul);

 private:
  struct Entry {
    std::string name;  // normalized label
    iconv_t cd;        // (iconv_t)-1 when iconv does not know the label
  };
  iconv_t Lookup(const std::string& name);
  static constexpr size_t kMaxCached = 16;
  std::vector<Entry> cache_;
};

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_CHARSET_H_
