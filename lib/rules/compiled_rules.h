// CompiledRules: a loaded rule list made ready for matching: one ScopeMatcher
// (RE2::Set) per scope holding every enabled pattern that runs on that
// scope, the map from a Set index back to (rule, pattern), and the engine
// options. Built once per (re)load by CompileRules, then immutable and
// shared by all threads through a shared_ptr<const CompiledRules> (the
// daemon keeps it in its Snapshot).
//
// Known limits: the memory budget applies to each scope's Set separately,
// so the total is up to seven times the budget, plus each pattern's own RE2
// (RuleLimits::regex_max_mem) for the re-run of candidate rules.
// Thread-safety: immutable after CompileRules returns; all methods are const.
#ifndef SEALMILTER_LIB_RULES_COMPILED_RULES_H_
#define SEALMILTER_LIB_RULES_COMPILED_RULES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "lib/message_text.h"
#include "lib/rules/rule.h"
#include "lib/rules/rule_loader.h"
#include "lib/rules/scope_matcher.h"
#include "lib/status.h"

namespace seal::rules {

struct EngineOptions {
  // RE2 max_mem of each scope's RE2::Set: compiled program plus DFA cache.
  // Too small a budget fails CompileRules; RE2's default is 8 MiB.
  int64_t dfa_memory_budget = 8 << 20;
  // Text bytes scanned per message across all scopes (in scope order:
  // subject, headers, sender, recipients, body, attachment names, attachment
  // text). Text past the cap is not classified and the evaluation says so.
  uint64_t max_scan_bytes = 32 << 20;
  // Matches of one rule examined per message (validated or not) before the
  // engine stops looking for more; bounds work on text full of near misses.
  size_t max_matches_per_rule = 1000;
};

struct PatternRef {
  uint32_t rule;     // index into CompiledRules::rules()
  uint32_t pattern;  // index into Rule::patterns
};

class CompiledRules {
 public:
  const std::vector<Rule>& rules() const { return rules_; }
  const EngineOptions& options() const { return options_; }
  // Null when no enabled rule runs on `scope`.
  const ScopeMatcher* matcher(Scope scope) const {
    return scopes_[static_cast<size_t>(scope)].matcher.get();
  }
  // Set index -> (rule, pattern) for `scope`.
  const std::vector<PatternRef>& patterns(Scope scope) const {
    return scopes_[static_cast<size_t>(scope)].refs;
  }
  // Enabled rules without patterns (they fire on conditions alone).
  const std::vector<uint32_t>& condition_rules() const {
    return condition_rules_;
  }
  size_t enabled_count() const { return enabled_count_; }

 private:
  friend Result<std::shared_ptr<const CompiledRules>> CompileRules(
      RuleList list, const EngineOptions& options,
      const MatcherFactory& factory);

  struct ScopeIndex {
    std::unique_ptr<ScopeMatcher> matcher;
    std::vector<PatternRef> refs;
  };

  std::vector<Rule> rules_;  // load order, disabled rules included
  EngineOptions options_;
  std::array<ScopeIndex, kScopeCount> scopes_;
  std::vector<uint32_t> condition_rules_;
  size_t enabled_count_ = 0;
};

// Builds the matchers. `factory` defaults to MakeSetMatcher (tests pass
// their own). Errors name the scope and the budget.
Result<std::shared_ptr<const CompiledRules>> CompileRules(
    RuleList list, const EngineOptions& options = EngineOptions(),
    const MatcherFactory& factory = MatcherFactory());

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_COMPILED_RULES_H_
