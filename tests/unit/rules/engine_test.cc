// The engine (lib/rules/evaluate.h, compiled_rules.h, scope_matcher.h):
// conditions, thresholds, validators in context, header filters, masked
// samples, why-not reasons, the scan cap, "cannot decide", and concurrency.
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lib/rules/scope_matcher.h"
#include "tests/unit/rules/failing_matcher.h"
#include "tests/unit/rules/rules_test_util.h"

namespace seal::rules {
namespace {

using testing::AllNotes;
using testing::FindHit;
using testing::Fired;
using testing::Item;
using testing::MustCompile;
using testing::MustEvaluate;
using testing::Outbound;
using testing::Text;
using testing::WhyNotOf;

const char kSsnRule[] = R"(
[[rule]]
id = "ssn"
description = "SSN"
scopes = ["body", "attachment_text"]
patterns = '\b\d{3}-\d{2}-\d{4}\b'
validator = "us_ssn"
min_count = 3
action = "encrypt"
)";

TEST_CASE("threshold counts distinct validated matches across scopes") {
  auto rules = MustCompile(kSsnRule);
  struct Row {
    const char* name;
    std::vector<Item> items;
    bool fires;
    const char* why;
  };
  const std::vector<Row> rows = {
      {"three distinct in the body",
       {{Scope::kBody, "078-05-1120, 123-45-6789 and 219-09-9999"}},
       true,
       ""},
      {"two distinct",
       {{Scope::kBody, "078-05-1120 and 123-45-6789"}},
       false,
       "found 2 distinct valid matches, min_count is 3"},
      {"one repeated three times",
       {{Scope::kBody, "078-05-1120 078-05-1120 078-05-1120"}},
       false,
       "found 1 distinct valid match, min_count is 3"},
      {"invalid ones do not count",
       {{Scope::kBody, "078-05-1120 123-45-6789 000-12-3456 666-01-0001"}},
       false,
       "found 2 distinct valid matches, min_count is 3; 2 matches failed the "
       "us_ssn validator (e.g. '***-**-3456')"},
      {"spread over body and attachment",
       {{Scope::kBody, "078-05-1120"},
        {Scope::kAttachmentText, "123-45-6789"},
        {Scope::kAttachmentText, "219-09-9999 and again 078-05-1120"}},
       true,
       ""},
      {"subject is not a scope of the rule",
       {{Scope::kSubject, "078-05-1120 123-45-6789 219-09-9999"}},
       false,
       ""},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    Evaluation ev = MustEvaluate(*rules, Text(row.items), Outbound());
    REQUIRE(ev.decisions.size() == 1);
    const Decision& d = ev.decisions[0];
    CHECK(Fired(d, "ssn") == row.fires);
    CHECK(WhyNotOf(d, "ssn") == row.why);
    CHECK(d.action == (row.fires ? FinalAction::kEncrypt : FinalAction::kNone));
  }
}

TEST_CASE("a hit says where and shows only a masked sample") {
  auto rules = MustCompile(std::string(kSsnRule) + R"(
[[override]]
id = "ssn"
min_count = 1
)");
  MessageText text = Text(
      {{Scope::kBody, "intro", "part 1 text/plain"},
       {Scope::kAttachmentText, "name: J. Doe, ssn: 078-05-1120, 123-45-6789",
        "part 2 text/csv \"staff.csv\""}});
  Evaluation ev = MustEvaluate(*rules, text, Outbound());
  const RuleHit* hit = FindHit(ev.decisions[0], "ssn");
  REQUIRE(hit != nullptr);
  CHECK(hit->content);
  CHECK(hit->scope == Scope::kAttachmentText);
  CHECK(hit->origin == "part 2 text/csv \"staff.csv\"");
  CHECK(hit->sample == "***-**-1120");
  CHECK(hit->count == 1);  // the scan stops at min_count
  CHECK(hit->action == Action::kEncrypt);
  CHECK(hit->profile == "default");
  CHECK(ev.bytes_scanned == 5 + text.at(Scope::kAttachmentText)[0].text.size());
  CHECK_FALSE(ev.truncated);
}

TEST_CASE("the validator checks the first capturing group") {
  auto rules = MustCompile(R"(
[[rule]]
id = "aba"
description = "routing number after a keyword"
scopes = "body"
patterns = '(?i)\brouting\b[^0-9]{0,20}(\d{9})\b'
validator = "aba"
action = "encrypt"
)");
  Evaluation ev = MustEvaluate(
      *rules, Text({{Scope::kBody, "Routing no.: 021000021"}}), Outbound());
  const RuleHit* hit = FindHit(ev.decisions[0], "aba");
  REQUIRE(hit != nullptr);
  CHECK(hit->sample == "*****0021");  // the group, not "Routing no.: ..."
  ev = MustEvaluate(*rules, Text({{Scope::kBody, "routing 021000022"}}),
                    Outbound());
  CHECK_FALSE(Fired(ev.decisions[0], "aba"));
  CHECK(WhyNotOf(ev.decisions[0], "aba").find("failed the aba validator") !=
        std::string::npos);
}

TEST_CASE("header filter restricts the headers scope") {
  auto rules = MustCompile(R"(
[[rule]]
id = "sens"
description = "d"
scopes = ["headers", "subject"]
headers = "Sensitivity"
patterns = '(?i)private'
action = "encrypt"
)");
  struct Row {
    Item item;
    bool fires;
  };
  const std::vector<Row> rows = {
      {{Scope::kHeaders, "Sensitivity: Private"}, true},
      {{Scope::kHeaders, "SENSITIVITY : private"}, true},
      {{Scope::kHeaders, "X-Sensitivity: Private"}, false},
      {{Scope::kHeaders, "Comments: private"}, false},
      {{Scope::kHeaders, "no colon private"}, false},
      // The filter applies to the headers scope only.
      {{Scope::kSubject, "a private matter"}, true},
  };
  for (const Row& row : rows) {
    INFO(row.item.text);
    Evaluation ev = MustEvaluate(*rules, Text({row.item}), Outbound());
    CHECK(Fired(ev.decisions[0], "sens") == row.fires);
  }
  Evaluation ev = MustEvaluate(
      *rules, Text({{Scope::kHeaders, "Comments: private"}}), Outbound());
  CHECK(WhyNotOf(ev.decisions[0], "sens") ==
        "the pattern matched only in headers not listed in 'headers'");
}

const char kConditionRules[] = R"(
[[rule]]
id = "out"
description = "outbound only"
scopes = "body"
patterns = 'secret'
action = "encrypt"
when = { direction = "outbound" }

[[rule]]
id = "from-corp"
description = "from corp.example or its subdomains"
scopes = "body"
patterns = 'secret'
action = "sign"
when = { sender_domains = ["corp.example", ".corp.example"] }

[[rule]]
id = "auth"
description = "authenticated senders only"
scopes = "body"
patterns = 'secret'
action = "encrypt-if-possible"
when = { authenticated = true }

[[rule]]
id = "unauth"
description = "unauthenticated senders only"
scopes = "body"
patterns = 'secret'
action = "quarantine"
when = { authenticated = false, direction = ["inbound", "internal"] }

[[rule]]
id = "to-partner"
description = "to partner.example"
scopes = "body"
patterns = 'secret'
action = "encrypt"
profile = "partner"
when = { recipient_domains = "partner.example" }
)";

