// portal/locales/*.txt: every translation of sealportal is complete and
// faithful to en.txt: the same keys in the same order, the same {{variables}}
// per key, the same number of \n line breaks in mail.* values, no empty
// value, valid UTF-8 without control characters, no backslash outside the
// \n of mail.* values, and it parses with the loader the portal uses
// (envelope::LocaleStrings). The locales are the secure envelope's, and
// every file in the source tree is the one embedded in sealportal (a file
// missing from portal/meson.build fails here). The checker itself is run
// against broken, hostile and oversized files so that it can fail.
#include <dirent.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lib/envelope/escape.h"
#include "lib/envelope/locale_strings.h"
#include "portal/embedded_files.h"

#ifndef SEAL_SOURCE_ROOT
#error "SEAL_SOURCE_ROOT must name the source tree"
#endif

namespace seal::portal {
namespace {

using envelope::LocaleStrings;

constexpr size_t kMaxValueBytes = 4096;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The locale codes of the "<code>.txt" files in `dir`, sorted.
std::vector<std::string> LocaleCodesIn(const std::string& dir) {
  std::vector<std::string> codes;
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (const dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name.size() > 4 && name.ends_with(".txt")) {
      codes.emplace_back(name.substr(0, name.size() - 4));
    }
  }
  closedir(d);
  std::sort(codes.begin(), codes.end());
  return codes;
}

// Keys in the order of the file (the file has parsed already).
std::vector<std::string> KeysInFileOrder(std::string_view text) {
  std::vector<std::string> keys;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos || line[start] == '#') continue;
    std::string_view key = line.substr(start, line.find('=') - start);
    key = key.substr(0, key.find_last_not_of(" \t") + 1);
    keys.emplace_back(key);
  }
  return keys;
}

std::set<std::string> Variables(const LocaleStrings& strings,
                                std::string_view key) {
  const envelope::Template* t = strings.Find(key);
  if (t == nullptr) return {};
  return {t->names().begin(), t->names().end()};
}

size_t CountLineBreaks(std::string_view value) {
  size_t n = 0;
  for (size_t at = value.find("\\n"); at != std::string_view::npos;
       at = value.find("\\n", at + 2)) {
    ++n;
  }
  return n;
}

// Every way `text` (the file `name`) is not a faithful translation of
// `en_text`; empty when it is one.
std::vector<std::string> LocaleProblems(std::string_view en_text,
                                        std::string_view text,
                                        std::string_view name) {
  std::vector<std::string> problems;
  auto en = LocaleStrings::Parse(en_text, "en.txt");
  if (!en.ok()) return {"en.txt: " + en.status().message()};
  if (!envelope::IsValidUtf8(text)) return {"not valid UTF-8"};
  auto strings = LocaleStrings::Parse(text, name);
  if (!strings.ok()) return {"does not parse: " + strings.status().message()};

  const std::vector<std::string> en_keys = KeysInFileOrder(en_text);
  const std::vector<std::string> keys = KeysInFileOrder(text);
  const std::set<std::string> en_set(en_keys.begin(), en_keys.end());
  const std::set<std::string> key_set(keys.begin(), keys.end());
  for (const std::string& key : en_keys) {
    if (!key_set.count(key)) problems.push_back("missing key " + key);
  }
  for (const std::string& key : keys) {
    if (!en_set.count(key)) problems.push_back("key not in en.txt: " + key);
  }
  if (problems.empty() && keys != en_keys) {
    problems.push_back("keys not in the order of en.txt");
  }

  for (const std::string& key : keys) {
    if (!en_set.count(key)) continue;
    const std::string& value = *strings->FindText(key);
    const std::string& en_value = *en->FindText(key);
    if (value.empty()) problems.push_back(key + ": empty value");
    if (value.size() > kMaxValueBytes) {
      problems.push_back(key + ": value longer than " +
                         std::to_string(kMaxValueBytes) + " bytes");
    }
    if (Variables(*strings, key) != Variables(*en, key)) {
      problems.push_back(key + ": {{variables}} differ from en.txt");
    }
    for (char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        problems.push_back(key + ": control character");
        break;
      }
    }
    const bool mail = key.starts_with("mail.");
    if (mail && CountLineBreaks(value) != CountLineBreaks(en_value)) {
      problems.push_back(key + ": not the line breaks (\\n) of en.txt");
    }
    // The portal turns \n into a line break in mail.* only; any other
    // backslash would be shown as it is.
    auto slashes =
        static_cast<size_t>(std::count(value.begin(), value.end(), '\\'));
    if (slashes != (mail ? CountLineBreaks(value) : 0)) {
      problems.push_back(key + ": stray backslash");
    }
  }
  return problems;
}

const std::string kLocalesDir =
    std::string(SEAL_SOURCE_ROOT) + "/portal/locales";

TEST_CASE("portal locales: the envelope's languages, all embedded",
          "[locales]") {
  const std::vector<std::string> codes = LocaleCodesIn(kLocalesDir);
  CHECK(codes == std::vector<std::string>{"de", "en", "es", "fr", "it", "ja",
                                          "nl", "pt"});
  CHECK(codes ==
        LocaleCodesIn(std::string(SEAL_SOURCE_ROOT) + "/envelope/locales"));

  std::vector<std::string> embedded;
  for (const EmbeddedFile& f : EmbeddedPortalFiles()) {
    if (!f.path.starts_with("locales/")) continue;
    INFO(f.path);
    REQUIRE(f.path.ends_with(".txt"));
    embedded.emplace_back(f.path.substr(8, f.path.size() - 12));
    // The embedded bytes are those of the source tree (no stale copy).
    CHECK(f.data ==
          ReadFile(kLocalesDir + "/" + std::string(f.path.substr(8))));
  }
  // A locale file in the tree that is not in portal_embedded_inputs
  // (portal/meson.build) would never be served.
  CHECK(embedded == codes);
}

