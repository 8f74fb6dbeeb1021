// The RE2 options every rule pattern is compiled with, in one place: the
// loader's check of a single pattern and the engine's per-scope RE2::Set must
// agree on syntax and semantics, or a pattern could match in one and not in
// the other. Only the memory budget differs between the two uses.
// Thread-safety: pure function.
#ifndef SEALMILTER_LIB_RULES_REGEX_OPTIONS_H_
#define SEALMILTER_LIB_RULES_REGEX_OPTIONS_H_

#include <re2/re2.h>

#include <cstdint>

namespace seal::rules {

// UTF-8, case-sensitive (patterns use (?i) to ignore case), leftmost-first,
// '.' does not match newline, no logging to stderr (errors are returned).
inline re2::RE2::Options PatternOptions(int64_t max_mem) {
  re2::RE2::Options options;
  options.set_encoding(re2::RE2::Options::EncodingUTF8);
  options.set_log_errors(false);
  options.set_max_mem(max_mem);
  return options;
}

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_REGEX_OPTIONS_H_
