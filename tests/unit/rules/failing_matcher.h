// Test helper: a MatcherFactory whose matcher for one scope fails as RE2
// does when its DFA runs out of memory. RE2 2022-06-01 cannot be driven
// into that state after a successful Compile (see lib/rules/scope_matcher.h),
// so the failure is injected at the one place RE2 would produce it. Used by
// the engine tests and by the gateway's "cannot decide" tests.
#ifndef SEALMILTER_TESTS_UNIT_RULES_FAILING_MATCHER_H_
#define SEALMILTER_TESTS_UNIT_RULES_FAILING_MATCHER_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/rules/scope_matcher.h"

namespace seal::rules::testing {

// A real RE2::Set whose Match then reports kOutOfMemory.
class OutOfMemoryMatcher final : public ScopeMatcher {
 public:
  OutOfMemoryMatcher(std::unique_ptr<ScopeMatcher> real, Scope scope,
                     int64_t budget)
      : real_(std::move(real)), scope_(scope), budget_(budget) {}
  Status Match(std::string_view text, std::vector<int>& hits) const override {
    SEAL_RETURN_IF_ERROR(real_->Match(text, hits));
    hits.clear();
    return InterpretSetMatch(false, re2::RE2::Set::kOutOfMemory, scope_,
                             budget_);
  }

 private:
  std::unique_ptr<ScopeMatcher> real_;
  Scope scope_;
  int64_t budget_;
};

// RE2::Set matchers, except that `failing`'s runs out of memory.
inline MatcherFactory OutOfMemoryIn(Scope failing) {
  return [failing](Scope scope, const std::vector<std::string>& patterns,
                   int64_t budget) -> Result<std::unique_ptr<ScopeMatcher>> {
    Result<std::unique_ptr<ScopeMatcher>> real =
        MakeSetMatcher(scope, patterns, budget);
    if (!real.ok()) return real.status();
    if (scope != failing) return std::move(*real);
    return std::unique_ptr<ScopeMatcher>(
        new OutOfMemoryMatcher(std::move(*real), scope, budget));
  };
}

}  // namespace seal::rules::testing

#endif  // SEALMILTER_TESTS_UNIT_RULES_FAILING_MATCHER_H_
