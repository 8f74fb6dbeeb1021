// Charset conversion to UTF-8 (see charset.h).
#include "lib/mime/charset.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace seal::mime {
namespace {

const iconv_t kBadCd = reinterpret_cast<iconv_t>(static_cast<intptr_t>(-1));
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Windows-1252 0x80..0x9F (WHATWG index; undefined bytes map to C1).
constexpr char16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid;
// *bad_len is then the length of the maximal invalid subpart (>= 1).
size_t ValidSequence(std::string_view s, size_t i, size_t* bad_len) {
  const auto b = [&](size_t k) -> unsigned {
    return static_cast<unsigned char>(s[k]);
  };
  const unsigned c = b(i);
  if (c < 0x80) return 1;
  size_t need = 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c == 0xE0) {
    need = 2;
    lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    need = 2;
  } else if (c == 0xED) {
    need = 2;
    hi = 0x9F;
  } else if (c == 0xF0) {
    need = 3;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    need = 3;
  } else if (c == 0xF4) {
    need = 3;
    hi = 0x8F;
  } else {
    *bad_len = 1;
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) {
      *bad_len = k;
      return 0;
    }
    const unsigned t = b(i + k);
    const unsigned l = k == 1 ? lo : 0x80;
    const unsigned h = k == 1 ? hi : 0xBF;
    if (t < l || t > h) {
      *bad_len = k;
      return 0;
    }
  }
  return need + 1;
}

bool LabelCharOk(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '(' || c == ')' || c == '+';
}

// Labels read as "UTF-8 if valid, else Windows-1252".
bool IsAsciiLabel(std::string_view cs) {
  return cs.empty() || cs == "us-ascii" || cs == "ascii" || cs == "us" ||
         cs == "ansi_x3.4-1968" || cs == "iso646-us" || cs == "646" ||
         cs == "unknown-8bit" || cs == "x-unknown" || cs == "unknown" ||
         cs == "default" || cs == "x-user-defined";
}

bool IsCp1252Label(std::string_view cs) {
  return cs == "iso-8859-1" || cs == "iso8859-1" || cs == "iso_8859-1" ||
         cs == "latin1" || cs == "latin-1" || cs == "l1" || cs == "cp819" ||
         cs == "iso-ir-100" || cs == "ibm819" || cs == "windows-1252" ||
         cs == "cp1252" || cs == "x-cp1252" || cs == "iso_8859-1:1987";
}

bool IsUtf8Label(std::string_view cs) {
  return cs == "utf-8" || cs == "utf8" || cs == "unicode-1-1-utf-8" ||
         cs == "x-unicode20utf8";
}

// Labels mail clients write that glibc iconv spells differently.
std::string_view IconvName(std::string_view cs) {
  struct Alias {
    std::string_view label, name;
  };
  static constexpr Alias kAliases[] = {
      {"x-sjis", "SHIFT_JIS"},
      {"shift-jis", "SHIFT_JIS"},
      {"ms_kanji", "SHIFT_JIS"},
      {"ks_c_5601-1987", "CP949"},
      {"ks_c_5601", "CP949"},
      {"ks_c_5601-1989", "CP949"},
      {"iso-8859-8-i", "ISO-8859-8"},
      {"iso-8859-6-i", "ISO-8859-6"},
      {"x-mac-roman", "MACINTOSH"},
      {"x-euc-jp", "EUC-JP"},
      {"x-gbk", "GBK"},
      {"gb2312", "GBK"},
      {"unicode-1-1-utf-7", "UTF-7"},
      {"x-unicode-2-0-utf-7", "UTF-7"},
      {"windows-874", "CP874"},
      {"x-mac-cyrillic", "MAC-CYRILLIC"},
  };
  for (const Alias& a : kAliases) {
    if (a.label == cs) return a.name;
  }
  return cs;
}

// How many of the 16 bytes at `p` ToScanText can copy as they are (not
// NUL, CR or >= 0x80) before the first one it cannot: 16 when all.
inline size_t CleanPrefix16(const char* p) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i special =
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
                   v);  // the high bit of a byte >= 0x80
  const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
  return mask == 0 ? 16 : static_cast<size_t>(std::countr_zero(mask));
