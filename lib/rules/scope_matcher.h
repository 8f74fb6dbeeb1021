// ScopeMatcher: the one multi-pattern pass over a text of one scope. In
// production it is an RE2::Set (anchor UNANCHORED) holding every enabled
// pattern that runs on the scope; Match reports which patterns occur
// somewhere in the text, and the engine re-runs only those patterns' own
// RE2 to find, validate and count the matches.
//
// RE2::Set::Match returns false both for "no match" and for "could not
// search" (DFA out of memory, not compiled, inconsistent result).
// InterpretSetMatch tells them apart: any error is a non-OK Status whose
// message starts with "cannot decide", and the caller must tempfail the
// message, never treat it as "no match".
//
// Known limits (RE2 2022-06-01, Debian 12): RE2::Set::Compile already test-
// runs the DFA and fails when the memory budget cannot hold it, so a budget
// that is too small is reported when rules are compiled. After a successful
// compile the many-match DFA does not give up when its cache fills: it
// flushes the cache and continues, i.e. a pathological pattern makes the
// scan slower, not wrong; the per-message byte cap bounds the time.
// The interface exists so tests can reach the error paths that this RE2
// version cannot be made to produce on demand.
//
// Thread-safety: Match is const and may be called from many threads at once
// (RE2::Set shares its DFA cache under its own lock).
#ifndef SEALMILTER_LIB_RULES_SCOPE_MATCHER_H_
#define SEALMILTER_LIB_RULES_SCOPE_MATCHER_H_

#include <re2/re2.h>
#include <re2/set.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/message_text.h"
#include "lib/status.h"

namespace seal::rules {

class ScopeMatcher {
 public:
  virtual ~ScopeMatcher() = default;
  // Replaces `hits` with the indices (order of the patterns given when the
  // matcher was built) of the patterns that match somewhere in `text`.
  // Non-OK means "cannot decide".
  virtual Status Match(std::string_view text, std::vector<int>& hits) const = 0;
};

// Builds the matcher for one scope from its patterns (already checked by the
// loader). `memory_budget` is RE2's max_mem for the whole set: it bounds the
// compiled program and the DFA cache together.
using MatcherFactory = std::function<Result<std::unique_ptr<ScopeMatcher>>(
    Scope scope, const std::vector<std::string>& patterns,
    int64_t memory_budget)>;

// The production factory: an RE2::Set per scope.
Result<std::unique_ptr<ScopeMatcher>> MakeSetMatcher(
    Scope scope, const std::vector<std::string>& patterns,
    int64_t memory_budget);

// Maps the result of RE2::Set::Match to OK (matched or not) or to a
// "cannot decide" error naming the scope and the budget.
Status InterpretSetMatch(bool matched, re2::RE2::Set::ErrorKind kind,
                         Scope scope, int64_t memory_budget);

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_SCOPE_MATCHER_H_
