// RFC 2047 decoding (see encoded_words.h).
#include "lib/mime/encoded_words.h"

#include <cstddef>

#include "lib/ascii.h"
#include "lib/mime/transfer_decoding.h"

namespace seal::mime {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2047 "Q": '_' is a space, "=XX" a byte; a bad escape stays literal.
std::string DecodeQ(std::string_view text, bool* bad) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=') {
      const int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        *bad = true;
        out.push_back(c);
      } else {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      }
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct Word {
  size_t end = 0;       // index just past "?="
  std::string charset;  // as written, without "*language"
  std::string bytes;    // decoded bytes in `charset`
  bool bad = false;     // malformed payload (still decoded best effort)
};

enum class Scan { kWord, kNotAWord, kNoWordBefore };

// Tries to read an encoded-word at text[i] ("=?" already seen). On
// kNoWordBefore, *limit is a position before which no word can end: the
// encoded-text ran into whitespace or the end without "?=".
Scan ReadWord(std::string_view text, size_t i, Word& w, size_t* limit) {
  size_t p = i + 2;
  const size_t cs_begin = p;
  while (p < text.size() && text[p] != '?' && !IsWsp(text[p]) && p - i < 80) {
    ++p;
  }
  if (p >= text.size() || text[p] != '?' || p == cs_begin) {
    return Scan::kNotAWord;
  }
  const std::string_view cs = text.substr(cs_begin, p - cs_begin);
  if (p + 2 >= text.size() || text[p + 2] != '?') return Scan::kNotAWord;
  const char enc = text[p + 1];
  if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q') {
    return Scan::kNotAWord;
  }
  const size_t payload_begin = p + 3;
  size_t q = payload_begin;
  while (q < text.size() && !IsWsp(text[q])) {
    if (text[q] == '?' && q + 1 < text.size() && text[q + 1] == '=') break;
    ++q;
  }
  if (q >= text.size() || IsWsp(text[q])) {
    *limit = q;
    return Scan::kNoWordBefore;
  }
  const std::string_view payload =
      text.substr(payload_begin, q - payload_begin);
  w.end = q + 2;
  w.charset = std::string(cs.substr(0, cs.find('*')));
  if (enc == 'B' || enc == 'b') {
    Result<Decoded> d = DecodeBase64(payload, payload.size());
    if (!d.ok()) return Scan::kNotAWord;  // out of memory: keep literally
    w.bytes = std::move(d->bytes);
    w.bad = !d->problem.empty();
  } else {
    w.bytes = DecodeQ(payload, &w.bad);
  }
  return Scan::kWord;
}

}  // namespace

std::string DecodeEncodedWords(std::string_view text, CharsetConverter& conv,
                               TextIssues& issues) {
  // Most values hold no encoded-word at all: one copy, as the loop would.
  if (text.find("=?") == std::string_view::npos) {
    return RawBytesToUtf8(text, issues);
  }
  std::string out;
  AppendDecodedEncodedWords(text, conv, issues, out);
  return out;
}

void AppendDecodedEncodedWords(std::string_view text, CharsetConverter& conv,
                               TextIssues& issues, std::string& out) {
  if (text.find("=?") == std::string_view::npos) {
    if (IsValidUtf8(text)) {
      out.append(text);
    } else {
      issues.raw_not_utf8 = true;
      out += Windows1252ToUtf8(text);
    }
    return;
  }
  out.reserve(out.size() + text.size());
  std::string pending;          // bytes of adjacent words in one charset
  std::string pending_charset;  // their charset
  bool have_pending = false;
  auto flush_pending = [&] {
    if (!have_pending) return;
    out += conv.ToUtf8(pending, pending_charset, issues);
    pending.clear();
    have_pending = false;
  };

  size_t literal_begin = 0;  // start of raw text not yet copied
  size_t no_word_before = 0;
  size_t i = 0;
  while (i + 1 < text.size()) {
    if (text[i] != '=' || text[i + 1] != '?' || i < no_word_before) {
      ++i;
      continue;
    }
    Word w;
    size_t limit = 0;
    const Scan s = ReadWord(text, i, w, &limit);
    if (s == Scan::kNoWordBefore) {
      no_word_before = limit;
      ++i;
      continue;
    }
    if (s == Scan::kNotAWord) {
      ++i;
      continue;
    }
    // Raw text since the last word: dropped when it is only whitespace
    // between two encoded-words, else copied.
    const std::string_view gap = text.substr(literal_begin, i - literal_begin);
    bool only_space = true;
    for (char c : gap) only_space = only_space && IsWsp(c);
    if (!(have_pending && only_space)) {
      flush_pending();
      out += RawBytesToUtf8(gap, issues);
    } else if (!EqualsIgnoreAsciiCase(pending_charset, w.charset)) {
      flush_pending();
    }
    if (w.bad) issues.bad_encoding = true;
    if (have_pending) {
      pending += w.bytes;
    } else {
      pending = std::move(w.bytes);
      pending_charset = std::move(w.charset);
      have_pending = true;
    }
    i = w.end;
    literal_begin = i;
  }
  flush_pending();
  out += RawBytesToUtf8(text.substr(literal_begin), issues);
}

}  // namespace seal::mime
