// Every config key is in the schema and in sealmilter.conf(5), with the same
// type, default and reload behaviour; and nothing is documented that the
// schema does not know. The man page entry shape this test reads:
//   .It Cm KEY Ar TYPE
//   Default:
//   .Ql VALUE ;          (or "none (empty);" for an empty default)
//   applied on reload.   (or "needs a restart.")
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "lib/config_schema.h"

namespace seal {
namespace {

struct DocEntry {
  std::string type;
  std::vector<std::string> lines;  // the lines after the .It line
  int line_number = 0;
};

std::map<std::string, DocEntry> ReadManEntries(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  std::map<std::string, DocEntry> entries;
  std::string line;
  DocEntry* current = nullptr;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.rfind(".It Cm ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string key, ar, type;
      words >> key >> ar >> type;
      if (key.find('.') == std::string::npos) {  // not a config key entry
        current = nullptr;
        continue;
      }
      INFO(path << ":" << n << ": " << line);
      CHECK(ar == "Ar");
      CHECK(entries.count(key) == 0);
      current = &entries[key];
      current->type = type;
      current->line_number = n;
      continue;
    }
    if (line.rfind(".It", 0) == 0 || line.rfind(".El", 0) == 0 ||
        line.rfind(".Ss", 0) == 0 || line.rfind(".Sh", 0) == 0) {
      current = nullptr;
    }
    if (current != nullptr) current->lines.push_back(line);
  }
  return entries;
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    s = s.substr(1, s.size() - 2);
  }
  return s;
}

TEST_CASE("sealmilter.conf(5) and the schema agree") {
  const std::string path =
      std::string(SEAL_SOURCE_ROOT) + "/man/sealmilter.conf.5";
  std::map<std::string, DocEntry> doc = ReadManEntries(path);
  REQUIRE_FALSE(doc.empty());

  for (const KeyDef& def : Schema()) {
    std::string key(def.key);
    INFO("schema key " << key);
    auto it = doc.find(key);
    REQUIRE(it != doc.end());  // undocumented key
    const DocEntry& e = it->second;
    INFO(path << ":" << e.line_number);
    CHECK(e.type == ValueTypeName(def.type));
    REQUIRE(e.lines.size() >= 3);
    CHECK(e.lines[0] == "Default:");
    if (def.default_value.empty()) {
      CHECK(e.lines[1] == "none (empty);");
    } else {
      REQUIRE(e.lines[1].rfind(".Ql ", 0) == 0);
      std::string shown = e.lines[1].substr(4);
      REQUIRE(shown.size() >= 2);
      CHECK(shown.substr(shown.size() - 2) == " ;");
      CHECK(Unquote(shown.substr(0, shown.size() - 2)) == def.default_value);
    }
    CHECK(e.lines[2] ==
          (def.reloadable ? "applied on reload." : "needs a restart."));
    if (def.type == ValueType::kEnum) {
      // Every choice is named in the entry's text.
      std::string text;
      for (const std::string& l : e.lines) text += l + "\n";
      std::string_view rest = def.choices;
      while (!rest.empty()) {
        size_t bar = rest.find('|');
        std::string choice(rest.substr(0, bar));
        INFO("choice " << choice);
        CHECK(text.find(choice) != std::string::npos);
        if (bar == std::string_view::npos) break;
        rest.remove_prefix(bar + 1);
      }
    }
  }
  for (const auto& [key, entry] : doc) {
    INFO(path << ":" << entry.line_number << ": documented key " << key);
    CHECK(FindKey(key) != nullptr);  // documented but not in the schema
  }
}

}  // namespace
}  // namespace seal
