// The one-pass text path (CharsetConverter::ToScanText and the extractor's
// use of it for identity-encoded UTF-8 / US-ASCII parts) against the general
// path it replaces: same text, same warnings, same limits, on random and
// hostile bytes.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "lib/mime/charset.h"
#include "lib/mime/text_extractor.h"
#include "tests/unit/mime/test_util.h"

namespace seal::mime {
namespace {

using testing::HasWarning;

constexpr size_t kNoCap = std::numeric_limits<size_t>::max();

// The general path, written out naively: ToUtf8, then CRLF and lone CR to
// LF, then NUL to U+FFFD.
std::string Reference(std::string_view bytes, std::string_view charset,
                      TextIssues& issues, bool& nul) {
  CharsetConverter conv;
  std::string utf8 = conv.ToUtf8(bytes, charset, issues);
  std::string lf;
  for (size_t i = 0; i < utf8.size(); ++i) {
    if (utf8[i] == '\r') {
      lf.push_back('\n');
      if (i + 1 < utf8.size() && utf8[i + 1] == '\n') ++i;
    } else {
      lf.push_back(utf8[i]);
    }
  }
  std::string out;
  nul = false;
  for (char c : lf) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";
      nul = true;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Bytes that exercise every branch: ASCII runs longer than eight, CR, LF,
// NUL, valid and broken UTF-8 sequences, bytes never valid in UTF-8.
std::string RandomBytes(uint64_t& state, size_t max_len) {
  static const std::vector<std::string> kPieces = {"abcdefghijklmnop",
                                                   "x",
                                                   "\r",
                                                   "\n",
                                                   "\r\n",
                                                   std::string(1, '\0'),
                                                   "\xC3\xA9",
                                                   "\xC3",
                                                   "\xE2\x82\xAC",
                                                   "\xE2\x82",
                                                   "\xF0\x9F\x98\x80",
                                                   "\xF0\x9F",
                                                   "\xFF",
                                                   "\x80",
                                                   "\xED\xA0\x80",
                                                   "\xC0\xAF",
                                                   "0123456789 ",
                                                   "\t"};
  auto next = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  std::string out;
  const size_t len = next() % (max_len + 1);
  while (out.size() < len) out += kPieces[next() % kPieces.size()];
  return out;
}

TEST_CASE("ToScanText matches the general path", "[mime][scan_text]") {
  uint64_t state = 12345;
  size_t compared = 0, declined = 0;
  for (int round = 0; round < 4000; ++round) {
    const std::string bytes = RandomBytes(state, round < 3000 ? 60 : 400);
    for (std::string_view charset : {"utf-8", "UTF8", "", "us-ascii"}) {
      INFO("round " << round << " charset '" << charset << "'");
      TextIssues want_issues;
      bool want_nul = false;
      const std::string want = Reference(bytes, charset, want_issues, want_nul);
      CharsetConverter conv;
      TextIssues issues;
      bool nul = false;
      std::string got;
      const bool utf8_label = charset == "utf-8" || charset == "UTF8";
      if (!conv.ToScanText(bytes, charset, kNoCap, got, issues, &nul)) {
        // Only unlabelled text that is not UTF-8 is left to the general
        // path (Windows-1252).
        CHECK_FALSE(utf8_label);
        CHECK_FALSE(IsValidUtf8(bytes));
        ++declined;
        continue;
      }
      ++compared;
      REQUIRE(got == want);
      CHECK(issues.replaced == want_issues.replaced);
      CHECK(nul == want_nul);
      // With an output cap: a prefix longer than the cap (by at most a
      // 16-byte block and a character), and the same
      // verdict on the whole input.
      for (size_t cap : {size_t{0}, size_t{1}, size_t{7}, bytes.size() / 2}) {
        TextIssues cut_issues;
        bool cut_nul = false;
        std::string cut;
        REQUIRE(
            conv.ToScanText(bytes, charset, cap, cut, cut_issues, &cut_nul));
        if (want.size() > cap) {
          CHECK(cut.size() > cap);
          CHECK(cut.size() <= cap + 20);
        } else {
          CHECK(cut.size() == want.size());
        }
        CHECK(want.compare(0, cut.size(), cut) == 0);
        CHECK(cut_issues.replaced == want_issues.replaced);
        CHECK(cut_nul == want_nul);
      }
    }
  }
  CHECK(compared > 5000);
  CHECK(declined > 100);
}

TEST_CASE("ToScanText declines other charsets and invalid labels",
          "[mime][scan_text]") {
  CharsetConverter conv;
  std::string out;
  TextIssues issues;
  bool nul = false;
  for (std::string_view cs :
       {"iso-8859-1", "windows-1252", "utf-16", "shift_jis", "bad label!"}) {
    INFO(cs);
    CHECK_FALSE(conv.ToScanText("abc", cs, kNoCap, out, issues, &nul));
  }
  // A NUL after the cap is still reported, an invalid byte after the cap
  // still makes unlabelled text Windows-1252.
  std::string tail = std::string(100, 'a') + std::string(1, '\0');
  REQUIRE(conv.ToScanText(tail, "utf-8", 10, out, issues, &nul));
  CHECK(nul);
  CHECK(out.size() <= 26);
  CHECK_FALSE(conv.ToScanText(std::string(100, 'a') + "\xE9", "", 10, out,
                              issues, &nul));
}

std::string Base64(std::string_view in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) {
      v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    }
    if (i + 2 < in.size()) {
      v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    }
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? kAlphabet[v & 63] : '=');
    if ((i / 3) % 19 == 18) out += "\r\n";
  }
  return out + "\r\n";
}

