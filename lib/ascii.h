// ASCII case folding for protocol text (header field names, charset names,
// mail addresses, option values): the one definition the modules share.
// Byte-wise and locale-independent; bytes outside A-Z are left as they are.
#ifndef SEALMILTER_LIB_ASCII_H_
#define SEALMILTER_LIB_ASCII_H_

#include <cstddef>
#include <string_view>

namespace seal {

inline char LowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal when lower-cased (ASCII only). Inline: the MIME adapter calls it for
// every header field against several names, and most calls end at the
// length test.
inline bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

}  // namespace seal

#endif  // SEALMILTER_LIB_ASCII_H_