#else
  if constexpr (std::endian::native == std::endian::little) {
    // Eight bytes at a time; the zero-byte test can flag bytes after a true
    // NUL or CR, never before one, so the lowest flag is exact.
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    for (size_t half = 0; half < 16; half += 8) {
      uint64_t x;
      std::memcpy(&x, p + half, 8);
      const uint64_t cr = x ^ (kOnes * '\r');
      const uint64_t flags =
          (((x - kOnes) & ~x) | ((cr - kOnes) & ~cr) | x) & kHigh;
      if (flags != 0) {
        return half + static_cast<size_t>(std::countr_zero(flags)) / 8;
      }
    }
    return 16;
  }
  size_t k = 0;
  while (k < 16 && p[k] != '\0' && p[k] != '\r' &&
         static_cast<unsigned char>(p[k]) < 0x80) {
    ++k;
  }
  return k;
#endif
}

// What is left of the input after the output cap: checked, not copied.
// False when `sanitize` is off and the bytes are not UTF-8.
bool CheckRest(std::string_view s, size_t i, bool sanitize, bool& replaced,
               bool& nul) {
  const size_t n = s.size();
  while (i < n) {
    if (i + 16 <= n) {
      const size_t clean = CleanPrefix16(s.data() + i);
      i += clean;
      if (clean == 16) continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t bad = 0;
      const size_t k = ValidSequence(s, i, &bad);
      if (k == 0) {
        if (!sanitize) return false;
        replaced = true;
        i += bad;
      } else {
        i += k;
      }
      continue;
    }
    if (c == 0) nul = true;
    ++i;
  }
  return true;
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  // Header names, values and addresses are nearly always ASCII: skip it
  // eight bytes at a time, the last few as the final eight bytes. A byte
  // loop here was a tenth of the header cost of a small message
  // (bench/classify_bench).
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const size_t size = bytes.size();
  size_t i = 0;
  uint64_t word;
  while (i + 8 <= size) {
    std::memcpy(&word, bytes.data() + i, 8);
    if ((word & kHigh) != 0) break;
    i += 8;
  }
  if (i + 8 > size && size >= 8) {  // the tail, as the last eight bytes
    std::memcpy(&word, bytes.data() + size - 8, 8);
    if ((word & kHigh) == 0) return true;
  }
  while (i < size) {
    if (i + 8 <= size) {
      std::memcpy(&word, bytes.data() + i, 8);
      if ((word & kHigh) == 0) {
        i += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t bad = 0;
    const size_t n = ValidSequence(bytes, i, &bad);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view bytes, bool* replaced) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      // Copy the ASCII run in one go, finding its end eight bytes at a time.
      size_t j = i + 1;
      while (j + 8 <= bytes.size()) {
        uint64_t word;
        std::memcpy(&word, bytes.data() + j, 8);
        if ((word & 0x8080808080808080ull) != 0) break;
        j += 8;
      }
      while (j < bytes.size() && static_cast<unsigned char>(bytes[j]) < 0x80) {
        ++j;
      }
      out.append(bytes.data() + i, j - i);
      i = j;
      continue;
    }
    size_t bad = 0;
    const size_t n = ValidSequence(bytes, i, &bad);
    if (n == 0) {
      out.append(kReplacement);
      if (replaced != nullptr) *replaced = true;
      i += bad;
    } else {
      out.append(bytes.data() + i, n);
      i += n;
    }
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Windows1252ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else if (c < 0xA0) {
      AppendUtf8(out, kCp1252High[c - 0x80]);
    } else {
      AppendUtf8(out, c);
    }
  }
  return out;
}

std::string RawBytesToUtf8(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  return Windows1252ToUtf8(bytes);
}

std::string RawBytesToUtf8(std::string_view bytes, TextIssues& issues) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  issues.raw_not_utf8 = true;
  return Windows1252ToUtf8(bytes);
}

size_t Utf8PrefixLength(std::string_view text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t n = max;
  // Step back over continuation bytes to the start of the cut sequence.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

std::string NormalizeCharset(std::string_view label) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  while (!label.empty() && is_space(label.front())) label.remove_prefix(1);
  while (!label.empty() && is_space(label.back())) label.remove_suffix(1);
  if (label.size() >= 2 && label.front() == '"' && label.back() == '"') {
    label = label.substr(1, label.size() - 2);
  }
  if (const size_t star = label.find('*'); star != std::string_view::npos) {
    label = label.substr(0, star);  // RFC 2231 section 5: charset*lang
  }
  if (label.size() > 40) return "";
  std::string out;
  out.reserve(label.size());
  for (char c : label) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!LabelCharOk(c)) return "";
    out.push_back(c);
  }
  return out;
}

CharsetConverter::~CharsetConverter() {
  for (Entry& e : cache_) {
    if (e.cd != kBadCd) iconv_close(e.cd);
  }
}

