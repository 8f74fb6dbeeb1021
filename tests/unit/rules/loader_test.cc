// Rule files (lib/rules/rule_loader.h): what a good file turns into, every
// way a file can be wrong (each error carries file:line:column), hostile
// input, directories and overrides.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "lib/rules/rule_files.h"
#include "lib/rules/rule_loader.h"
#include "tests/unit/rules/rules_test_util.h"

namespace seal::rules {
namespace {

using testing::ParseErrorOf;

const char kGood[] = R"(
[[rule]]
id = "ssn"
description = "US SSN"
scopes = ["body", "attachment_text"]
patterns = ['\b\d{3}-\d{2}-\d{4}\b', 'SSN:\s*(\d{9})']
validator = "us_ssn"
min_count = 2
action = "encrypt"
profile = "strict"
when = { direction = ["outbound", "internal"], sender_domains = ["Corp.Example", ".corp.example"], recipient_domains = "partner.example", authenticated = true }

[[rule]]
id = "tag"
description = "sensitivity"
scopes = "headers"
headers = ["Sensitivity", "X-Secure"]
patterns = 'private'
action = "sign"

[[rule]]
id = "partner"
description = "always encrypt to the partner"
action = "encrypt-if-possible"
[rule.when]
recipient_domains = ["partner.example"]
)";

TEST_CASE("a good rule file becomes rules") {
  Result<RuleList> list = ParseRuleSources({{"good.toml", kGood}});
  INFO((list.ok() ? "" : list.status().message()));
  REQUIRE(list.ok());
  REQUIRE(list->rules.size() == 3);
  CHECK(list->files == std::vector<std::string>{"good.toml"});

  const Rule& ssn = list->rules[0];
  CHECK(ssn.id == "ssn");
  CHECK(ssn.description == "US SSN");
  CHECK(ssn.where == "good.toml:2:1");
  CHECK(ssn.enabled);
  CHECK(ssn.HasScope(Scope::kBody));
  CHECK(ssn.HasScope(Scope::kAttachmentText));
  CHECK_FALSE(ssn.HasScope(Scope::kSubject));
  REQUIRE(ssn.patterns.size() == 2);
  CHECK(ssn.patterns[0].text == R"(\b\d{3}-\d{2}-\d{4}\b)");
  CHECK(ssn.patterns[0].where == "good.toml:6:13");
  CHECK(ssn.patterns[0].re != nullptr);
  CHECK(ssn.validator == Validator::kUsSsn);
  CHECK(ssn.min_count == 2);
  CHECK(ssn.action == Action::kEncrypt);
  CHECK(ssn.profile == "strict");
  CHECK(ssn.when.HasDirection(Direction::kOutbound));
  CHECK(ssn.when.HasDirection(Direction::kInternal));
  CHECK_FALSE(ssn.when.HasDirection(Direction::kInbound));
  CHECK(ssn.when.sender_domains ==
        std::vector<std::string>{"corp.example", ".corp.example"});
  CHECK(ssn.when.recipient_domains ==
        std::vector<std::string>{"partner.example"});
  CHECK(ssn.when.authenticated == true);

  const Rule& tag = list->rules[1];
  CHECK(tag.headers == std::vector<std::string>{"sensitivity", "x-secure"});
  CHECK(tag.profile.empty());
  CHECK(tag.min_count == 1);
  CHECK(tag.validator == Validator::kNone);

  const Rule& partner = list->rules[2];
  CHECK(partner.patterns.empty());
  CHECK(partner.scopes == 0);
  CHECK(partner.profile == "default");
  CHECK(partner.when.recipient_domains ==
        std::vector<std::string>{"partner.example"});
}

struct Bad {
  const char* name;
  std::string toml;
  const char* error;  // expected substring, starting with the position
};

const char kHead[] =
    "[[rule]]\nid = \"r\"\ndescription = \"d\"\naction = \"encrypt\"\n";

TEST_CASE("malformed rule files give file:line:column errors") {
  const std::string h = kHead;  // lines 1-4; the line under test is line 5
  const std::vector<Bad> cases = {
      {"toml syntax", "[[rule]]\nid = \"r\nx", "t.toml:2:"},
      {"unknown top-level key", "version = 1\n",
       "t.toml:1:1: unknown key 'version' in a rule file"},
      {"rule is a table", "[rule]\nid = \"r\"\n",
       "t.toml:1:2: 'rule' must be an array of tables: write [[rule]]"},
      {"rule is an empty array", "rule = []\n", "t.toml:1:1: 'rule' must be"},
      {"unknown rule key", h + "descripton = \"x\"\n",
       "t.toml:5:1: unknown key 'descripton' in a rule (did you mean "
       "'description'?)"},
      {"scope instead of scopes", h + "scope = \"body\"\npatterns = 'x'\n",
       "t.toml:5:1: unknown key 'scope' in a rule (did you mean 'scopes'?)"},
      {"missing id", "[[rule]]\ndescription = \"d\"\n",
       "t.toml:1:1: rule has no 'id'"},
      {"missing description", "[[rule]]\nid = \"r\"\naction = \"sign\"\n",
       "t.toml:1:1: rule has no 'description' (rule 'r')"},
      {"missing action", "[[rule]]\nid = \"r\"\ndescription = \"d\"\n",
       "t.toml:1:1: rule has no 'action'"},
      {"id of wrong type", "[[rule]]\nid = 5\n",
       "t.toml:2:6: 'id' must be a string, not integer"},
      {"id with a space", "[[rule]]\nid = \"a b\"\n",
       "t.toml:2:6: rule id 'a b' may contain only"},
      {"empty id", "[[rule]]\nid = \"\"\n", "t.toml:2:6: 'id' is empty"},
      {"control character", h + "profile = \"a\\u0001b\"\n",
       "t.toml:5:11: 'profile' contains a control character"},
      {"unknown action",
       "[[rule]]\nid = \"r\"\ndescription = \"d\"\naction = \"encrpyt\"\n",
       "t.toml:4:10: unknown action 'encrpyt' (did you mean 'encrypt'?)"},
      {"profile on sign",
       "[[rule]]\nid = \"r\"\ndescription = \"d\"\naction = \"sign\"\n"
       "profile = \"x\"\n",
       "t.toml:5:11: 'profile' applies only to the actions encrypt and "
       "encrypt-if-possible, not sign"},
      {"bad profile name", h + "profile = \"a/b\"\n",
       "t.toml:5:11: profile 'a/b' may contain only"},
      {"enabled not bool", h + "enabled = 1\n",
       "t.toml:5:11: 'enabled' must be true or false, not integer"},
      {"patterns without scopes", h + "patterns = 'x'\n",
       "t.toml:1:1: rule has no 'scopes'"},
      {"scopes without patterns", h + "scopes = \"body\"\n",
       "t.toml:5:10: 'scopes' needs 'patterns'"},
      {"validator without patterns", h + "validator = \"luhn\"\n",
       "t.toml:5:13: 'validator' needs 'patterns'"},
      {"no patterns and no conditions", h,
       "t.toml:1:1: rule has neither 'patterns' nor 'when'"},
      {"unknown scope", h + "scopes = [\"Body\"]\npatterns = 'x'\n",
       "t.toml:5:11: unknown scope 'Body' (did you mean 'body'?); allowed: "
       "subject, headers, sender, recipients, body, attachment_name, "
       "attachment_text (rule 'r')"},
      {"unknown scope, no near miss",
       h + "scopes = [\"bodies\"]\npatterns = 'x'\n",
       "t.toml:5:11: unknown scope 'bodies'; allowed:"},
      {"duplicate scope", h + "scopes = [\"body\", \"body\"]\npatterns = 'x'\n",
       "t.toml:5:19: 'scopes' lists 'body' twice"},
      {"empty scopes", h + "scopes = []\npatterns = 'x'\n",
       "t.toml:5:10: 'scopes' is empty"},
      {"scopes of wrong type", h + "scopes = 3\npatterns = 'x'\n",
       "t.toml:5:10: 'scopes' must be a string or an array of strings, not "
       "integer"},
      {"pattern not a string", h + "scopes = \"body\"\npatterns = [1]\n",
       "t.toml:6:13: 'patterns' must be a string, not integer"},
      {"bad regex", h + "scopes = \"body\"\npatterns = ['ok', '(abc']\n",
       "t.toml:6:19: bad regular expression: missing ): (abc"},
      {"bad repetition", h + "scopes = \"body\"\npatterns = 'a{1001}'\n",
       "t.toml:6:12: bad regular expression: invalid repetition size: "
       "{1001}"},
      {"perl lookahead", h + "scopes = \"body\"\npatterns = 'a(?=b)'\n",
       "t.toml:6:12: bad regular expression"},
      {"empty pattern", h + "scopes = \"body\"\npatterns = ''\n",
       "t.toml:6:12: 'patterns' is empty"},
      {"pattern matches empty", h + "scopes = \"body\"\npatterns = 'a*'\n",
       "t.toml:6:12: pattern matches the empty string"},
      {"pattern matches empty (anchors)",
       h + "scopes = \"body\"\npatterns = '^$'\n",
       "t.toml:6:12: pattern matches the empty string"},
      {"unknown validator",
       h + "scopes = \"body\"\npatterns = 'x'\nvalidator = \"luhnn\"\n",
       "t.toml:7:13: unknown validator 'luhnn' (did you mean 'luhn'?)"},
      {"min_count zero",
       h + "scopes = \"body\"\npatterns = 'x'\nmin_count = 0\n",
       "t.toml:7:13: 'min_count' must be between 1 and 10000, not 0"},
      {"min_count string",
       h + "scopes = \"body\"\npatterns = 'x'\nmin_count = \"3\"\n",
       "t.toml:7:13: 'min_count' must be an integer, not string"},
      {"min_count float",
       h + "scopes = \"body\"\npatterns = 'x'\nmin_count = 2.5\n",
       "t.toml:7:13: 'min_count' must be an integer, not floating-point"},
      {"headers without headers scope",
       h + "scopes = \"body\"\npatterns = 'x'\nheaders = \"Subject\"\n",
       "t.toml:7:11: 'headers' needs \"headers\" among the scopes"},
      {"bad header name",
       h + "scopes = \"headers\"\npatterns = 'x'\nheaders = \"X:Y\"\n",
       "t.toml:7:11: 'X:Y' is not a header field name"},
      {"when not a table", h + "when = \"outbound\"\n",
       "t.toml:5:8: 'when' must be a table, not string"},
      {"empty when", h + "when = {}\n", "t.toml:5:8: 'when' is empty"},
      {"unknown when key", h + "when = { directon = \"outbound\" }\n",
       "t.toml:5:10: unknown key 'directon' in 'when' (did you mean "
       "'direction'?)"},
      {"unknown direction", h + "when = { direction = \"sideways\" }\n",
       "t.toml:5:22: unknown direction 'sideways'"},
      {"bad domain", h + "when = { sender_domains = [\"exa mple.com\"] }\n",
       "t.toml:5:28: 'exa mple.com' is not a domain"},
      {"address instead of domain",
       h + "when = { recipient_domains = \"bob@example.com\" }\n",
       "t.toml:5:30: 'bob@example.com' is not a domain"},
      {"empty label", h + "when = { sender_domains = \"a..b\" }\n",
       "is not a domain"},
      {"authenticated not bool", h + "when = { authenticated = \"yes\" }\n",
       "t.toml:5:26: 'authenticated' must be true or false, not string"},
      {"duplicate id in one file",
       h + "when = { direction = \"outbound\" }\n" + h +
           "when = { direction = \"outbound\" }\n",
       "t.toml:7:6: duplicate rule id 'r' (first defined at t.toml:1:1)"},
      {"duplicate key (TOML)", h + "action = \"sign\"\n", "t.toml:5:"},
      {"override of unknown rule",
       "[[override]]\nid = \"nope\"\nenabled = false\n",
       "t.toml:1:1: override of unknown rule 'nope'"},
      {"override without id", "[[override]]\nenabled = false\n",
       "t.toml:1:1: override has no 'id'"},
      {"override that changes nothing",
       h + "when = { direction = \"outbound\" }\n[[override]]\nid = \"r\"\n",
       "t.toml:6:1: override of 'r' changes nothing"},
      {"override unknown key", "[[override]]\nid = \"r\"\npatterns = 'x'\n",
       "t.toml:3:1: unknown key 'patterns' in an override"},
      {"duplicate override",
       h + "when = { direction = \"outbound\" }\n[[override]]\nid = \"r\"\n"
           "enabled = false\n[[override]]\nid = \"r\"\nenabled = true\n",
       "t.toml:10:6: rule 'r' is already overridden at t.toml:6:1"},
      {"override profile on sign rule",
       "[[rule]]\nid = \"r\"\ndescription = \"d\"\naction = \"sign\"\n"
       "when = { direction = \"outbound\" }\n"
       "[[override]]\nid = \"r\"\nprofile = \"x\"\n",
       "t.toml:8:11: 'profile' applies only to the actions encrypt and "
       "encrypt-if-possible; rule 'r' has action sign"},
      {"override min_count on pattern-less rule",
       h + "when = { direction = \"outbound\" }\n"
           "[[override]]\nid = \"r\"\nmin_count = 2\n",
       "t.toml:6:1: rule 'r' has no patterns"},
  };
  for (const Bad& c : cases) {
    INFO(c.name);
    std::string error = ParseErrorOf(c.toml);
    INFO("got: " + error);
    CHECK(error.find(c.error) != std::string::npos);
    // Every error names the file and a line.
    CHECK(error.rfind("t.toml:", 0) == 0);
  }
}

TEST_CASE("duplicate ids across files name both places") {
  std::string rule =
      "[[rule]]\nid = \"same\"\ndescription = \"d\"\naction = \"sign\"\n"
      "when = { direction = \"outbound\" }\n";
  Result<RuleList> list =
      ParseRuleSources({{"a.toml", rule}, {"b.toml", "\n" + rule}});
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().message() ==
        "b.toml:3:6: duplicate rule id 'same' (first defined at a.toml:1:1)");
}

