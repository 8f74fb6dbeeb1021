// Content-Type / Content-Disposition parameters, RFC 2231 and RFC 2047 in
// parameter values.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lib/mime/content_fields.h"

namespace seal::mime {
namespace {

struct Expected {
  std::string name, value;
};

TEST_CASE("ParseContentField reads tokens and parameters", "[mime][rfc2231]") {
  struct Case {
    const char* name;
    std::string in;
    std::string token;
    std::vector<Expected> params;
    bool malformed;
  };
  const std::vector<Case> cases = {
      {"simple",
       "text/plain; charset=us-ascii",
       "text/plain",
       {{"charset", "us-ascii"}},
       false},
      {"case and quotes",
       "Text/HTML; Charset=\"UTF-8\"",
       "text/html",
       {{"charset", "UTF-8"}},
       false},
      {"several",
       "multipart/mixed; boundary=\"=_a b\"; charset=x",
       "multipart/mixed",
       {{"boundary", "=_a b"}, {"charset", "x"}},
       false},
      {"comment",
       "text/plain (body) ; charset=us-ascii (Plain text)",
       "text/plain",
       {{"charset", "us-ascii"}},
       false},
      {"spaces around slash", "text / plain", "text/plain", {}, false},
      {"escaped quote",
       "attachment; filename=\"a \\\"b\\\".txt\"",
       "attachment",
       {{"filename", "a \"b\".txt"}},
       false},
      {"missing semicolon",
       "text/plain charset=utf-8 format=flowed",
       "text/plain",
       {{"charset", "utf-8"}, {"format", "flowed"}},
       false},
      {"unquoted with space",
       "attachment; filename=my file.pdf",
       "attachment",
       {{"filename", "my file.pdf"}},
       false},
      {"unterminated quote",
       "attachment; filename=\"abc",
       "attachment",
       {{"filename", "abc"}},
       true},
      {"param without value",
       "text/plain; foo; charset=x",
       "text/plain",
       {{"charset", "x"}},
       true},
      {"duplicate first wins",
       "text/plain; charset=a; charset=b",
       "text/plain",
       {{"charset", "a"}},
       true},
      {"empty", "", "", {}, false},
      {"only params", "; charset=x", "", {{"charset", "x"}}, false},
      {"rfc2231 charset",
       "attachment; filename*=UTF-8''%C3%A9t%C3%A9.txt",
       "attachment",
       {{"filename", "\xC3\xA9t\xC3\xA9.txt"}},
       false},
      {"rfc2231 language",
       "attachment; filename*=iso-8859-1'fr'%E9t%E9.txt",
       "attachment",
       {{"filename", "\xC3\xA9t\xC3\xA9.txt"}},
       false},
      {"rfc2231 continuations",
       "attachment; filename*0=\"long \"; filename*1=\"name\"; "
       "filename*2=.txt",
       "attachment",
       {{"filename", "long name.txt"}},
       false},
      {"rfc2231 continuations out of order",
       "attachment; filename*1=\"b.txt\"; filename*0=\"a\"",
       "attachment",
       {{"filename", "ab.txt"}},
       false},
      {"rfc2231 extended continuations",
       "attachment; filename*0*=UTF-8''%E6%97%A5%E6; "
       "filename*1*=%9C%AC%E8%AA%9E; filename*2=\".doc\"",
       "attachment",
       {{"filename", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.doc"}},
       false},
      {"rfc2231 wins over plain",
       "attachment; filename=\"fallback.txt\"; filename*=utf-8''real.txt",
       "attachment",
       {{"filename", "real.txt"}},
       false},
      {"rfc2231 gap",
       "attachment; filename*0=a; filename*2=c",
       "attachment",
       {{"filename", "ac"}},
       true},
      {"rfc2231 missing quotes",
       "attachment; filename*=abc%41",
       "attachment",
       {{"filename", "abcA"}},
       true},
      {"rfc2231 bad percent",
       "attachment; filename*=utf-8''a%zz",
       "attachment",
       {{"filename", "a%zz"}},
       true},
      {"rfc2047 in quoted value",
       "attachment; filename=\"=?UTF-8?B?w6l0w6kudHh0?=\"",
       "attachment",
       {{"filename", "\xC3\xA9t\xC3\xA9.txt"}},
       false},
      {"rfc2047 shift_jis name",
       "application/pdf; name=\"=?shift_jis?B?k/qWe4zq?=.pdf\"",
       "application/pdf",
       {{"name", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.pdf"}},
       false},
      {"raw 8-bit utf-8",
       "attachment; filename=\"\xC3\xBC.txt\"",
       "attachment",
       {{"filename", "\xC3\xBC.txt"}},
       false},
      {"raw 8-bit latin1",
       "attachment; filename=\"\xFC.txt\"",
       "attachment",
       {{"filename", "\xC3\xBC.txt"}},
       false},
  };
  CharsetConverter conv;
  for (const Case& c : cases) {
    INFO(c.name);
    TextIssues issues;
    const ContentField f = ParseContentField(c.in, conv, issues);
    CHECK(f.token == c.token);
    REQUIRE(f.params.size() == c.params.size());
    for (size_t i = 0; i < c.params.size(); ++i) {
      CHECK(f.params[i].name == c.params[i].name);
      CHECK(f.params[i].value == c.params[i].value);
    }
    CHECK(f.malformed == c.malformed);
  }
}

TEST_CASE("Boundary keeps its raw bytes", "[mime][rfc2231]") {
  CharsetConverter conv;
  TextIssues issues;
  const ContentField f = ParseContentField(
      "multipart/mixed; boundary=\"=?x?q?y?=\"", conv, issues);
  const MimeParam* b = FindParam(f.params, "boundary");
  REQUIRE(b != nullptr);
  CHECK(b->raw == "=?x?q?y?=");
  CHECK(FindParam(f.params, "nope") == nullptr);
}

TEST_CASE("ParseContentField caps hostile parameter counts",
          "[mime][rfc2231]") {
  std::string v = "text/plain";
  for (int i = 0; i < 20000; ++i)
    v += "; p" + std::to_string(i) + "*" + std::to_string(i % 100) + "=x";
  CharsetConverter conv;
  TextIssues issues;
  const ContentField f = ParseContentField(v, conv, issues);
  CHECK(f.malformed);
  CHECK(f.params.size() == 256);
}

}  // namespace
}  // namespace seal::mime
