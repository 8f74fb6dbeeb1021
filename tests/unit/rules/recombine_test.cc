// rules::RecombineIgnoring (lib/rules/evaluate.h): a decision recombined as
// if the ignored kind of action had not fired, which is how a quarantine
// released by an administrator falls back to the message's other rules.
#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/rules/rules_test_util.h"

namespace seal::rules {
namespace {

using testing::MustCompile;
using testing::MustEvaluate;
using testing::Outbound;
using testing::Text;

const char kRules[] = R"(
[[rule]]
id = "hold"
description = "held for review"
scopes = "body"
patterns = 'hold-me'
action = "quarantine"

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
)";

Decision Decided(const std::string& subject, const std::string& body,
                 const EnvelopeContext& env) {
  auto rules = MustCompile(kRules);
  Evaluation ev = MustEvaluate(
      *rules, Text({{Scope::kSubject, subject}, {Scope::kBody, body}}), env);
  REQUIRE(ev.decisions.size() == 1);
  return ev.decisions[0];
}

TEST_CASE("a released quarantine falls back to the other rules") {
  Decision d = Decided("hello", "hold-me 123-45-6789", Outbound());
  REQUIRE(d.action == FinalAction::kQuarantine);
  RecombineIgnoring(d, Action::kQuarantine, true, true);
  CHECK(d.action == FinalAction::kEncrypt);
  CHECK(d.profile == "strict");
  // The quarantine hit stays, for the log.
  REQUIRE(d.fired.size() == 2);
  CHECK(d.fired[0].rule_id == "hold");
}

TEST_CASE("a released quarantine with nothing else is left alone") {
  Decision d = Decided("hello", "hold-me", Outbound());
  REQUIRE(d.action == FinalAction::kQuarantine);
  RecombineIgnoring(d, Action::kQuarantine, true, true);
  CHECK(d.action == FinalAction::kNone);
  CHECK(d.fired.size() == 1);
}

TEST_CASE("an opt-out after a release is honoured only as Evaluate would") {
  SECTION("authenticated internal sender: honoured") {
    Decision d = Decided("[noenc] hi", "hold-me", Outbound());
    RecombineIgnoring(d, Action::kQuarantine, true, true);
    CHECK(d.action == FinalAction::kNone);
    CHECK(d.no_encrypt_honoured);
  }
  SECTION("never over a must-encrypt rule") {
    Decision d = Decided("[noenc] hi", "hold-me 123-45-6789", Outbound());
    RecombineIgnoring(d, Action::kQuarantine, true, true);
    CHECK(d.action == FinalAction::kEncrypt);
    CHECK_FALSE(d.no_encrypt_honoured);
  }
}

TEST_CASE("Recombine after RecombineIgnoring restores the full decision") {
  Decision d = Decided("hello", "hold-me 123-45-6789", Outbound());
  RecombineIgnoring(d, Action::kQuarantine, true, true);
  REQUIRE(d.action == FinalAction::kEncrypt);
  Recombine(d, true, true);
  CHECK(d.action == FinalAction::kQuarantine);
}

}  // namespace
}  // namespace seal::rules
