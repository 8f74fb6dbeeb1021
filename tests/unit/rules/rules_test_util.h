// Helpers shared by the rule engine tests: compile rule text, build a
// MessageText by hand (the MIME adapter is not involved), and an envelope.
#ifndef SEALMILTER_TESTS_UNIT_RULES_RULES_TEST_UTIL_H_
#define SEALMILTER_TESTS_UNIT_RULES_RULES_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/message_text.h"
#include "lib/rules/compiled_rules.h"
#include "lib/rules/evaluate.h"
#include "lib/rules/rule_files.h"
#include "lib/rules/rule_loader.h"

namespace seal::rules::testing {

inline std::string ShippedRulesDir() {
  return std::string(SEAL_SOURCE_ROOT) + "/rules";
}

inline std::shared_ptr<const CompiledRules> MustCompile(
    const std::string& toml, const EngineOptions& options = EngineOptions()) {
  Result<RuleList> list = ParseRuleSources({RuleSource{"test.toml", toml}});
  INFO((list.ok() ? "" : list.status().message()));
  REQUIRE(list.ok());
  Result<std::shared_ptr<const CompiledRules>> compiled =
      CompileRules(std::move(*list), options);
  INFO((compiled.ok() ? "" : compiled.status().message()));
  REQUIRE(compiled.ok());
  return *compiled;
}

inline std::shared_ptr<const CompiledRules> MustLoadShipped() {
  Result<RuleList> list = LoadRulePaths({ShippedRulesDir()});
  INFO((list.ok() ? "" : list.status().message()));
  REQUIRE(list.ok());
  Result<std::shared_ptr<const CompiledRules>> compiled =
      CompileRules(std::move(*list));
  INFO((compiled.ok() ? "" : compiled.status().message()));
  REQUIRE(compiled.ok());
  return *compiled;
}

// Parses and returns the error message ("" when it parsed).
inline std::string ParseErrorOf(const std::string& toml,
                                const RuleLimits& limits = RuleLimits()) {
  Result<RuleList> list =
      ParseRuleSources({RuleSource{"t.toml", toml}}, limits);
  return list.ok() ? "" : list.status().message();
}

struct Item {
  Scope scope;
  std::string text;
  std::string origin = "test";
};

inline MessageText Text(const std::vector<Item>& items) {
  MessageText text;
  for (const Item& item : items) {
    text.at(item.scope).push_back(TextItem{item.text, item.origin});
    text.bytes += item.text.size();
  }
  return text;
}

// An authenticated internal sender writing out.
inline EnvelopeContext Outbound(std::vector<std::string> recipients = {
                                    "bob@partner.example"}) {
  EnvelopeContext env;
  env.direction = Direction::kOutbound;
  env.sender = "alice@corp.example";
  env.authenticated = true;
  env.sender_internal = true;
  env.recipients = std::move(recipients);
  return env;
}

inline Evaluation MustEvaluate(const CompiledRules& rules,
                               const MessageText& text,
                               const EnvelopeContext& env) {
  Result<Evaluation> ev = Evaluate(rules, text, env);
  INFO((ev.ok() ? "" : ev.status().message()));
  REQUIRE(ev.ok());
  return std::move(*ev);
}

inline bool Fired(const Decision& d, const std::string& id) {
  for (const RuleHit& hit : d.fired) {
    if (hit.rule_id == id) return true;
  }
  return false;
}

inline const RuleHit* FindHit(const Decision& d, const std::string& id) {
  for (const RuleHit& hit : d.fired) {
    if (hit.rule_id == id) return &hit;
  }
  return nullptr;
}

inline std::string WhyNotOf(const Decision& d, const std::string& id) {
  for (const WhyNot& w : d.why_not) {
    if (w.rule_id == id) return w.reason;
  }
  return "";
}

inline std::string AllNotes(const Decision& d) {
  std::string out;
  for (const std::string& n : d.notes) out += n + "\n";
  return out;
}

}  // namespace seal::rules::testing

#endif  // SEALMILTER_TESTS_UNIT_RULES_RULES_TEST_UTIL_H_