std::string Message(std::string_view charset_param, std::string_view cte,
                    std::string_view body) {
  return "Subject: s\r\nContent-Type: text/plain" + std::string(charset_param) +
         "\r\nContent-Transfer-Encoding: " + std::string(cte) + "\r\n\r\n" +
         std::string(body);
}

// The same body sent as binary (one pass) and as base64 (the general path:
// decode, convert, normalise) gives the same MessageText. Both tokens have
// six letters, so the header items, which count against the scan cap, are
// as long.
TEST_CASE("An 8bit body and its base64 form extract alike",
          "[mime][scan_text]") {
  uint64_t state = 777;
  MimeLimits tight;
  tight.max_scan_bytes = 150;
  const MimeLimits defaults;
  MimeLimits decode_cap;
  decode_cap.max_decoded_bytes = 90;
  const std::vector<const MimeLimits*> limit_sets = {&defaults, &tight,
                                                     &decode_cap};
  for (int round = 0; round < 600; ++round) {
    const std::string body = RandomBytes(state, 300);
    for (std::string_view cs :
         {"; charset=utf-8", "; charset=us-ascii", "", "; charset=\"UTF-8\""}) {
      for (const MimeLimits* l : limit_sets) {
        INFO("round " << round << " charset '" << cs << "'");
        Result<MessageText> fast =
            ExtractMessageText(Message(cs, "binary", body), *l);
        Result<MessageText> general =
            ExtractMessageText(Message(cs, "base64", Base64(body)), *l);
        REQUIRE(fast.ok());
        REQUIRE(general.ok());
        REQUIRE(testing::Texts(*fast, Scope::kBody) ==
                testing::Texts(*general, Scope::kBody));
        CHECK(testing::Origins(*fast, Scope::kBody) ==
              testing::Origins(*general, Scope::kBody));
        CHECK(fast->warnings == general->warnings);
        CHECK(fast->truncated == general->truncated);
        CHECK(fast->bytes == general->bytes);
      }
    }
  }
}

TEST_CASE("One-pass text: BOMs, caps, hostile bytes", "[mime][scan_text]") {
  SECTION("a UTF-8 BOM is dropped and makes unlabelled text UTF-8") {
    Result<MessageText> t =
        ExtractMessageText(Message("", "8bit", "\xEF\xBB\xBFh\xC3\xA9\r\n"));
    REQUIRE(t.ok());
    CHECK(testing::Texts(*t, Scope::kBody) ==
          std::vector<std::string>{"h\xC3\xA9\n"});
  }
  SECTION("unlabelled 8-bit text that is not UTF-8 is Windows-1252") {
    Result<MessageText> t =
        ExtractMessageText(Message("", "8bit", "caf\xE9\r\nx"));
    REQUIRE(t.ok());
    CHECK(testing::Texts(*t, Scope::kBody) ==
          std::vector<std::string>{"caf\xC3\xA9\nx"});
  }
  SECTION("NUL and invalid bytes in UTF-8 text are replaced and warned") {
    const std::string body = std::string("a\0b\xFF\r\rc", 7);
    Result<MessageText> t =
        ExtractMessageText(Message("; charset=utf-8", "binary", body));
    REQUIRE(t.ok());
    CHECK(testing::Texts(*t, Scope::kBody) ==
          std::vector<std::string>{"a\xEF\xBF\xBD"
                                   "b\xEF\xBF\xBD\n\nc"});
    CHECK(HasWarning(*t, "part 1: NUL bytes in text"));
    CHECK(HasWarning(*t, "part 1: invalid bytes replaced by U+FFFD"));
  }
  SECTION("a large body stops at the scan cap on a UTF-8 boundary") {
    MimeLimits l;
    l.max_scan_bytes = 1000;
    std::string body;
    while (body.size() < 200000) body += "\xE2\x82\xAC line of text\r\n";
    Result<MessageText> t =
        ExtractMessageText(Message("; charset=utf-8", "8bit", body), l);
    REQUIRE(t.ok());
    CHECK(t->truncated);
    CHECK(t->bytes <= 1000);
    const std::string& text = t->at(Scope::kBody).at(0).text;
    CHECK(IsValidUtf8(text));
    CHECK(text.size() > 900);  // the cap counts the header items too
    CHECK(HasWarning(*t, "text cap of 1000 bytes reached"));
  }
}

}  // namespace
}  // namespace seal::mime
