// Compiling a rule list into per-scope matchers (see
// lib/rules/compiled_rules.h).
#include "lib/rules/compiled_rules.h"

#include <new>

namespace seal::rules {
namespace {

Status CheckOptions(const EngineOptions& options) {
  if (options.dfa_memory_budget <= 0) {
    return InvalidArgumentError("dfa_memory_budget must be positive");
  }
  if (options.max_scan_bytes == 0) {
    return InvalidArgumentError("max_scan_bytes must be positive");
  }
  if (options.max_matches_per_rule == 0) {
    return InvalidArgumentError("max_matches_per_rule must be positive");
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const CompiledRules>> CompileRules(
    RuleList list, const EngineOptions& options,
    const MatcherFactory& factory) try {
  SEAL_RETURN_IF_ERROR(CheckOptions(options));
  if (list.rules.size() > UINT32_MAX) {
    return ResourceExhaustedError("too many rules");
  }
  auto compiled = std::shared_ptr<CompiledRules>(new CompiledRules());
  compiled->rules_ = std::move(list.rules);
  compiled->options_ = options;

  std::array<std::vector<std::string>, kScopeCount> texts;
  const std::vector<Rule>& rules = compiled->rules_;
  for (uint32_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = rules[r];
    if (!rule.enabled) continue;
    ++compiled->enabled_count_;
    if (rule.patterns.empty()) {
      compiled->condition_rules_.push_back(r);
      continue;
    }
    for (size_t s = 0; s < kScopeCount; ++s) {
      if (!rule.HasScope(static_cast<Scope>(s))) continue;
      for (uint32_t p = 0; p < rule.patterns.size(); ++p) {
        texts[s].push_back(rule.patterns[p].text);
        compiled->scopes_[s].refs.push_back(PatternRef{r, p});
      }
    }
  }
  const MatcherFactory& make =
      factory ? factory : MatcherFactory(MakeSetMatcher);
  for (size_t s = 0; s < kScopeCount; ++s) {
    if (texts[s].empty()) continue;
    Result<std::unique_ptr<ScopeMatcher>> matcher =
        make(static_cast<Scope>(s), texts[s], options.dfa_memory_budget);
    if (!matcher.ok()) return matcher.status();
    compiled->scopes_[s].matcher = std::move(*matcher);
  }
  return std::shared_ptr<const CompiledRules>(std::move(compiled));
} catch (const std::bad_alloc&) {
  return ResourceExhaustedError("out of memory compiling rules");
} catch (const std::exception& e) {
  return InternalError(std::string("compiling rules: ") + e.what());
}

}  // namespace seal::rules
