// Header field helpers (see header_fields.h).
#include "lib/mime/header_fields.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstdint>
#include <cstring>

namespace seal::mime {

namespace {

bool FoldOrEdge(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// True when one of the eight bytes of `word` is CR or LF (the classic
// "has a zero byte" test on word ^ CR and word ^ LF; exact for "any").
bool HasLineBreak(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t cr = word ^ (kOnes * '\r');
  const uint64_t lf = word ^ (kOnes * '\n');
  return ((((cr - kOnes) & ~cr) | ((lf - kOnes) & ~lf)) & kHigh) != 0;
}

// Index of the first CR or LF at or after `from`, or v.size(). Skips
// eight bytes at a time where there is none (every field value is scanned
// once for folds): string_view::find_first_of calls memchr once per byte.
size_t NextLineBreak(std::string_view v, size_t from) {
  while (from + 8 <= v.size()) {
    uint64_t word;
    std::memcpy(&word, v.data() + from, 8);
    if (HasLineBreak(word)) break;
    from += 8;
  }
  while (from < v.size() && v[from] != '\r' && v[from] != '\n') ++from;
  return from;
}

// True when none of the eight bytes at `p` is NUL, CR, LF, '=' or 8-bit
// (the zero-byte test again, once per byte value).
bool Plain8(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint64_t word;
  std::memcpy(&word, p, 8);
  const uint64_t cr = word ^ (kOnes * '\r');
  const uint64_t lf = word ^ (kOnes * '\n');
  const uint64_t eq = word ^ (kOnes * '=');
  const uint64_t zero = ((word - kOnes) & ~word) | ((cr - kOnes) & ~cr) |
                        ((lf - kOnes) & ~lf) | ((eq - kOnes) & ~eq);
  return ((zero | word) & kHigh) == 0;
}

// The same for the sixteen bytes at `p`.
bool Plain16(const char* p) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i special =
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
                   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('='))));
  return _mm_movemask_epi8(_mm_or_si128(special, v)) == 0;  // | high bits
#else
  return Plain8(p) && Plain8(p + 8);
#endif
}

// Appends `v` without its CR and LF, copying the runs between them.
void AppendWithoutLineBreaks(std::string_view v, std::string& out) {
  size_t i = 0;
  while (i < v.size()) {
    const size_t end = NextLineBreak(v, i);
    out.append(v.data() + i, end - i);
    i = end + 1;
  }
}

}  // namespace

std::string_view TrimFoldWhitespace(std::string_view v) {
  size_t b = 0, e = v.size();
  while (b < e && FoldOrEdge(v[b])) ++b;
  while (e > b && FoldOrEdge(v[e - 1])) --e;
  return v.substr(b, e - b);
}

std::string UnfoldValue(std::string_view raw_value) {
  // Dropping CR and LF, then trimming blanks, is trimming blanks, CR and LF,
  // then dropping the CR and LF inside: one copy, no second string.
  std::string out;
  const std::string_view t = TrimFoldWhitespace(raw_value);
  out.reserve(t.size());
  AppendWithoutLineBreaks(t, out);
  return out;
}

std::string_view UnfoldedView(std::string_view raw_value,
                              std::string& storage) {
  const std::string_view t = TrimFoldWhitespace(raw_value);
  if (NextLineBreak(t, 0) == t.size()) return t;
  storage.clear();
  storage.reserve(t.size());
  AppendWithoutLineBreaks(t, storage);
  return storage;
}

bool IsPlainFieldText(std::string_view v) {
  const char* p = v.data();
  const size_t n = v.size();
  if (n >= 16) {  // blocks of 16, the last one overlapping
    for (size_t i = 0; i + 16 <= n; i += 16) {
      if (!Plain16(p + i)) return false;
    }
    return Plain16(p + n - 16);
  }
  if (n >= 8) return Plain8(p) && Plain8(p + n - 8);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == 0 || c == '\r' || c == '\n' || c == '=' || c >= 0x80) {
      return false;
    }
  }
  return true;
}

size_t FieldNameLength(std::string_view line, size_t* colon) {
  size_t i = 0;
  while (i < line.size()) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == ':' || c < 33 || c > 126) break;
    ++i;
  }
  const size_t name_len = i;
  if (name_len == 0) return 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size() || line[i] != ':') return 0;
  *colon = i;
  return name_len;
}

}  // namespace seal::mime