TEST_CASE("overrides change rules of earlier and later files") {
  std::string shipped = R"(
[[rule]]
id = "ssn"
description = "d"
scopes = "body"
patterns = '\d{3}-\d{2}-\d{4}'
action = "encrypt"
profile = "strict"

[[rule]]
id = "kw"
description = "d"
scopes = "body"
patterns = 'secret'
action = "encrypt-if-possible"
)";
  std::string local = R"(
[[override]]
id = "ssn"
min_count = 3
action = "quarantine"

[[override]]
id = "kw"
action = "encrypt"
profile = "envelope-only"

[[override]]
id = "later"
enabled = false
)";
  std::string later = R"(
[[rule]]
id = "later"
description = "d"
action = "sign"
when = { direction = "outbound" }
)";
  Result<RuleList> list = ParseRuleSources(
      {{"10.toml", shipped}, {"50.toml", local}, {"90.toml", later}});
  INFO((list.ok() ? "" : list.status().message()));
  REQUIRE(list.ok());
  REQUIRE(list->rules.size() == 3);
  CHECK(list->rules[0].min_count == 3);
  CHECK(list->rules[0].action == Action::kQuarantine);
  CHECK(list->rules[0].profile.empty());  // dropped with the action
  CHECK(list->rules[1].action == Action::kEncrypt);
  CHECK(list->rules[1].profile == "envelope-only");
  CHECK_FALSE(list->rules[2].enabled);
}