TEST_CASE("conditions table") {
  auto rules = MustCompile(kConditionRules);
  MessageText text = Text({{Scope::kBody, "top secret"}});
  struct Row {
    const char* name;
    Direction direction;
    const char* sender;
    bool authenticated;
    std::vector<const char*> fired;
    std::vector<std::pair<const char*, const char*>> why;
  };
  const std::vector<Row> rows = {
      {"authenticated outbound from corp",
       Direction::kOutbound,
       "alice@corp.example",
       true,
       {"out", "from-corp", "auth"},
       {{"unauth",
         "a pattern matched, but direction is outbound, the rule wants "
         "inbound or internal"}}},
      {"subdomain sender",
       Direction::kOutbound,
       "<Alice@Mail.Corp.Example.>",
       true,
       {"out", "from-corp", "auth"},
       {}},
      {"lookalike domain",
       Direction::kOutbound,
       "alice@evilcorp.example",
       true,
       {"out", "auth"},
       {{"from-corp",
         "a pattern matched, but sender domain 'evilcorp.example' is not in "
         "sender_domains"}}},
      {"inbound unauthenticated",
       Direction::kInbound,
       "mallory@elsewhere.example",
       false,
       {"unauth"},
       {{"out",
         "a pattern matched, but direction is inbound, the rule wants "
         "outbound"},
        {"auth",
         "a pattern matched, but the sender is not authenticated, the rule "
         "wants an authenticated sender"}}},
      {"internal authenticated",
       Direction::kInternal,
       "alice@corp.example",
       true,
       {"from-corp", "auth"},
       {{"unauth",
         "a pattern matched, but the sender is authenticated, the rule wants "
         "an unauthenticated sender"}}},
      {"bounce (empty sender)",
       Direction::kInbound,
       "",
       false,
       {"unauth"},
       {{"from-corp",
         "a pattern matched, but sender domain '' is not in sender_domains"}}},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    EnvelopeContext env;
    env.direction = row.direction;
    env.sender = row.sender;
    env.authenticated = row.authenticated;
    env.sender_internal = true;
    env.recipients = {"carol@other.example"};
    Evaluation ev = MustEvaluate(*rules, text, env);
    REQUIRE(ev.decisions.size() == 1);
    const Decision& d = ev.decisions[0];
    std::vector<std::string> fired;
    for (const RuleHit& h : d.fired) fired.push_back(h.rule_id);
    CHECK(fired ==
          std::vector<std::string>(row.fired.begin(), row.fired.end()));
    for (const auto& [id, why] : row.why) {
      INFO(id);
      CHECK(WhyNotOf(d, id) == why);
    }
  }
}

