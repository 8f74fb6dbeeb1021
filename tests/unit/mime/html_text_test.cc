// HTML to text and character references.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lib/mime/html_entities.h"
#include "lib/mime/html_text.h"

namespace seal::mime {
namespace {

TEST_CASE("HtmlToText renders what a reader sees", "[mime][html]") {
  struct Case {
    const char* name;
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"plain", "hello", "hello"},
      {"paragraphs", "<p>one</p><p>two</p>", "one\ntwo"},
      {"br", "a<br>b<br/>c", "a\nb\nc"},
      {"inline tags vanish", "4111<b>1111</b><span>1111</span>1111",
       "4111111111111111"},
      {"unknown tag is a space", "a<img src=x>b", "a b"},
      {"table cells",
       "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td>"
       "</tr></table>",
       "a b\nc"},
      {"whitespace collapses", "  a \r\n\t b  ", "a b"},
      {"script dropped", "a<script>var x = '<p>no</p>';</script>b", "a b"},
      {"style dropped", "<style type=\"text/css\">p{color:red}</style>x", "x"},
      {"script upper case", "a<SCRIPT>x</ScRiPt >b", "a b"},
      {"unclosed script", "a<script>secret<p>x", "a secret\nx"},
      {"comment dropped", "a<!-- hidden -->b", "ab"},
      {"unclosed comment", "a<!-- hidden <b>x</b>", "a hidden x"},
      {"doctype", "<!DOCTYPE html><html><body>x</body></html>", "x"},
      {"quoted >", "<a title=\"x > y\">link</a>", "link"},
      {"single quoted >", "<a title='>'>link</a>", "link"},
      {"lone <", "a < b", "a < b"},
      {"< digit", "1<2", "1<2"},
      {"unclosed tag", "a<div class=\"x", "a<div class=\"x"},
      {"unclosed quote", "<p title=\"x>one</p><p>two</p>", "one\ntwo"},
      {"declaration", "<?xml version=\"1.0\"?><!DOCTYPE x>t", "t"},
      {"named entities", "&lt;b&gt; &amp; &quot;q&quot; &apos;",
       "<b> & \"q\" '"},
      {"latin entities", "caf&eacute; &uuml;ber &Auml;",
       "caf\xC3\xA9 "
       "\xC3\xBC"
       "ber \xC3\x84"},
      {"numeric entities", "&#233;&#xE9;&#XE9;&#26085;&#x1F600;",
       "\xC3\xA9\xC3\xA9\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80"},
      {"numeric without ;", "&#65&#66;", "AB"},
      {"invalid numeric", "&#0;&#xD800;&#x110000;&#99999999999;",
       "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"C1 numeric as cp1252", "&#128;&#150;", "\xE2\x82\xAC\xE2\x80\x93"},
      {"nbsp is a space", "a&nbsp;b&nbsp;&nbsp;c", "a b c"},
      {"legacy without ;", "&amp &copy2024",
       "& \xC2\xA9"
       "2024"},
      {"unknown entity kept", "&bogus; &", "&bogus; &"},
      {"euro and dashes", "&euro;&ndash;&mdash;&hellip;",
       "\xE2\x82\xAC\xE2\x80\x93\xE2\x80\x94\xE2\x80\xA6"},
      {"outlook o:p", "<p>Dear<o:p></o:p></p>", "Dear"},
      {"entity in attribute ignored", "<a href=\"?a=1&amp;b=2\">x</a>", "x"},
      {"empty", "", ""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(HtmlToText(c.in) == c.out);
  }
}

TEST_CASE("HtmlToText reports unclosed constructs", "[mime][html]") {
  struct Case {
    std::string in;
    bool unclosed;
  };
  const std::vector<Case> cases = {
      {"<p>fine</p><!-- c --><script>x</script>", false},
      {"a<!-- open", true},
      {"a<script>open", true},
      {"a<div", true},
      {"<p title=\"x>one</p>", true},
      {"a < b", false},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    HtmlIssues issues;
    (void)HtmlToText(c.in, &issues);
    CHECK(issues.unclosed == c.unclosed);
  }
}

TEST_CASE("DecodeHtmlEntity consumes exactly the reference", "[mime][html]") {
  std::string out;
  CHECK(DecodeHtmlEntity("&amp;rest", out) == 5);
  CHECK(out == "&");
  out.clear();
  CHECK(DecodeHtmlEntity("&ampxyz", out) == 4);
  CHECK(out == "&");
  out.clear();
  CHECK(DecodeHtmlEntity("&thetasym;", out) == 10);
  CHECK(out == "\xCF\x91");
  out.clear();
  CHECK(DecodeHtmlEntity("&notanentity;", out) == 4);  // "&not" legacy
  CHECK(out == "\xC2\xAC");
  out.clear();
  CHECK(DecodeHtmlEntity("&zzz;", out) == 0);
  CHECK(DecodeHtmlEntity("&#;", out) == 0);
  CHECK(DecodeHtmlEntity("&#x;", out) == 0);
  CHECK(DecodeHtmlEntity("x", out) == 0);
  CHECK(out.empty());
}

TEST_CASE("SniffHtmlCharset reads meta", "[mime][html]") {
  CHECK(SniffHtmlCharset("<meta charset=\"Shift_JIS\">") == "shift_jis");
  CHECK(SniffHtmlCharset("<meta http-equiv=\"Content-Type\" "
                         "content=\"text/html; charset=windows-1252\">") ==
        "windows-1252");
  CHECK(SniffHtmlCharset("<p>no meta</p>").empty());
  CHECK(SniffHtmlCharset(std::string(3000, ' ') + "<meta charset=utf-8>")
            .empty());
}

TEST_CASE("HtmlToText is linear on hostile input", "[mime][html]") {
  const std::vector<std::string> units = {
      "<a",   "<!--",     "<script>", "&#",          "<a title=\"",
      "&amp", "< ",       "</script", "<a x=\">\" ", "<style><script>",
      "<!",   "<a x='>' "};
  for (const std::string& u : units) {
    std::string s;
    while (s.size() < 1'000'000) s += u;
    INFO(u);
    (void)HtmlToText(s);  // must finish quickly (suite runtime guards it)
    SUCCEED();
  }
}

}  // namespace
}  // namespace seal::mime
