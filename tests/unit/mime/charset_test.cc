// Charset conversion to UTF-8: UTF-8 repair, Windows-1252 family, iconv
// charsets, unknown labels, 8-bit header bytes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lib/mime/charset.h"

namespace seal::mime {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST_CASE("SanitizeUtf8 replaces invalid sequences", "[mime][charset]") {
  struct Case {
    std::string in, out;
    bool replaced;
  };
  const std::vector<Case> cases = {
      {"plain ascii", "plain ascii", false},
      {"caf\xC3\xA9", "caf\xC3\xA9", false},
      {"\xE6\x97\xA5\xE6\x9C\xAC", "\xE6\x97\xA5\xE6\x9C\xAC", false},
      {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", false},  // U+1F600
      {"a\xFFz", "a" + kFffd + "z", true},
      {"\xC0\xAF", kFffd + kFffd, true},              // overlong '/'
      {"\xED\xA0\x80", kFffd + kFffd + kFffd, true},  // surrogate D800
      {"\xE6\x97", kFffd, true},                      // truncated at end
      {"\xE6\x97x", kFffd + "x", true},               // truncated mid-text
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd, true},  // >10FFFF
      {std::string("a\0b", 3), std::string("a\0b", 3), false},
      // ASCII runs longer than a word around non-ASCII bytes.
      {"0123456789abcdef\xFF"
       "0123456789",
       "0123456789abcdef" + kFffd + "0123456789", true},
      {"01234567\xC3\xA9"
       "89abcdefgh",
       "01234567\xC3\xA9"
       "89abcdefgh",
       false},
      {"0123456\xFF", "0123456" + kFffd, true},
  };
  for (const Case& c : cases) {
    bool replaced = false;
    CHECK(SanitizeUtf8(c.in, &replaced) == c.out);
    CHECK(replaced == c.replaced);
    CHECK(IsValidUtf8(c.in) == !c.replaced);
  }
}

TEST_CASE("CharsetConverter converts to UTF-8", "[mime][charset]") {
  struct Case {
    const char* charset;
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"utf-8", "\xC3\xA9\xC3\xBC", "\xC3\xA9\xC3\xBC"},
      {"UTF8", "ok", "ok"},
      {"iso-8859-1", "caf\xE9 \xFC", "caf\xC3\xA9 \xC3\xBC"},
      {"ISO-8859-1", "\xA0\xFF", "\xC2\xA0\xC3\xBF"},
      {"latin1", "\xE9", "\xC3\xA9"},
      {"windows-1252", "\x80 \x93q\x94",
       "\xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D"},
      {"cp1252", "\x9F", "\xC5\xB8"},
      // iso-8859-1 labels are read as Windows-1252 (WHATWG): 0x80 is the euro.
      {"iso-8859-1", "\x80", "\xE2\x82\xAC"},
      {"iso-8859-15", "\xA4", "\xE2\x82\xAC"},
      {"iso-8859-2", "\xB1", "\xC4\x85"},  // a with ogonek
      {"koi8-r", "\xF0\xD2\xC9\xD7\xC5\xD4",
       "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"},  // Привет
      {"shift_jis", "\x93\xFA\x96\x7B\x8C\xEA",
       "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},  // 日本語
      {"Shift_JIS", "\x83\x65\x83\x58\x83\x67",
       "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88"},  // テスト
      {"x-sjis", "\x93\xFA", "\xE6\x97\xA5"},
      {"euc-jp", "\xC6\xFC\xCB\xDC", "\xE6\x97\xA5\xE6\x9C\xAC"},
      {"iso-2022-jp", "\x1B$BF|K\\\x1B(B", "\xE6\x97\xA5\xE6\x9C\xAC"},
      {"gb2312", "\xD6\xD0\xCE\xC4", "\xE4\xB8\xAD\xE6\x96\x87"},  // 中文
      {"ks_c_5601-1987", "\xC7\xD1", "\xED\x95\x9C"},              // 한
      {"utf-16", std::string("\xFF\xFE\xE9\x00", 4), "\xC3\xA9"},
      {"utf-16be", std::string("\x00\xE9", 2), "\xC3\xA9"},
      {"\"utf-8\"", "x", "x"},
      // Unlabelled / us-ascii: UTF-8 when valid, else Windows-1252.
      {"", "\xC3\xA9", "\xC3\xA9"},
      {"", "\xE9", "\xC3\xA9"},
      {"us-ascii", "caf\xE9", "caf\xC3\xA9"},
  };
  CharsetConverter conv;
  for (const Case& c : cases) {
    INFO(c.charset);
    TextIssues issues;
    CHECK(conv.ToUtf8(c.in, c.charset, issues) == c.out);
    CHECK(issues.unknown_charset.empty());
    CHECK_FALSE(issues.replaced);
  }
}

TEST_CASE("CharsetConverter replaces invalid bytes", "[mime][charset]") {
  CharsetConverter conv;
  TextIssues issues;
  // 0x80 alone is not Shift_JIS; a truncated lead byte at the end.
  CHECK(conv.ToUtf8("\x93\xFA\x80\x93", "shift_jis", issues) ==
        "\xE6\x97\xA5" + kFffd + kFffd);
  CHECK(issues.replaced);

  TextIssues utf8_issues;
  CHECK(conv.ToUtf8("a\xFF", "utf-8", utf8_issues) == "a" + kFffd);
  CHECK(utf8_issues.replaced);
}

TEST_CASE("Unknown or hostile charset labels fall back", "[mime][charset]") {
  CharsetConverter conv;
  struct Case {
    const char* label;
    std::string in, out;
    const char* reported;
  };
  const std::vector<Case> cases = {
      {"x-no-such-charset", "caf\xC3\xA9", "caf\xC3\xA9", "x-no-such-charset"},
      {"x-no-such-charset", "caf\xE9", "caf\xC3\xA9", "x-no-such-charset"},
      {"UTF-8//TRANSLIT", "\xE9", "\xC3\xA9", "(invalid label)"},
      {"../../etc/passwd", "a", "a", "(invalid label)"},
      {"utf-8 format=flowed", "a", "a", "(invalid label)"},
  };
  for (const Case& c : cases) {
    INFO(c.label);
    TextIssues issues;
    CHECK(conv.ToUtf8(c.in, c.label, issues) == c.out);
    CHECK(issues.unknown_charset == c.reported);
  }
}

TEST_CASE("NormalizeCharset and helpers", "[mime][charset]") {
  CHECK(NormalizeCharset(" UTF-8 ") == "utf-8");
  CHECK(NormalizeCharset("\"ISO-8859-1\"") == "iso-8859-1");
  CHECK(NormalizeCharset("utf-8*en") == "utf-8");
  CHECK(NormalizeCharset("bad/label").empty());
  CHECK(NormalizeCharset(std::string(41, 'a')).empty());

  CHECK(RawBytesToUtf8("\xC3\xBC") == "\xC3\xBC");
  CHECK(RawBytesToUtf8("\xFC") == "\xC3\xBC");
  CHECK(Windows1252ToUtf8("\x81") == "\xC2\x81");

  const std::string s = "a\xC3\xA9\xE6\x97\xA5";  // a é 日
  CHECK(Utf8PrefixLength(s, 100) == s.size());
  CHECK(Utf8PrefixLength(s, 2) == 1);  // would split é
  CHECK(Utf8PrefixLength(s, 3) == 3);
  CHECK(Utf8PrefixLength(s, 5) == 3);  // would split 日
  CHECK(Utf8PrefixLength(s, 0) == 0);

  std::string out;
  AppendUtf8(out, 0x1F600);
  AppendUtf8(out, 0xD800);
  CHECK(out == "\xF0\x9F\x98\x80" + kFffd);
}

TEST_CASE("CharsetConverter caches many charsets safely", "[mime][charset]") {
  CharsetConverter conv;
  const char* labels[] = {
      "iso-8859-2",  "iso-8859-3", "iso-8859-4",  "iso-8859-5",  "iso-8859-6",
      "iso-8859-7",  "iso-8859-9", "iso-8859-10", "iso-8859-13", "iso-8859-14",
      "iso-8859-16", "koi8-r",     "koi8-u",      "cp1250",      "cp1251",
      "cp1253",      "cp1254",     "cp1255",      "big5",        "euc-kr",
      "x-nope-1",    "x-nope-2"};
  for (int round = 0; round < 2; ++round) {
    for (const char* l : labels) {
      TextIssues issues;
      CHECK(conv.ToUtf8("abc", l, issues) == "abc");
    }
  }
}

}  // namespace
}  // namespace seal::mime