TEST_CASE("recipient conditions give each recipient its own decision") {
  auto rules = MustCompile(kConditionRules);
  EnvelopeContext env = Outbound({"bob@partner.example", "carol@other.example",
                                  "dave@sub.partner.example"});
  env.sender = "alice@corp.example";
  Evaluation ev = MustEvaluate(*rules, Text({{Scope::kBody, "secret"}}), env);
  REQUIRE(ev.decisions.size() == 3);
  CHECK(ev.decisions[0].recipient == "bob@partner.example");
  CHECK(Fired(ev.decisions[0], "to-partner"));
  CHECK(ev.decisions[0].profile == "default");  // "out" is first in load order
  CHECK(AllNotes(ev.decisions[0]).find("asks for profile 'partner'") !=
        std::string::npos);
  CHECK_FALSE(Fired(ev.decisions[1], "to-partner"));
  CHECK(WhyNotOf(ev.decisions[1], "to-partner") ==
        "the text matched, but recipient domain 'other.example' is not in "
        "recipient_domains");
  // "partner.example" does not cover subdomains; ".partner.example" would.
  CHECK_FALSE(Fired(ev.decisions[2], "to-partner"));
}

TEST_CASE("rules without patterns fire on conditions alone") {
  auto rules = MustCompile(R"(
[[rule]]
id = "lawyers"
description = "always encrypt to our law firm"
action = "encrypt"
profile = "legal"
when = { recipient_domains = ["lawfirm.example"], direction = "outbound" }

[[rule]]
id = "sign-outbound"
description = "sign everything that leaves"
action = "sign"
when = { direction = "outbound" }
)");
  EnvelopeContext env =
      Outbound({"counsel@lawfirm.example", "friend@other.example"});
  Evaluation ev = MustEvaluate(*rules, MessageText(), env);
  REQUIRE(ev.decisions.size() == 2);
  CHECK(ev.decisions[0].action == FinalAction::kEncrypt);
  CHECK(ev.decisions[0].sign);
  CHECK(ev.decisions[0].profile == "legal");
  const RuleHit* hit = FindHit(ev.decisions[0], "lawyers");
  REQUIRE(hit != nullptr);
  CHECK_FALSE(hit->content);
  CHECK(ev.decisions[1].action == FinalAction::kSign);
  CHECK(ev.decisions[1].why_not.empty());  // no noise from condition rules
  env.direction = Direction::kInbound;
  ev = MustEvaluate(*rules, MessageText(), env);
  CHECK(ev.decisions[0].action == FinalAction::kNone);
  CHECK(ev.decisions[0].fired.empty());
}

TEST_CASE("no recipients gives one decision for the empty recipient") {
  auto rules = MustCompile(kSsnRule);
  EnvelopeContext env;
  Evaluation ev = MustEvaluate(
      *rules, Text({{Scope::kBody, "078-05-1120 123-45-6789 219-09-9999"}}),
      env);
  REQUIRE(ev.decisions.size() == 1);
  CHECK(ev.decisions[0].recipient.empty());
  CHECK(ev.decisions[0].action == FinalAction::kEncrypt);
}

TEST_CASE("disabled rules are not matched") {
  auto rules = MustCompile(std::string(kSsnRule) +
                           "[[override]]\nid = \"ssn\"\nenabled = false\n");
  CHECK(rules->enabled_count() == 0);
  CHECK(rules->matcher(Scope::kBody) == nullptr);
  Evaluation ev = MustEvaluate(
      *rules, Text({{Scope::kBody, "078-05-1120 123-45-6789 219-09-9999"}}),
      Outbound());
  CHECK(ev.decisions[0].fired.empty());
  CHECK(ev.decisions[0].why_not.empty());
}

