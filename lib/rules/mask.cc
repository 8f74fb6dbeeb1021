// Masking of match samples (see lib/rules/mask.h).
#include "lib/rules/mask.h"

namespace seal::rules {
namespace {

bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

}  // namespace

std::string MaskSample(std::string_view match) {
  // Count the visible tail first: the last kVisibleTail ASCII letters/digits.
  size_t alnum_total = 0;
  for (char ch : match) {
    if (IsAsciiAlnum(static_cast<unsigned char>(ch))) ++alnum_total;
  }
  size_t keep_from =
      alnum_total > kVisibleTail ? alnum_total - kVisibleTail : 0;

  std::string out;
  out.reserve(match.size());
  size_t alnum_seen = 0;
  for (size_t i = 0; i < match.size(); ++i) {
    auto c = static_cast<unsigned char>(match[i]);
    if (IsAsciiAlnum(c)) {
      out.push_back(alnum_seen++ >= keep_from ? static_cast<char>(c) : '*');
    } else if (c >= 0x80) {
      // One '*' per UTF-8 sequence: skip continuation bytes.
      if ((c & 0xC0) != 0x80) out.push_back('*');
    } else if (c < 0x20 || c == 0x7F || c == ' ') {
      if (out.empty() || out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (out.size() > kMaxSampleChars) {
    out = "..." + out.substr(out.size() - (kMaxSampleChars - 3));
  }
  return out;
}

}  // namespace seal::rules