TEST_CASE("portal locales: complete translations of en.txt", "[locales]") {
  const std::string en = ReadFile(kLocalesDir + "/en.txt");
  auto en_strings = LocaleStrings::Parse(en, "en.txt");
  REQUIRE(en_strings.ok());
  REQUIRE(en_strings->Keys().size() > 50);
  for (const std::string& code : LocaleCodesIn(kLocalesDir)) {
    INFO(code);
    const std::string text = ReadFile(kLocalesDir + "/" + code + ".txt");
    CHECK(LocaleProblems(en, text, code + ".txt") ==
          std::vector<std::string>{});
    if (code == "en") continue;
    // Translated, not copied: hardly any value is the English one.
    auto strings = LocaleStrings::Parse(text, code);
    REQUIRE(strings.ok());
    int same = 0;
    for (const std::string& key : en_strings->Keys()) {
      const std::string* value = strings->FindText(key);
      same += value != nullptr && *value == *en_strings->FindText(key);
    }
    CHECK(same <= 3);
  }
}

TEST_CASE("portal locales: the checker finds broken translations",
          "[locales]") {
  const std::string en =
      "# header\n"
      "a.title = Secure message\n"
      "\n"
      "a.hello = Hello {{email}}, see {{url}}\n"
      "mail.body = Hello,\\n\\nopen {{url}}\n";
  const std::string good =
      "a.title = Message sécurisé\n"
      "a.hello = Bonjour {{email}}, voir {{url}}\n"
      "mail.body = Bonjour,\\n\\nouvrez {{url}}\n";
  CHECK(LocaleProblems(en, good, "fr.txt").empty());
  CHECK(LocaleProblems(en, en, "en.txt").empty());

  struct Case {
    std::string text;
    std::string problem;  // a fragment of the first problem
  };
  const std::vector<Case> cases = {
      {"a.title = T\nmail.body = B\\n\\n{{url}}\n", "missing key a.hello"},
      {good + "a.extra = x\n", "key not in en.txt: a.extra"},
      {"a.hello = B {{email}} {{url}}\na.title = T\n"
       "mail.body = B\\n\\n{{url}}\n",
       "not in the order"},
      {"a.title = T\na.hello = B {{mail}} {{url}}\n"
       "mail.body = B\\n\\n{{url}}\n",
       "a.hello: {{variables}} differ"},
      {"a.title = T\na.hello = B {{email}}\nmail.body = B\\n\\n{{url}}\n",
       "a.hello: {{variables}} differ"},
      {"a.title = T {{email}}\na.hello = B {{email}} {{url}}\n"
       "mail.body = B\\n\\n{{url}}\n",
       "a.title: {{variables}} differ"},
      {"a.title =\na.hello = B {{email}} {{url}}\nmail.body = B\\n\\n{{url}}\n",
       "a.title: empty value"},
      {"a.title = T\na.hello = B {{email}} {{url}}\nmail.body = B\\n{{url}}\n",
       "mail.body: not the line breaks"},
      {"a.title = T\\n\na.hello = B {{email}} {{url}}\n"
       "mail.body = B\\n\\n{{url}}\n",
       "a.title: stray backslash"},
      {"a.title = T\\\na.hello = B {{email}} {{url}}\n"
       "mail.body = B\\n\\n\\{{url}}\n",
       "a.title: stray backslash"},
      {"a.title = T\tab\na.hello = B {{email}} {{url}}\n"
       "mail.body = B\\n\\n{{url}}\n",
       "a.title: control character"},
      {"a.title = T\x1b[31m\na.hello = B {{email}} {{url}}\n"
       "mail.body = B\\n\\n{{url}}\n",
       "a.title: control character"},
      {"a.title = " + std::string(kMaxValueBytes + 1, 'x') +
           "\na.hello = B {{email}} {{url}}\nmail.body = B\\n\\n{{url}}\n",
       "a.title: value longer than"},
      // Not valid UTF-8: a bad continuation, an overlong '/', a surrogate,
      // a truncated sequence at the end of the file.
      {"a.title = \xC3\x28\n", "not valid UTF-8"},
      {"a.title = \xC0\xAF\n", "not valid UTF-8"},
      {"a.title = \xED\xA0\x80\n", "not valid UTF-8"},
      {good + "a.x = \xE6\x97", "not valid UTF-8"},
      // What the portal's loader refuses.
      {good + "a.title = again\n", "does not parse"},
      {"A.Title = T\n", "does not parse"},
      {"title = T\n", "does not parse"},
      {"a.title T\n", "does not parse"},
      {"a.title = {{email\n", "does not parse"},
      {"a.title = {{#email}}x{{/email}}\n", "does not parse"},
      {"a.title = {{ui.title}}\n", "does not parse"},
      {"a.title = {{=block}}\n", "does not parse"},
  };
  for (const Case& c : cases) {
    INFO(c.text.substr(0, 200));
    std::vector<std::string> problems = LocaleProblems(en, c.text, "xx.txt");
    REQUIRE(!problems.empty());
    CHECK_THAT(problems.front(), Catch::Contains(c.problem));
  }
  // A broken English file is reported too.
  CHECK_THAT(LocaleProblems("a.title = {{x\n", good, "fr.txt").front(),
             Catch::Contains("en.txt"));
}

}  // namespace
}  // namespace seal::portal
