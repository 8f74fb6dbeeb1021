// Parsing rule files (TOML, sealmilter.rules(5)) into Rules, strictly:
// unknown keys, wrong types, bad regular expressions, duplicate ids and
// unknown scopes, validators, actions or directions are errors that start
// with "file:line:column: ". Hostile input is refused with a clear error:
// files over a size cap, NUL bytes, too many files, rules or patterns,
// patterns too long or compiling to too large a program, patterns that match
// the empty string.
//
// Sources are parsed in the order given (lib/rules/rule_files.h reads them
// from directories). Rule ids are unique across all sources. [[override]]
// tables change a rule of any source (enable or disable it, change
// min_count, action or profile) and are applied after all sources are read.
//
// toml++ exceptions are caught here and never leave this module.
// Thread-safety: reentrant; the RuleList returned is a plain value.
#ifndef SEALMILTER_LIB_RULES_RULE_LOADER_H_
#define SEALMILTER_LIB_RULES_RULE_LOADER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/rules/rule.h"
#include "lib/status.h"

namespace seal::rules {

// Caps on what the loader accepts. Defaults suit production; tests lower
// them.
struct RuleLimits {
  uint64_t max_file_bytes = 1 << 20;    // per rule file
  uint64_t max_total_bytes = 16 << 20;  // all files read by LoadRulePaths
  size_t max_files = 1000;              // files across all paths
  size_t max_rules = 10000;             // rules across all files
  size_t max_patterns_per_rule = 64;    //
  size_t max_pattern_bytes = 16 << 10;  // one pattern's source text
  int max_program_size = 32768;         // RE2::ProgramSize() of a pattern
  int64_t regex_max_mem = 4 << 20;      // RE2 max_mem of each pattern
  size_t max_list_items = 1000;         // domains, headers, scopes, ...
};

// Text of one rule file, for parsing without the file system.
struct RuleSource {
  std::string name;  // prefixes error positions, e.g. a path
  std::string text;
};

struct RuleList {
  std::vector<Rule> rules;         // load order; disabled rules included
  std::vector<std::string> files;  // names of the sources read, in order
  std::vector<std::string> notes;  // e.g. a missing directory was skipped
};

// Parses rule sources as if they were files read in this order.
Result<RuleList> ParseRuleSources(const std::vector<RuleSource>& sources,
                                  const RuleLimits& limits = RuleLimits());

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_RULE_LOADER_H_
