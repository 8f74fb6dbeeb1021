// rules.on_truncated (lib/rules/truncated_policy.h): what each value does
// to the decisions of a truncated evaluation, that it leaves complete
// scans, inbound and internal mail alone, that it combines with the rules
// that fired by the usual precedence, and that no rule file can take its id.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lib/rules/truncated_policy.h"
#include "tests/unit/rules/rules_test_util.h"

namespace seal::rules {
namespace {

using testing::AllNotes;
using testing::Fired;
using testing::MustCompile;
using testing::MustEvaluate;
using testing::Outbound;
using testing::ParseErrorOf;
using testing::Text;

const char kRules[] = R"(
[[rule]]
id = "ssn"
description = "SSN"
scopes = "body"
patterns = '\b\d{3}-\d{2}-\d{4}\b'
validator = "us_ssn"
action = "encrypt"
profile = "strict"

[[rule]]
id = "noenc"
description = "opt-out"
scopes = "subject"
patterns = '\[noenc\]'
action = "no-encrypt"

[[rule]]
id = "banned"
description = "refused"
scopes = "body"
patterns = 'forbidden-word'
action = "reject"
)";

// The evaluation of `subject` and `body`, as if the MIME adapter had cut
// some text when `cut`.
Evaluation Evaluated(const std::string& body, bool cut,
                     const EnvelopeContext& env,
                     const std::string& subject = "hello") {
  auto rules = MustCompile(kRules);
  MessageText text = Text({{Scope::kSubject, subject}, {Scope::kBody, body}});
  text.truncated = cut;
  return MustEvaluate(*rules, text, env);
}

EnvelopeContext TwoRecipients() {
  return Outbound({"bob@partner.example", "carol@other.example"});
}

TEST_CASE("on_truncated: each value on a cut outbound message") {
  struct Row {
    OnTruncated policy;
    FinalAction expected;
    std::string profile;
  };
  const std::vector<Row> rows = {
      {OnTruncated::kClassify, FinalAction::kNone, ""},
      {OnTruncated::kEncrypt, FinalAction::kEncrypt, "default"},
      {OnTruncated::kQuarantine, FinalAction::kQuarantine, ""},
      {OnTruncated::kReject, FinalAction::kReject, ""},
  };
  for (const Row& row : rows) {
    INFO("on_truncated = " << OnTruncatedName(row.policy));
    Evaluation ev = Evaluated("nothing to see", true, TwoRecipients());
    const bool changed = ApplyOnTruncated(row.policy, TwoRecipients(), ev);
    CHECK(changed == (row.policy != OnTruncated::kClassify));
    REQUIRE(ev.decisions.size() == 2);
    for (const Decision& d : ev.decisions) {
      CHECK(d.action == row.expected);
      CHECK(Fired(d, std::string(kOnTruncatedRuleId)) == changed);
      if (row.expected == FinalAction::kEncrypt) CHECK(d.profile == "default");
    }
    bool noted = false;
    for (const std::string& n : ev.notes) {
      noted = noted || n.find("rules.on_truncated = ") != std::string::npos;
    }
    CHECK(noted == changed);
  }
}

TEST_CASE("on_truncated leaves complete scans, inbound and internal alone") {
  for (OnTruncated p : {OnTruncated::kEncrypt, OnTruncated::kQuarantine,
                        OnTruncated::kReject}) {
    INFO("on_truncated = " << OnTruncatedName(p));
    {
      Evaluation ev = Evaluated("nothing", false, TwoRecipients());
      CHECK_FALSE(ApplyOnTruncated(p, TwoRecipients(), ev));
      CHECK(ev.decisions[0].action == FinalAction::kNone);
    }
    for (Direction dir : {Direction::kInbound, Direction::kInternal}) {
      EnvelopeContext env = TwoRecipients();
      env.direction = dir;
      Evaluation ev = Evaluated("nothing", true, env);
      CHECK_FALSE(ApplyOnTruncated(p, env, ev));
      CHECK(ev.decisions[0].action == FinalAction::kNone);
      CHECK_FALSE(Fired(ev.decisions[0], std::string(kOnTruncatedRuleId)));
    }
  }
}

TEST_CASE("on_truncated combines with the rules that fired") {
  SECTION("a must-encrypt rule keeps its profile") {
    Evaluation ev = Evaluated("ssn 078-05-1120", true, TwoRecipients());
    REQUIRE(ev.decisions[0].action == FinalAction::kEncrypt);
    ApplyOnTruncated(OnTruncated::kEncrypt, TwoRecipients(), ev);
    CHECK(ev.decisions[0].action == FinalAction::kEncrypt);
    CHECK(ev.decisions[0].profile == "strict");  // first in load order
  }
  SECTION("an honoured opt-out does not cancel it") {
    Evaluation ev =
        Evaluated("nothing", true, TwoRecipients(), "[noenc] report");
    REQUIRE(ev.decisions[0].no_encrypt_honoured);
    ApplyOnTruncated(OnTruncated::kEncrypt, TwoRecipients(), ev);
    const Decision& d = ev.decisions[0];
    CHECK(d.action == FinalAction::kEncrypt);
    CHECK_FALSE(d.no_encrypt_honoured);
    CHECK(AllNotes(d).find("does not override must-encrypt") !=
          std::string::npos);
  }
  SECTION("a rule that rejects still rejects") {
    Evaluation ev = Evaluated("a forbidden-word here", true, TwoRecipients());
    REQUIRE(ev.decisions[0].action == FinalAction::kReject);
    ApplyOnTruncated(OnTruncated::kQuarantine, TwoRecipients(), ev);
    CHECK(ev.decisions[0].action == FinalAction::kReject);
  }
}

TEST_CASE("on_truncated values parse and print") {
  for (const char* name : {"classify", "encrypt", "quarantine", "reject"}) {
    OnTruncated v = OnTruncated::kClassify;
    REQUIRE(ParseOnTruncated(name, v));
    CHECK(OnTruncatedName(v) == name);
  }
  OnTruncated v = OnTruncated::kReject;
  CHECK_FALSE(ParseOnTruncated("", v));
  CHECK_FALSE(ParseOnTruncated("Encrypt", v));
  CHECK_FALSE(ParseOnTruncated("deliver", v));
  CHECK(v == OnTruncated::kReject);  // unchanged on failure
}

TEST_CASE("no rule file can take the id rules.on_truncated") {
  const std::string error = ParseErrorOf(R"(
[[rule]]
id = "rules.on_truncated"
description = "impostor"
scopes = "body"
patterns = 'x'
action = "plain"
)");
  CHECK(error.find("is reserved") != std::string::npos);
}

}  // namespace
}  // namespace seal::rules
