// Template, locale string and template set tests (lib/envelope/template.h,
// locale_strings.h, template_set.h): syntax, escaping (a sender name with
// <script> is escaped in HTML), errors with file:line, completeness of the
// built-in translations, and admin overrides.
#include "lib/envelope/template.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"
#include "lib/envelope/embedded_files.h"
#include "lib/envelope/locale_strings.h"
#include "lib/envelope/template_set.h"
#include "tests/unit/envelope/envelope_test_util.h"

namespace seal::envelope {
namespace {

Result<std::string> Render(std::string_view text, const Scope& scope,
                           Escaping esc, Template::ParseOptions opts = {}) {
  auto t = Template::Parse(text, "t", opts);
  if (!t.ok()) return t.status();
  return t->RenderToString(scope, esc);
}

TEST_CASE("Template substitution table", "[template]") {
  Scope scope;
  scope.Set("name", "Zoë");
  scope.Set("empty", "");
  scope.Set("evil", "<script>alert('x')</script> & \"q\"");
  struct {
    const char* text;
    Escaping esc;
    const char* expected;
  } table[] = {
      {"Hello {{name}}!", Escaping::kText, "Hello Zoë!"},
      {"Hello {{ name }}!", Escaping::kText, "Hello Zoë!"},
      {"{{evil}}", Escaping::kHtml,
       "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"},
      {"{{evil}}", Escaping::kText, "<script>alert('x')</script> & \"q\""},
      {"<b>{{name}}</b>", Escaping::kHtml, "<b>Zoë</b>"},
      {"a{{#name}}[{{name}}]{{/name}}b", Escaping::kText, "a[Zoë]b"},
      {"a{{#empty}}[x]{{/empty}}b", Escaping::kText, "ab"},
      {"a{{^empty}}[none]{{/empty}}b", Escaping::kText, "a[none]b"},
      {"a{{^name}}[none]{{/name}}b", Escaping::kText, "ab"},
      {"1\n{{#empty}}\nhidden\n{{/empty}}\n2\n", Escaping::kText, "1\n2\n"},
      {"1\n  {{#name}}  \nshown\n{{/name}}\n2", Escaping::kText, "1\nshown\n2"},
      {"x {{#name}}y{{/name}}\nz", Escaping::kText, "x y\nz"},
      {"{{#name}}{{#empty}}no{{/empty}}{{^empty}}yes{{/empty}}{{/name}}",
       Escaping::kText, "yes"},
  };
  for (const auto& row : table) {
    INFO(row.text);
    auto r = Render(row.text, scope, row.esc);
    REQUIRE(r.ok());
    CHECK(*r == row.expected);
  }
}

TEST_CASE("Values lose control characters", "[template]") {
  Scope scope;
  scope.Set("v", "line1\r\nBcc: victim@example.com\x01\xff");
  auto r = Render("[{{v}}]", scope, Escaping::kText);
  REQUIRE(r.ok());
  CHECK(*r == "[line1  Bcc: victim@example.com \xEF\xBF\xBD]");
}

TEST_CASE("Template errors name the template and line", "[template]") {
  struct {
    const char* text;
    const char* fragment;
  } table[] = {
      {"a\nb {{name", "t:2: '{{' without '}}'"},
      {"{{na me}}", "bad placeholder"},
      {"{{}}", "bad placeholder"},
      {"{{#a}}x", "t:1: section {{#a}} is not closed"},
      {"x\n{{/a}}", "t:2: {{/a}} does not close"},
      {"{{#a}}{{/b}}", "does not close"},
      {"{{=block}}", "not allowed here"},
  };
  for (const auto& row : table) {
    INFO(row.text);
    auto t = Template::Parse(row.text, "t", {});
    REQUIRE(!t.ok());
    CHECK_THAT(t.status().message(), Catch::Contains(row.fragment));
  }
  Scope scope;
  auto unknown = Render("x\n\n{{missing}}", scope, Escaping::kText);
  REQUIRE(!unknown.ok());
  CHECK_THAT(unknown.status().message(), Catch::Contains("t:3"));
  CHECK_THAT(unknown.status().message(), Catch::Contains("{{missing}}"));
}

TEST_CASE("Locale strings: file format", "[template]") {
  auto ok = LocaleStrings::Parse(
      "# comment\n\nui.a = Hello {{name}} \nui.b=x=y\n", "en.txt");
  REQUIRE(ok.ok());
  CHECK(*ok->FindText("ui.a") == "Hello {{name}}");
  CHECK(*ok->FindText("ui.b") == "x=y");
  Scope scope;
  scope.Set("name", "<b>");
  scope.set_strings(&*ok);
  auto html = Render("{{ui.a}}", scope, Escaping::kHtml);
  REQUIRE(html.ok());
  CHECK(*html == "Hello &lt;b&gt;");
  CHECK(ok->ToJson("ui.") == "{\"ui.a\":\"Hello {{name}}\",\"ui.b\":\"x=y\"}");

  struct {
    const char* text;
    const char* fragment;
  } bad[] = {
      {"ui.a = 1\nui.a = 2\n", "f.txt:2: key 'ui.a' appears twice"},
      {"nodot = 1\n", "f.txt:1: key must look like"},
      {"ui.A = 1\n", "bad character"},
      {"just text\n", "expected key = value"},
      {"ui.a = {{#x}}y{{/x}}\n", "sections are not allowed"},
      {"ui.a = {{ui.b}}\n", "only variables"},
      {"ui.a = \xff\n", "not valid UTF-8"},
  };
  for (const auto& row : bad) {
    INFO(row.text);
    auto r = LocaleStrings::Parse(row.text, "f.txt");
    REQUIRE(!r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains(row.fragment));
  }
}

TEST_CASE("Built-in locales are complete translations", "[template]") {
  auto en_text = std::find_if(
      EmbeddedEnvelopeFiles().begin(), EmbeddedEnvelopeFiles().end(),
      [](const EmbeddedFile& f) { return f.path == "locales/en.txt"; });
  REQUIRE(en_text != EmbeddedEnvelopeFiles().end());
  auto en = LocaleStrings::Parse(en_text->data, "en");
  REQUIRE(en.ok());
  std::vector<std::string> expected = {"de", "en", "es", "fr",
                                       "it", "ja", "nl", "pt"};
  CHECK(testing::Templates()->locales() == expected);
  for (const EmbeddedFile& f : EmbeddedEnvelopeFiles()) {
    if (f.path.substr(0, 8) != "locales/") continue;
    INFO(f.path);
    auto strings = LocaleStrings::Parse(f.data, f.path);
    REQUIRE(strings.ok());
    CHECK(strings->Keys() == en->Keys());
    if (f.path != "locales/en.txt") {
      // Translated, not copied: most values differ from English.
      int same = 0;
      for (const std::string& key : en->Keys()) {
        same += *strings->FindText(key) == *en->FindText(key) ? 1 : 0;
      }
      CHECK(same < 12);
    }
  }
}

TEST_CASE("Locale resolution falls back to language, then English",
          "[template]") {
  auto t = testing::Templates();
  std::string chosen;
  t->Strings("fr", &chosen);
  CHECK(chosen == "fr");
  t->Strings("pt_BR", &chosen);
  CHECK(chosen == "pt");
  t->Strings("DE-at", &chosen);
  CHECK(chosen == "de");
  t->Strings("sv", &chosen);
  CHECK(chosen == "en");
  t->Strings("", &chosen);
  CHECK(chosen == "en");
}

TEST_CASE("The CSP hash is the script's SHA-256", "[template]") {
  auto t = testing::Templates();
  auto digest = Sha256(t->script());
  REQUIRE(digest.ok());
  CHECK(t->script_hash() == "sha256-" + Base64Encode(*digest));
  CHECK(t->script().find("</script") == std::string::npos);
  CHECK(t->branding().logo_type == "image/svg+xml");
}

// A temporary template directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/seal-envelope-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    CHECK(std::system(cmd.c_str()) == 0);
  }
  void Write(const std::string& name, const std::string& content) {
    if (name.find('/') != std::string::npos) {
      mkdir((path_ + "/" + name.substr(0, name.find('/'))).c_str(), 0700);
    }
    std::ofstream(path_ + "/" + name, std::ios::binary) << content;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_CASE("An admin directory overrides files and single strings",
          "[template]") {
  TempDir dir;
  dir.Write("branding.txt",
            "organization = Example Corp\nlink = https://www.example.com\n"
            "accent = #7a1f5c\nlogo = logo.png\nsupport = help@example.com\n");
  dir.Write("logo.png", std::string("\x89PNG\r\n\x1a\n", 8) + "fake");
  dir.Write("locales/fr.txt", "notify.heading = Vous avez du courrier\n");
  dir.Write("locales/sv.txt", "ui.title = Säkert meddelande\n");
  auto loaded = EnvelopeTemplates::Load(dir.path());
  REQUIRE(loaded.ok());
  const auto& t = **loaded;
  CHECK(t.branding().organization == "Example Corp");
  CHECK(t.branding().LogoForMail());
  CHECK(*t.Strings("fr").FindText("notify.heading") == "Vous avez du courrier");
  CHECK(*t.Strings("fr").FindText("ui.title") == "Message sécurisé");
  CHECK(*t.Strings("sv").FindText("ui.title") == "Säkert meddelande");
  CHECK(*t.Strings("sv").FindText("ui.open") == "Open message");  // from en
}

TEST_CASE("Bad admin templates fail the load with file:line", "[template]") {
  struct {
    const char* file;
    const char* content;
    const char* fragment;
  } table[] = {
      {"notification.txt", "Hi\n{{nope}}\n", "unknown placeholder {{nope}}"},
      {"notification.html", "{{#org_name}}\n", "notification.html:1: section"},
      {"notification.txt", "{{notify.nope}}", "unknown string"},
      {"opener.html", "<html>{{=style}}{{=strings}}</html>",
       "needs {{=metadata}} exactly once"},
      {"opener.html",
       "{{=style}}{{=strings}}{{=metadata}}{{=ciphertext}}{{=script}}"
       "{{=ciphertext}}",
       "needs {{=ciphertext}} exactly once"},
      {"opener.html",
       "{{=style}}{{=strings}}{{=metadata}}{{#js}}{{=ciphertext}}{{/js}}"
       "{{=script}}",
       "must not be inside a section"},
      {"opener.js", "alert('</script>')", "must not contain"},
      {"opener.css", "p{}</style>", "must not contain"},
      {"locales/de.txt", "ui.tilte = Tippfehler\n", "unknown key 'ui.tilte'"},
      {"locales/de.txt", "ui.title = {{bogus}}\n", "unknown placeholder"},
      {"locales/EN.txt", "ui.title = x\n", "not a locale code"},
      {"branding.txt", "colour = red\n", "branding.txt:1: unknown key"},
      {"branding.txt", "accent = red\n", "accent must be"},
      {"branding.txt", "link = javascript:alert(1)\n", "link must be"},
      {"branding.txt", "logo = ../etc/passwd.png\n", "same directory"},
      {"branding.txt", "logo = missing.png\n", "missing.png"},
  };
  for (const auto& row : table) {
    INFO(row.file << ": " << row.content);
    TempDir dir;
    dir.Write(row.file, row.content);
    auto loaded = EnvelopeTemplates::Load(dir.path());
    REQUIRE(!loaded.ok());
    CHECK_THAT(loaded.status().message(), Catch::Contains(row.fragment));
  }
  auto missing = EnvelopeTemplates::Load("/nonexistent/seal-templates");
  REQUIRE(!missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace seal::envelope