TEST_CASE("the scan cap stops scanning and says so") {
  EngineOptions options;
  options.max_scan_bytes = 64;
  auto rules = MustCompile(R"(
[[rule]]
id = "kw"
description = "d"
scopes = ["subject", "body"]
patterns = 'needle'
action = "encrypt"
)",
                           options);
  SECTION("needle inside the cap") {
    Evaluation ev =
        MustEvaluate(*rules,
                     Text({{Scope::kSubject, "hi"},
                           {Scope::kBody, "needle" + std::string(200, ' ')}}),
                     Outbound());
    CHECK(Fired(ev.decisions[0], "kw"));
    CHECK(ev.truncated);
    CHECK(ev.bytes_scanned == 64);
  }
  SECTION("needle past the cap") {
    Evaluation ev =
        MustEvaluate(*rules,
                     Text({{Scope::kSubject, "hi"},
                           {Scope::kBody, std::string(100, ' ') + "needle"},
                           {Scope::kBody, "needle"}}),
                     Outbound());
    CHECK_FALSE(Fired(ev.decisions[0], "kw"));
    CHECK(ev.truncated);
    CHECK(ev.bytes_scanned == 64);
    REQUIRE(ev.notes.size() == 1);
    CHECK(ev.notes[0].find("scan cap of 64 bytes reached") == 0);
  }
  SECTION("MIME truncation is passed on") {
    MessageText text = Text({{Scope::kBody, "x"}});
    text.truncated = true;
    Evaluation ev = MustEvaluate(*rules, text, Outbound());
    CHECK(ev.truncated);
    REQUIRE(ev.notes.size() == 1);
    CHECK(ev.notes[0].find("MIME scan cap") != std::string::npos);
  }
}

TEST_CASE("near misses are bounded by max_matches_per_rule") {
  EngineOptions options;
  options.max_matches_per_rule = 10;
  auto rules = MustCompile(R"(
[[rule]]
id = "card"
description = "d"
scopes = "body"
patterns = '\b4\d{15}\b'
validator = "luhn"
action = "encrypt"
)",
                           options);
  std::string body;
  for (int i = 0; i < 50; ++i) body += "4111111111111112 ";  // bad Luhn
  body += "4111111111111111";                                // good, too late
  Evaluation ev =
      MustEvaluate(*rules, Text({{Scope::kBody, body}}), Outbound());
  CHECK_FALSE(Fired(ev.decisions[0], "card"));
  CHECK(WhyNotOf(ev.decisions[0], "card").find("stopped after 10 matches") !=
        std::string::npos);
}

TEST_CASE("text with NUL bytes and invalid UTF-8 is scanned") {
  auto rules = MustCompile(kSsnRule);
  const char kBody[] = "078-05-1120\0 123-45-6789 \xff\xfe 219-09-9999";
  std::string body(kBody, sizeof kBody - 1);
  REQUIRE(body.find('\0') == 11);
  Evaluation ev =
      MustEvaluate(*rules, Text({{Scope::kBody, body}}), Outbound());
  CHECK(Fired(ev.decisions[0], "ssn"));
}

TEST_CASE("RE2::Set errors are 'cannot decide', never 'no match'") {
  using re2::RE2;
  struct Row {
    bool matched;
    RE2::Set::ErrorKind kind;
    bool ok;
    const char* message;
  };
  const std::vector<Row> rows = {
      {true, RE2::Set::kNoError, true, ""},
      {false, RE2::Set::kNoError, true, ""},
      {false, RE2::Set::kOutOfMemory, false,
       "cannot decide: the RE2::Set of scope 'body' ran out of DFA memory "
       "(budget 1024 bytes)"},
      {false, RE2::Set::kNotCompiled, false,
       "cannot decide: the RE2::Set of scope 'body' is not compiled"},
      {false, RE2::Set::kInconsistent, false,
       "cannot decide: the RE2::Set of scope 'body' returned an inconsistent "
       "result"},
  };
  for (const Row& row : rows) {
    Status s = InterpretSetMatch(row.matched, row.kind, Scope::kBody, 1024);
    CHECK(s.ok() == row.ok);
    CHECK(s.message() == row.message);
  }
  CHECK(InterpretSetMatch(false, RE2::Set::kOutOfMemory, Scope::kBody, 1)
            .code() == StatusCode::kResourceExhausted);
}

