// MimeLimits: structural limits fail with kResourceExhausted, content
// limits truncate; large inputs stay linear (depth bomb, 10,000 parts,
// 20 MB line, 30 MB base64 attachment).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "lib/mime/mime_parser.h"
#include "lib/mime/text_extractor.h"
#include "tests/unit/mime/test_util.h"

namespace seal::mime {
namespace {

using testing::HasWarning;
using testing::Texts;

// `levels` nested multiparts around one text part.
std::string DepthBomb(size_t levels) {
  std::string m;
  for (size_t i = 0; i < levels; ++i) {
    m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) +
         "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  }
  m += "Content-Type: text/plain\r\n\r\ndeep\r\n";
  return m;
}

std::string ManyParts(size_t n) {
  std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (size_t i = 0; i < n; ++i) m += "--b\r\n\r\np\r\n";
  m += "--b--\r\n";
  return m;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

TEST_CASE("Depth limit", "[mime][limits]") {
  SECTION("a 1000-deep multipart bomb is refused") {
    Result<ParsedMime> r = ParseMime(DepthBomb(1000));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kResourceExhausted);
    CHECK(r.status().message() == "MIME nesting deeper than 20");
    Result<MessageText> t = ExtractMessageText(DepthBomb(1000));
    CHECK(t.status().code() == StatusCode::kResourceExhausted);
  }
  SECTION("depth 20 passes, 21 fails") {
    // 20 multipart levels: the text part sits at depth 20.
    Result<ParsedMime> ok = ParseMime(DepthBomb(20));
    REQUIRE(ok.ok());
    CHECK(ok->parts.back().depth == 20);
    std::string want = "1";
    for (int i = 1; i < 20; ++i) want += ".1";
    CHECK(ok->parts.back().path == want);
    CHECK(ParseMime(DepthBomb(21)).status().code() ==
          StatusCode::kResourceExhausted);
  }
  SECTION("a configured limit") {
    MimeLimits l;
    l.max_depth = 2;
    CHECK(ParseMime(DepthBomb(2), l).ok());
    CHECK_FALSE(ParseMime(DepthBomb(3), l).ok());
  }
  SECTION("encapsulated messages count") {
    std::string m;
    for (int i = 0; i < 30; ++i) m += "Content-Type: message/rfc822\r\n\r\n";
    m += "\r\nbody";
    CHECK(ParseMime(m).status().code() == StatusCode::kResourceExhausted);
  }
  SECTION("the parser does not recurse: 5000 levels with raised limits") {
    // Paths grow with depth ("1.1.1..."), so memory is quadratic in depth:
    // that, not the stack, is why max_depth must stay small.
    MimeLimits l;
    l.max_depth = 10000;
    l.max_parts = 10000;
    Result<ParsedMime> r = ParseMime(DepthBomb(5000), l);
    REQUIRE(r.ok());
    CHECK(r->parts.size() == 5001);
    CHECK(r->parts.back().depth == 5000);
    // Each level lacks its closing boundary: 64 warnings kept, rest counted.
    REQUIRE(r->warnings.size() == 65);
    CHECK(r->warnings.back() == "4936 more warnings");
  }
}

TEST_CASE("Part count limit", "[mime][limits]") {
  const std::string m = ManyParts(10000);
  Result<ParsedMime> r = ParseMime(m);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kResourceExhausted);
  CHECK(r.status().message() == "message has more than 500 MIME parts");

  MimeLimits l;
  l.max_parts = 20000;
  const auto start = std::chrono::steady_clock::now();
  Result<ParsedMime> big = ParseMime(m, l);
  REQUIRE(big.ok());
  CHECK(big->parts.size() == 10001);
  CHECK(big->parts.back().path == "10000");
  Result<MessageText> t = ExtractMessageText(*big, l);
  REQUIRE(t.ok());
  CHECK(t->at(Scope::kBody).size() == 10000);
  CHECK(Seconds(start) < 10.0);

