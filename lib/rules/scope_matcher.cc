// RE2::Set per scope and the interpretation of its errors (see
// lib/rules/scope_matcher.h).
#include "lib/rules/scope_matcher.h"

#include "lib/rules/regex_options.h"

namespace seal::rules {
namespace {

class SetMatcher final : public ScopeMatcher {
 public:
  SetMatcher(Scope scope, int64_t budget)
      : scope_(scope),
        budget_(budget),
        set_(PatternOptions(budget), re2::RE2::UNANCHORED) {}

  re2::RE2::Set& set() { return set_; }

  Status Match(std::string_view text, std::vector<int>& hits) const override {
    re2::RE2::Set::ErrorInfo info{re2::RE2::Set::kNoError};
    bool matched =
        set_.Match(re2::StringPiece(text.data(), text.size()), &hits, &info);
    if (!matched) hits.clear();
    return InterpretSetMatch(matched, info.kind, scope_, budget_);
  }

 private:
  Scope scope_;
  int64_t budget_;
  re2::RE2::Set set_;
};

}  // namespace

Result<std::unique_ptr<ScopeMatcher>> MakeSetMatcher(
    Scope scope, const std::vector<std::string>& patterns,
    int64_t memory_budget) {
  auto matcher = std::make_unique<SetMatcher>(scope, memory_budget);
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::string error;
    int index = matcher->set().Add(
        re2::StringPiece(patterns[i].data(), patterns[i].size()), &error);
    if (index < 0 || static_cast<size_t>(index) != i) {
      return InternalError("scope " + std::string(ScopeName(scope)) +
                           ": RE2::Set refused a checked pattern: " + error);
    }
  }
  if (!matcher->set().Compile()) {
    return ResourceExhaustedError(
        "the " + std::to_string(patterns.size()) + " patterns of scope '" +
        std::string(ScopeName(scope)) +
        "' do not fit in the regular expression memory budget of " +
        std::to_string(memory_budget) +
        " bytes (RE2::Set program and DFA); raise the budget or use fewer "
        "or simpler patterns");
  }
  return std::unique_ptr<ScopeMatcher>(std::move(matcher));
}

Status InterpretSetMatch(bool matched, re2::RE2::Set::ErrorKind kind,
                         Scope scope, int64_t memory_budget) {
  if (matched || kind == re2::RE2::Set::kNoError) return Status::Ok();
  std::string where = "scope '" + std::string(ScopeName(scope)) + "'";
  switch (kind) {
    case re2::RE2::Set::kOutOfMemory:
      return ResourceExhaustedError("cannot decide: the RE2::Set of " + where +
                                    " ran out of DFA memory (budget " +
                                    std::to_string(memory_budget) + " bytes)");
    case re2::RE2::Set::kNotCompiled:
      return InternalError("cannot decide: the RE2::Set of " + where +
                           " is not compiled");
    case re2::RE2::Set::kInconsistent:
      return InternalError("cannot decide: the RE2::Set of " + where +
                           " returned an inconsistent result");
    default:
      return InternalError("cannot decide: the RE2::Set of " + where +
                           " failed with error kind " +
                           std::to_string(static_cast<int>(kind)));
  }
}

}  // namespace seal::rules