TEST_CASE("hostile input is refused with a clear error") {
  SECTION("oversized file") {
    RuleLimits limits;
    std::string big = "# " + std::string(limits.max_file_bytes, 'x') + "\n";
    std::string error = ParseErrorOf(big);
    CHECK(error.find("t.toml: rule file is") == 0);
    CHECK(error.find("more than the limit of 1048576") != std::string::npos);
  }
  SECTION("NUL byte") {
    std::string text = "[[rule]]\nid = \"a";
    text += '\0';
    text += "b\"\n";
    CHECK(ParseErrorOf(text) == "t.toml:2:8: rule file contains a NUL byte");
  }
  SECTION("invalid UTF-8") {
    CHECK(ParseErrorOf("# caf\xff\n[[rule]]\n").find("t.toml:1:") == 0);
  }
  SECTION("too many rules") {
    RuleLimits limits;
    limits.max_rules = 5;
    std::string text;
    for (int i = 0; i < 6; ++i) {
      text += "[[rule]]\nid = \"r" + std::to_string(i) +
              "\"\ndescription = \"d\"\nscopes = \"body\"\npatterns = "
              "'x'\naction = \"sign\"\n";
    }
    CHECK(ParseErrorOf(text, limits) == "t.toml:31:1: more than 5 rules");
  }
  SECTION("too many files") {
    RuleLimits limits;
    limits.max_files = 2;
    Result<RuleList> list =
        ParseRuleSources({{"a", ""}, {"b", ""}, {"c", ""}}, limits);
    REQUIRE_FALSE(list.ok());
    CHECK(list.status().message() == "c: more than 2 rule files");
  }
  SECTION("too many patterns in a rule") {
    RuleLimits limits;
    limits.max_patterns_per_rule = 2;
    CHECK(ParseErrorOf(std::string(kHead) +
                           "scopes = \"body\"\npatterns = ['a', 'b', 'c']\n",
                       limits)
              .find("t.toml:6:12: more than 2 patterns") == 0);
  }
  SECTION("too many list entries") {
    RuleLimits limits;
    limits.max_list_items = 2;
    CHECK(ParseErrorOf(std::string(kHead) +
                           "when = { sender_domains = ['a.example', "
                           "'b.example', 'c.example'] }\n",
                       limits)
              .find("t.toml:5:54: 'sender_domains' has more than 2 entries") ==
          0);
  }
  SECTION("pattern too long") {
    RuleLimits limits;
    std::string pattern(limits.max_pattern_bytes + 1, 'a');
    std::string error =
        ParseErrorOf(std::string(kHead) + "scopes = \"body\"\npatterns = '" +
                     pattern + "'\n");
    CHECK(error.find("t.toml:6:12: 'patterns' is longer than 16384 bytes") ==
          0);
  }
  SECTION("program too large for the cap") {
    RuleLimits limits;
    limits.max_program_size = 100;
    std::string error = ParseErrorOf(
        std::string(kHead) + "scopes = \"body\"\npatterns = '[a-z]{200}'\n",
        limits);
    CHECK(error.find("t.toml:6:12: pattern compiles to") == 0);
    CHECK(error.find("more than the limit of 100") != std::string::npos);
  }
  SECTION("program too large for RE2's memory") {
    std::string error =
        ParseErrorOf(std::string(kHead) +
                     "scopes = \"body\"\npatterns = '(?:\\pL{1000}){1000}'\n");
    INFO(error);
    CHECK(error.find("t.toml:6:12: bad regular expression") == 0);
  }
  SECTION("deep nesting within the size cap") {
    // RE2 parses and compiles without recursion: 8000 levels are harmless.
    std::string pattern = std::string(8000, '(') + "a" + std::string(8000, ')');
    auto rules = testing::MustCompile(std::string(kHead) +
                                      "scopes = \"body\"\npatterns = '" +
                                      pattern + "'\n");
    Evaluation ev = testing::MustEvaluate(
        *rules, testing::Text({{Scope::kBody, "a"}}), testing::Outbound());
    CHECK(ev.decisions[0].action == FinalAction::kEncrypt);
  }
}