TEST_CASE("a DFA out-of-memory while scanning makes Evaluate fail") {
  Result<RuleList> list = ParseRuleSources({{"t.toml", kSsnRule}});
  REQUIRE(list.ok());
  EngineOptions options;
  options.dfa_memory_budget = 1 << 20;
  auto compiled = CompileRules(std::move(*list), options,
                               testing::OutOfMemoryIn(Scope::kAttachmentText));
  REQUIRE(compiled.ok());
  // The body alone is fine; text in the failing scope is not, even when the
  // body already decided the message would be encrypted.
  MessageText text =
      Text({{Scope::kBody, "078-05-1120 123-45-6789 219-09-9999"}});
  CHECK(Evaluate(**compiled, text, Outbound()).ok());
  text.at(Scope::kAttachmentText)
      .push_back(TextItem{std::string(1 << 20, 'x'), "part 2 text/csv"});
  Result<Evaluation> ev = Evaluate(**compiled, text, Outbound());
  REQUIRE_FALSE(ev.ok());
  CHECK(ev.status().code() == StatusCode::kResourceExhausted);
  CHECK(ev.status().message() ==
        "cannot decide: the RE2::Set of scope 'attachment_text' ran out of "
        "DFA memory (budget 1048576 bytes) (scanning attachment_text item "
        "'part 2 text/csv')");
}

TEST_CASE("a DFA budget too small for the patterns fails at compile time") {
  // RE2::Set::Compile test-runs the DFA; with too little memory for it the
  // rules do not load, instead of every message tempfailing later.
  std::string text = R"(
[[rule]]
id = "many"
description = "d"
scopes = "body"
patterns = [)";
  for (int i = 0; i < 60; ++i) {
    text += "'\\x" + std::string(1, "0123456789abcdef"[(i / 16) % 8]) +
            std::string(1, "0123456789abcdef"[i % 16]) + "[0-9]{2}z" +
            std::to_string(i) + "', ";
  }
  text += "'end']\naction = \"encrypt\"\n";
  Result<RuleList> list = ParseRuleSources({{"t.toml", text}});
  INFO((list.ok() ? "" : list.status().message()));
  REQUIRE(list.ok());
  EngineOptions options;
  options.dfa_memory_budget = 16 << 10;
  auto compiled = CompileRules(std::move(*list), options);
  REQUIRE_FALSE(compiled.ok());
  CHECK(compiled.status().code() == StatusCode::kResourceExhausted);
  CHECK(compiled.status().message() ==
        "the 61 patterns of scope 'body' do not fit in the regular "
        "expression memory budget of 16384 bytes (RE2::Set program and DFA); "
        "raise the budget or use fewer or simpler patterns");
  options.dfa_memory_budget = 0;
  list = ParseRuleSources({{"t.toml", text}});
  REQUIRE(list.ok());
  CHECK(CompileRules(std::move(*list), options).status().message() ==
        "dfa_memory_budget must be positive");
}

TEST_CASE("a pathological pattern under a small budget is slow, not wrong") {
  // The DFA of [a-q][^u-z]{13}x has thousands of states; with a small cache
  // RE2 keeps flushing it. The match must still be found.
  EngineOptions options;
  options.dfa_memory_budget = 64 << 10;
  auto rules = MustCompile(R"(
[[rule]]
id = "blowup"
description = "d"
scopes = "body"
patterns = '[a-q][^u-z]{13}x'
action = "encrypt"
)",
                           options);
  std::mt19937 random(42);
  std::string body;
  body.reserve(1 << 20);
  while (body.size() < (1 << 20)) {
    body.push_back(static_cast<char>('a' + random() % 23));  // no x..z
  }
  auto start = std::chrono::steady_clock::now();
  Evaluation ev =
      MustEvaluate(*rules, Text({{Scope::kBody, body}}), Outbound());
  CHECK_FALSE(Fired(ev.decisions[0], "blowup"));
  body += "aaaaaaaaaaaaaax";
  ev = MustEvaluate(*rules, Text({{Scope::kBody, body}}), Outbound());
  CHECK(Fired(ev.decisions[0], "blowup"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("one CompiledRules serves many threads") {
  auto rules = testing::MustLoadShipped();
  const MessageText text =
      Text({{Scope::kSubject, "[secure] numbers"},
            {Scope::kBody,
             "card 4111 1111 1111 1111, ssn 078-05-1120, iban DE89 3704 0044 "
             "0532 0130 00"}});
  const EnvelopeContext env = Outbound();
  Evaluation reference = MustEvaluate(*rules, text, env);
  REQUIRE(reference.decisions[0].action == FinalAction::kEncrypt);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        Result<Evaluation> ev = Evaluate(*rules, text, env);
        if (!ev.ok() ||
            ev->decisions[0].fired.size() !=
                reference.decisions[0].fired.size() ||
            ev->decisions[0].action != reference.decisions[0].action) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(mismatches == 0);
}

}  // namespace
}  // namespace seal::rules
