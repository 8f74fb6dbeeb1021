// ShippedRuleSources: the embedded rule files as loader input.
#include "lib/rules/shipped_rules.h"

#include <string>

namespace seal::rules {

std::vector<RuleSource> ShippedRuleSources() {
  std::vector<RuleSource> sources;
  for (const EmbeddedFile& f : ShippedRuleFiles()) {
    sources.push_back(
        RuleSource{"(built-in)/" + std::string(f.path), std::string(f.data)});
  }
  return sources;
}

}  // namespace seal::rules