iconv_t CharsetConverter::Lookup(const std::string& name) {
  for (const Entry& e : cache_) {
    if (e.name == name) return e.cd;
  }
  const std::string iconv_name(IconvName(name));
  iconv_t cd = iconv_open("UTF-8", iconv_name.c_str());
  if (cache_.size() >= kMaxCached) {
    if (cache_.front().cd != kBadCd) iconv_close(cache_.front().cd);
    cache_.erase(cache_.begin());
  }
  cache_.push_back(Entry{name, cd});
  return cd;
}

bool CharsetConverter::ToScanText(std::string_view bytes,
                                  std::string_view charset, size_t stop_after,
                                  std::string& out, TextIssues& issues,
                                  bool* nul) {
  const std::string cs = NormalizeCharset(charset);
  const bool label_invalid = cs.empty() && !charset.empty();
  bool sanitize;  // UTF-8 label: replace invalid bytes; else all or nothing
  if (IsUtf8Label(cs)) {
    sanitize = true;
  } else if (IsAsciiLabel(cs) && !label_invalid) {
    sanitize = false;
  } else {
    return false;
  }
  const char* s = bytes.data();
  const size_t n = bytes.size();
  if (n == 0) {  // no buffer to allocate for an empty body
    out.clear();
    if (nul != nullptr) *nul = false;
    return true;
  }
  // Room for the text as long as the input (up to the cap), and 16 more;
  // only NUL and invalid bytes make it longer (one byte to three).
  size_t cap = (n < stop_after ? n : stop_after) + 16;
  out.resize(cap);
  char* d = out.data();
  bool replaced = false, had_nul = false;
  size_t i = 0, w = 0;
  while (i < n) {
    if (w > stop_after) {
      if (!CheckRest(bytes, i, sanitize, replaced, had_nul)) return false;
      break;
    }
    if (i + 16 <= n && w + 16 <= cap) {
      // Copy the block, keep its clean prefix.
      const size_t clean = CleanPrefix16(s + i);
      std::memcpy(d + w, s + i, 16);
      i += clean;
      w += clean;
      if (clean == 16) continue;
    }
    if (w + 4 > cap) {
      cap = cap + cap / 2 + 16;
      out.resize(cap);
      d = out.data();
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      d[w++] = '\n';
      i += (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
    } else if (c == 0) {
      std::memcpy(d + w, kReplacement.data(), kReplacement.size());
      w += kReplacement.size();
      had_nul = true;
      ++i;
    } else if (c < 0x80) {
      d[w++] = static_cast<char>(c);
      ++i;
    } else {
      size_t bad = 0;
      const size_t k = ValidSequence(bytes, i, &bad);
      if (k == 0) {
        if (!sanitize) return false;
        std::memcpy(d + w, kReplacement.data(), kReplacement.size());
        w += kReplacement.size();
        replaced = true;
        i += bad;
      } else {
        std::memcpy(d + w, s + i, k);  // k <= 4
        w += k;
        i += k;
      }
    }
  }
  out.resize(w);
  if (replaced) issues.replaced = true;
  if (nul != nullptr) *nul = had_nul;
  return true;
}

std::string CharsetConverter::ToUtf8(std::string_view bytes,
                                     std::string_view charset,
                                     TextIssues& issues) {
  const std::string cs = NormalizeCharset(charset);
  const bool label_invalid = cs.empty() && !charset.empty();
  if (IsAsciiLabel(cs) && !label_invalid) return RawBytesToUtf8(bytes);
  if (IsUtf8Label(cs)) return SanitizeUtf8(bytes, &issues.replaced);
  if (IsCp1252Label(cs)) return Windows1252ToUtf8(bytes);

  iconv_t cd = label_invalid ? kBadCd : Lookup(cs);
  if (cd == kBadCd) {
    issues.unknown_charset = label_invalid ? "(invalid label)" : cs;
    return RawBytesToUtf8(bytes);
  }
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  char* in = const_cast<char*>(bytes.data());  // iconv's API is not const
  size_t in_left = bytes.size();
  char buf[16384];
  while (in_left > 0) {
    char* outp = buf;
    size_t out_left = sizeof(buf);
    const size_t r = iconv(cd, &in, &in_left, &outp, &out_left);
    out.append(buf, static_cast<size_t>(outp - buf));
    if (r != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    issues.replaced = true;
    out.append(kReplacement);
    if (errno == EILSEQ && in_left > 0) {
      ++in;  // skip the offending byte and go on
      --in_left;
      continue;
    }
    break;  // EINVAL: incomplete sequence at the end of the input
  }
  return out;
}

}  // namespace seal::mime
