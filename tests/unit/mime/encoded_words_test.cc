// RFC 2047 encoded-words in header text.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lib/mime/encoded_words.h"

namespace seal::mime {
namespace {

TEST_CASE("DecodeEncodedWords decodes RFC 2047", "[mime][rfc2047]") {
  struct Case {
    const char* name;
    std::string in, out;
    bool bad;
  };
  const std::vector<Case> cases = {
      {"plain", "Hello world", "Hello world", false},
      {"B utf-8", "=?UTF-8?B?w6k=?=", "\xC3\xA9", false},
      {"Q utf-8", "=?utf-8?Q?caf=C3=A9?=", "caf\xC3\xA9", false},
      {"Q underscore", "=?utf-8?q?a_b_c?=", "a b c", false},
      {"Q iso-8859-1", "=?ISO-8859-1?Q?Gr=FC=DFe?=",
       "Gr\xC3\xBC\xC3\x9F"
       "e",
       false},
      {"B japanese", "=?UTF-8?B?5pel5pys6Kqe?=",
       "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", false},
      {"B iso-2022-jp", "=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=",
       "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", false},
      {"B shift_jis", "=?shift_jis?B?k/qWe4zq?=",
       "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", false},
      {"mixed with text", "Re: =?utf-8?q?=C3=BCber?= alles",
       "Re: \xC3\xBC"
       "ber alles",
       false},
      {"adjacent words join", "=?utf-8?q?a?= =?utf-8?q?b?=", "ab", false},
      {"adjacent across fold", "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab", false},
      {"split multibyte char",
       "=?UTF-8?B?5pc=?= =?UTF-8?B?pQ==?=", "\xE6\x97\xA5", false},
      {"different charsets",
       "=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "\xC3\xA9\xC3\xA9", false},
      {"space kept before text", "=?utf-8?q?a?= b", "a b", false},
      {"language tag", "=?utf-8*en?q?hi?=", "hi", false},
      {"lower-case b", "=?utf-8?b?aGk=?=", "hi", false},
      {"inside quotes", "\"=?utf-8?q?J=C3=BCrg?=\" <j@x>",
       "\"J\xC3\xBCrg\" <j@x>", false},
      {"glued to text", "foo=?utf-8?q?bar?=baz", "foobarbaz", false},
      {"not a word: no end", "=?utf-8?q?abc", "=?utf-8?q?abc", false},
      {"not a word: bad encoding", "=?utf-8?x?abc?=", "=?utf-8?x?abc?=", false},
      {"not a word: empty charset", "=??q?abc?=", "=??q?abc?=", false},
      {"not a word: space inside", "=?utf-8?q?a b?=", "=?utf-8?q?a b?=", false},
      {"bad base64 inside", "=?utf-8?B?a!Gk=?=", "hi", true},
      {"bad Q escape", "=?utf-8?Q?a=ZZ?=", "a=ZZ", true},
      {"raw 8-bit utf-8",
       "Gr\xC3\xBC\xC3\x9F"
       "e",
       "Gr\xC3\xBC\xC3\x9F"
       "e",
       false},
      {"raw 8-bit latin1",
       "Gr\xFC\xDF"
       "e",
       "Gr\xC3\xBC\xC3\x9F"
       "e",
       false},
      {"empty", "", "", false},
      {"just =?", "=?", "=?", false},
  };
  CharsetConverter conv;
  for (const Case& c : cases) {
    INFO(c.name);
    TextIssues issues;
    CHECK(DecodeEncodedWords(c.in, conv, issues) == c.out);
    CHECK(issues.bad_encoding == c.bad);
  }
}

TEST_CASE("DecodeEncodedWords reports unknown charsets", "[mime][rfc2047]") {
  CharsetConverter conv;
  TextIssues issues;
  CHECK(DecodeEncodedWords("=?x-klingon?q?abc?=", conv, issues) == "abc");
  CHECK(issues.unknown_charset == "x-klingon");
}

TEST_CASE("DecodeEncodedWords is linear on hostile input", "[mime][rfc2047]") {
  // Many word starts whose encoded-text never ends ("?=" never follows):
  // must not rescan the rest of the input for each of them.
  std::string s;
  for (int i = 0; i < 200000; ++i) s += "=?a?q?x";
  CharsetConverter conv;
  TextIssues issues;
  const std::string out = DecodeEncodedWords(s, conv, issues);
  CHECK(out.size() == s.size());
  CHECK((out == s));
}

}  // namespace
}  // namespace seal::mime
