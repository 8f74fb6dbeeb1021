// Helpers shared by the MIME adapter tests.
#ifndef SEALMILTER_TESTS_UNIT_MIME_TEST_UTIL_H_
#define SEALMILTER_TESTS_UNIT_MIME_TEST_UTIL_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/message_text.h"

namespace seal::mime::testing {

// "a\nb\n" -> "a\r\nb\r\n" (messages on the wire use CRLF).
inline std::string Crlf(std::string_view lf) {
  std::string out;
  out.reserve(lf.size() + lf.size() / 16);
  for (char c : lf) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

// The texts of one scope, in order.
inline std::vector<std::string> Texts(const MessageText& t, Scope s) {
  std::vector<std::string> out;
  for (const TextItem& i : t.at(s)) out.push_back(i.text);
  return out;
}

inline std::vector<std::string> Origins(const MessageText& t, Scope s) {
  std::vector<std::string> out;
  for (const TextItem& i : t.at(s)) out.push_back(i.origin);
  return out;
}

// True when some warning contains `needle`.
inline bool HasWarning(const MessageText& t, std::string_view needle) {
  for (const std::string& w : t.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

inline bool HasWarning(const std::vector<std::string>& ws,
                       std::string_view needle) {
  for (const std::string& w : ws) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace seal::mime::testing

#endif  // SEALMILTER_TESTS_UNIT_MIME_TEST_UTIL_H_