TEST_CASE("thousands of rules load and compile") {
  std::string text;
  const int kRules = 3000;
  for (int i = 0; i < kRules; ++i) {
    text += "[[rule]]\nid = \"kw-" + std::to_string(i) +
            "\"\ndescription = \"keyword\"\nscopes = [\"subject\", "
            "\"body\"]\npatterns = '(?i)\\bcodeword" +
            std::to_string(i) + "\\b'\naction = \"encrypt\"\n";
  }
  auto start = std::chrono::steady_clock::now();
  Result<RuleList> list = ParseRuleSources({{"many.toml", text}});
  INFO((list.ok() ? "" : list.status().message()));
  REQUIRE(list.ok());
  REQUIRE(list->rules.size() == kRules);
  auto compiled = CompileRules(std::move(*list));
  INFO((compiled.ok() ? "" : compiled.status().message()));
  REQUIRE(compiled.ok());
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed < std::chrono::seconds(30));
  MessageText msg = testing::Text(
      {{Scope::kBody, "nothing here but CODEWORD2999 and codeword17x"}});
  Evaluation ev = testing::MustEvaluate(**compiled, msg, testing::Outbound());
  REQUIRE(ev.decisions.size() == 1);
  REQUIRE(ev.decisions[0].fired.size() == 1);
  CHECK(ev.decisions[0].fired[0].rule_id == "kw-2999");
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sealmilter-rules-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    if (std::system(cmd.c_str()) != 0) WARN("could not remove " + path_);
  }
  const std::string& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
  }

 private:
  std::string path_;
};

