// Reading rule files from the file system: the shipped directory, then the
// local one, each directory's *.toml files in byte-wise lexical order of
// their names ("10-tags.toml" before "20-pii.toml"); names starting with a
// dot, other files and subdirectories are ignored. The texts then go to
// ParseRuleSources (lib/rules/rule_loader.h).
// Known limit: a file is read whole; RuleLimits caps each file and the total.
// Thread-safety: reentrant.
#ifndef SEALMILTER_LIB_RULES_RULE_FILES_H_
#define SEALMILTER_LIB_RULES_RULE_FILES_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/rules/rule_loader.h"
#include "lib/status.h"

namespace seal::rules {

// Where rules live by default, in load order.
inline constexpr std::string_view kShippedRulesDir =
    "/usr/share/sealmilter/rules";
inline constexpr std::string_view kLocalRulesDir = "/etc/sealmilter/rules.d";

// Reads rule files and directories in the order given and parses them. A
// path that does not exist is skipped and noted in RuleList::notes (an
// absent /etc/sealmilter/rules.d is normal); any other failure to read is an
// error.
// `first` are sources already in memory (the rules built into the binary,
// lib/rules/shipped_rules.h) parsed before the files; they count towards
// the limits like files.
Result<RuleList> LoadRulePaths(const std::vector<std::string>& paths,
                               const RuleLimits& limits = RuleLimits(),
                               std::vector<RuleSource> first = {});

// The *.toml regular files of `directory`, sorted, as full paths.
Result<std::vector<std::string>> ListRuleFiles(const std::string& directory);

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_RULE_FILES_H_
