// sealmilter.rules(5) agrees with the code: every example marked
// `.\" example` loads (together with the shipped rules, so overrides of
// shipped ids work), and every action, validator, scope and key is
// documented.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/rules/rules_test_util.h"

namespace seal::rules {
namespace {

std::string ReadManPage() {
  std::ifstream in(std::string(SEAL_SOURCE_ROOT) + "/man/sealmilter.rules.5");
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Undoes the roff escapes allowed in the examples; fails on any other.
std::string Unescape(const std::string& line, int line_number) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\') {
      out += line[i];
      continue;
    }
    std::string rest = line.substr(i + 1);
    if (rest.rfind("e", 0) == 0) {
      out += '\\';
      i += 1;
    } else if (rest.rfind("&", 0) == 0) {
      i += 1;
    } else if (rest.rfind("-", 0) == 0) {
      out += '-';
      i += 1;
    } else if (rest.rfind("(aq", 0) == 0) {
      out += '\'';
      i += 3;
    } else if (rest.rfind("(dq", 0) == 0) {
      out += '"';
      i += 3;
    } else {
      FAIL("man page line "
           << line_number
           << ": unexpected roff escape in an example: " << line);
    }
  }
  return out;
}

struct Example {
  int line;  // of the .Bd line
  std::string text;
};

std::vector<Example> Examples(const std::string& page) {
  std::vector<Example> examples;
  std::istringstream in(page);
  std::string line;
  int number = 0;
  bool marked = false;
  Example* current = nullptr;
  while (std::getline(in, line)) {
    ++number;
    if (current != nullptr) {
      if (line == ".Ed") {
        current = nullptr;
        continue;
      }
      current->text += Unescape(line, number) + "\n";
      continue;
    }
    if (line == ".\\\" example") {
      marked = true;
      continue;
    }
    if (marked) {
      INFO("man page line " << number);
      REQUIRE(line.rfind(".Bd -literal", 0) == 0);
      examples.push_back(Example{number, ""});
      current = &examples.back();
      marked = false;
    }
  }
  REQUIRE(current == nullptr);  // every example is closed by .Ed
  return examples;
}

TEST_CASE("every example in sealmilter.rules(5) loads") {
  std::vector<Example> examples = Examples(ReadManPage());
  REQUIRE(examples.size() >= 10);
  // Each example is loaded as a local file after the shipped rules, the way
  // an administrator would install it.
  Result<std::vector<std::string>> shipped =
      ListRuleFiles(testing::ShippedRulesDir());
  REQUIRE(shipped.ok());
  std::vector<RuleSource> base;
  for (const std::string& path : *shipped) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    base.push_back(RuleSource{path, buffer.str()});
  }
  for (const Example& example : examples) {
    INFO("example at man/sealmilter.rules.5:" << example.line << "\n"
                                              << example.text);
    CHECK_FALSE(example.text.empty());
    std::vector<RuleSource> sources = base;
    sources.push_back(RuleSource{"example.toml", example.text});
    Result<RuleList> list = ParseRuleSources(sources);
    INFO((list.ok() ? "" : list.status().message()));
    REQUIRE(list.ok());
    auto compiled = CompileRules(std::move(*list));
    INFO((compiled.ok() ? "" : compiled.status().message()));
    CHECK(compiled.ok());
  }
}

TEST_CASE("sealmilter.rules(5) documents every name the loader accepts") {
  const std::string page = ReadManPage();
  auto documented = [&](const std::string& macro, std::string_view name) {
    return page.find("\n." + macro + " " + std::string(name)) !=
               std::string::npos ||
           page.find("\n.It " + macro + " " + std::string(name)) !=
               std::string::npos;
  };
  for (size_t i = 0; i < kActionCount; ++i) {
    std::string_view name = ActionName(static_cast<Action>(i));
    INFO(name);
    CHECK(documented("Cm", name));
  }
  for (Validator v : {Validator::kLuhn, Validator::kUsSsn, Validator::kAba,
                      Validator::kIban}) {
    INFO(ValidatorName(v));
    CHECK(documented("Cm", ValidatorName(v)));
  }
  for (size_t i = 0; i < kScopeCount; ++i) {
    std::string_view name = ScopeName(static_cast<Scope>(i));
    INFO(name);
    CHECK(documented("Cm", name));
  }
  for (Direction d :
       {Direction::kOutbound, Direction::kInbound, Direction::kInternal}) {
    INFO(DirectionName(d));
    CHECK(documented("Cm", DirectionName(d)));
  }
  for (const char* key :
       {"id", "description", "action", "profile", "scopes", "patterns",
        "headers", "validator", "min_count", "enabled", "when", "direction",
        "sender_domains", "recipient_domains", "authenticated"}) {
    INFO(key);
    CHECK(documented("Ic", key));
  }
  CHECK(page.find("[[override]]") != std::string::npos);
}

}  // namespace
}  // namespace seal::rules