  // Parts inside a base64 message/rfc822 count against the same limit.
  l.max_parts = 3;
  Result<MessageText> nested = ExtractMessageText(
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
      "\r\n"
      // "Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n"
      "Q29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ7IGJvdW5kYXJ5PWMNCg0KLS1jDQoNCn"
      "gNCg==\r\n--b--\r\n",
      l);
  CHECK(nested.status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("Header size limit", "[mime][limits]") {
  std::string m = "Subject: " + std::string(300 * 1024, 'x') + "\r\n\r\nb";
  Result<ParsedMime> r = ParseMime(m);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kResourceExhausted);
  CHECK(r.status().message() == "MIME header block larger than 262144 bytes");

  // A 20 MB header line fails at once, without quadratic work.
  const std::string huge = "X: " + std::string(20 << 20, 'a');
  const auto start = std::chrono::steady_clock::now();
  CHECK(ParseMime(huge).status().code() == StatusCode::kResourceExhausted);
  CHECK(Seconds(start) < 5.0);
}

TEST_CASE("Header field limit cuts text", "[mime][limits]") {
  MimeLimits l;
  l.max_header_field_bytes = 10;
  Result<MessageText> t =
      ExtractMessageText("X-Long: 0123456789abcdef\r\n\r\nb", l);
  REQUIRE(t.ok());
  CHECK(Texts(*t, Scope::kHeaders) ==
        std::vector<std::string>{"X-Long: 012345678"});
  CHECK(HasWarning(*t, "header X-Long longer than 10 bytes, cut"));
  CHECK(t->truncated);  // the rest of the field was not classified
}

TEST_CASE("A 20 MB single line is linear", "[mime][limits]") {
  const std::string line(20 << 20, 'a');
  const std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/html\r\n\r\n" +
      line + "\r\n--b\r\n\r\n--" + line + "\r\n--b--\r\n";
  const auto start = std::chrono::steady_clock::now();
  Result<ParsedMime> r = ParseMime(m);
  REQUIRE(r.ok());
  REQUIRE(r->parts.size() == 3);
  CHECK(r->BodyBytes(r->parts[1]).size() == line.size());
  Result<MessageText> t = ExtractMessageText(*r);
  REQUIRE(t.ok());
  CHECK(t->truncated);  // 40 MB of text > 16 MiB cap
  CHECK(t->bytes == 16u << 20);
  CHECK(HasWarning(*t, "text cap of 16777216 bytes reached"));
  CHECK(Seconds(start) < 20.0);
}

TEST_CASE("A 30 MB base64 attachment", "[mime][limits]") {
  // 30 MB of base64 in 76-column lines (22.5 MB decoded).
  const std::string chunk = "QUJD";  // "ABC"
  std::string b64;
  b64.reserve(31u << 20);
  std::string row;
  for (int i = 0; i < 19; ++i) row += chunk;
  row += "\r\n";
  while (b64.size() < (30u << 20)) b64 += row;
  const std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\n\r\nsee attachment\r\n"
      "--b\r\nContent-Type: application/octet-stream; name=big.bin\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      b64 + "--b--\r\n";
  const auto start = std::chrono::steady_clock::now();

  Result<MessageText> t = ExtractMessageText(m);
  REQUIRE(t.ok());  // binary attachment: name only, never decoded
  CHECK(Texts(*t, Scope::kAttachmentName) ==
        std::vector<std::string>{"big.bin"});
  CHECK(Texts(*t, Scope::kBody) == std::vector<std::string>{"see attachment"});
  CHECK_FALSE(t->truncated);

  Result<ParsedMime> r = ParseMime(m);
  REQUIRE(r.ok());
  const PartView& att = r->parts[2];
  Result<Decoded> full = DecodeBody(*r, att, 64u << 20);
  REQUIRE(full.ok());
  CHECK(full->bytes.size() == b64.size() / 78 * 57);
  CHECK(full->bytes.substr(0, 6) == "ABCABC");
  CHECK_FALSE(full->truncated);

  Result<Decoded> cut = DecodeBody(*r, att, 1u << 20);
  REQUIRE(cut.ok());
  CHECK(cut->bytes.size() == 1u << 20);
  CHECK(cut->truncated);
  CHECK(Seconds(start) < 20.0);
}

TEST_CASE("Per-part decode limit truncates text", "[mime][limits]") {
  MimeLimits l;
  l.max_decoded_bytes = 4;
  Result<MessageText> t = ExtractMessageText(
      "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=", l);
  REQUIRE(t.ok());
  CHECK(Texts(*t, Scope::kBody) == std::vector<std::string>{"hell"});
  CHECK(t->truncated);
  CHECK(HasWarning(*t, "part 1: decoded size above 4 bytes, cut"));
}

TEST_CASE("Scan cap cuts on a UTF-8 boundary", "[mime][limits]") {
  MimeLimits l;
  l.max_scan_bytes = 12;
  Result<MessageText> t = ExtractMessageText(
      "Subject: abc\r\n\r\n\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9",
      l);
  REQUIRE(t.ok());
  CHECK(Texts(*t, Scope::kSubject) == std::vector<std::string>{"abc"});
  // 9 bytes left, but the 9th would split an \u00e9: 4 of them, 8 bytes.
  CHECK(Texts(*t, Scope::kBody) ==
        std::vector<std::string>{"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"});
  CHECK(t->truncated);
  CHECK(t->bytes == 11);
}

TEST_CASE("Warning list is capped", "[mime][limits]") {
  std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 100; ++i) {
    m += "--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n";
  }
  m += "--b--\r\n";
  MimeLimits l;
  l.max_warnings = 5;
  Result<MessageText> t = ExtractMessageText(m, l);
  REQUIRE(t.ok());
  REQUIRE(t->warnings.size() == 6);
  CHECK(t->warnings.back() == "95 more warnings");
}

}  // namespace
}  // namespace seal::mime