TEST_CASE("directories load *.toml in lexical order") {
  TempDir shipped, local;
  shipped.Write("20-b.toml",
                "[[rule]]\nid = \"b\"\ndescription = \"d\"\nscopes = "
                "\"body\"\npatterns = 'b'\naction = \"sign\"\n");
  shipped.Write("10-a.toml",
                "[[rule]]\nid = \"a\"\ndescription = \"d\"\nscopes = "
                "\"body\"\npatterns = 'a'\naction = \"sign\"\n");
  shipped.Write(".hidden.toml", "this is not TOML");
  shipped.Write("README", "this is not TOML");
  shipped.Write("30-c.toml.dpkg-old", "this is not TOML");
  REQUIRE(mkdir((shipped.path() + "/40-dir.toml").c_str(), 0755) == 0);
  local.Write("50-local.toml", "[[override]]\nid = \"a\"\nenabled = false\n");

  Result<RuleList> list =
      LoadRulePaths({shipped.path(), local.path(), "/nonexistent/rules.d"});
  INFO((list.ok() ? "" : list.status().message()));
  REQUIRE(list.ok());
  REQUIRE(list->rules.size() == 2);
  CHECK(list->rules[0].id == "a");
  CHECK_FALSE(list->rules[0].enabled);
  CHECK(list->rules[1].id == "b");
  CHECK(list->files ==
        std::vector<std::string>{shipped.path() + "/10-a.toml",
                                 shipped.path() + "/20-b.toml",
                                 local.path() + "/50-local.toml"});
  REQUIRE(list->notes.size() == 1);
  CHECK(list->notes[0] == "/nonexistent/rules.d does not exist; skipped");

  // Errors in a directory's file carry its path.
  local.Write("60-bad.toml", "[[rule]]\nid = 1\n");
  list = LoadRulePaths({shipped.path(), local.path()});
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().message() ==
        local.path() + "/60-bad.toml:2:6: 'id' must be a string, not integer");
}

