// Helpers shared by the envelope unit tests: the built-in template set
// (loaded once), a quoted-printable decoder and a tiny MIME part splitter
// for checking what the notification code writes.
#ifndef SEALMILTER_TESTS_UNIT_ENVELOPE_ENVELOPE_TEST_UTIL_H_
#define SEALMILTER_TESTS_UNIT_ENVELOPE_ENVELOPE_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "lib/envelope/template_set.h"

namespace seal::envelope::testing {

inline std::shared_ptr<const EnvelopeTemplates> Templates() {
  static auto loaded = EnvelopeTemplates::Load("");
  REQUIRE(loaded.ok());
  return *loaded;
}

inline std::string DecodeQuotedPrintable(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && i + 2 < in.size() && in[i + 1] == '\r' &&
        in[i + 2] == '\n') {
      i += 2;
      continue;
    }
    if (in[i] == '=' && i + 2 < in.size()) {
      out.push_back(static_cast<char>(
          std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
      continue;
    }
    out.push_back(in[i]);
  }
  return out;
}

// The parts between "--boundary" lines (headers included), without the
// CRLF before each delimiter.
inline std::vector<std::string> SplitParts(const std::string& body,
                                           const std::string& boundary) {
  std::vector<std::string> parts;
  const std::string delim = "--" + boundary;
  size_t pos = body.find(delim);
  while (pos != std::string::npos) {
    size_t after = pos + delim.size();
    if (body.compare(after, 2, "--") == 0) break;
    size_t start = body.find("\r\n", after) + 2;
    size_t next = body.find("\r\n" + delim, start);
    if (next == std::string::npos) break;
    parts.push_back(body.substr(start, next - start));
    pos = next + 2;
  }
  return parts;
}

// The boundary parameter of the first Content-Type in `headers`.
inline std::string BoundaryOf(const std::string& headers) {
  size_t b = headers.find("boundary=\"");
  REQUIRE(b != std::string::npos);
  b += 10;
  return headers.substr(b, headers.find('"', b) - b);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace seal::envelope::testing

#endif  // SEALMILTER_TESTS_UNIT_ENVELOPE_ENVELOPE_TEST_UTIL_H_