TEST_CASE("a single file path and oversized files on disk") {
  TempDir dir;
  dir.Write("one.toml",
            "[[rule]]\nid = \"x\"\ndescription = \"d\"\nscopes = "
            "\"body\"\npatterns = 'x'\naction = \"sign\"\n");
  Result<RuleList> list = LoadRulePaths({dir.path() + "/one.toml"});
  REQUIRE(list.ok());
  CHECK(list->rules.size() == 1);

  RuleLimits small;
  small.max_total_bytes = 100;
  dir.Write("two.toml", "# " + std::string(60, 'x') + "\n");
  list = LoadRulePaths({dir.path() + "/one.toml", dir.path() + "/two.toml"},
                       small);
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().message() == dir.path() +
                                       "/two.toml: rule files add up to more "
                                       "than 100 bytes");
  small = RuleLimits();
  small.max_files = 1;
  list = LoadRulePaths({dir.path()}, small);
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().message() ==
        dir.path() + "/two.toml: more than 1 rule files");

  dir.Write("big.toml", std::string((1 << 20) + 10, '#'));
  list = LoadRulePaths({dir.path() + "/big.toml"});
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().code() == StatusCode::kResourceExhausted);
  CHECK(list.status().message().find("more than the limit") !=
        std::string::npos);
}

}  // namespace
}  // namespace seal::rules
