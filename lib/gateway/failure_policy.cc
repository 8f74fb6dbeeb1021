// The failure policy for mail that cannot be encrypted (failure_policy.h).
#include "lib/gateway/failure_policy.h"

#include <algorithm>

namespace seal::gateway {

std::string_view FailureActionName(FailureAction action) {
  switch (action) {
    case FailureAction::kTempfail:
      return "tempfail";
    case FailureAction::kReject:
      return "reject";
    case FailureAction::kQuarantine:
      return "quarantine";
  }
  return "tempfail";
}

Result<FailureAction> ParseFailureAction(std::string_view name) {
  if (name == "tempfail") return FailureAction::kTempfail;
  if (name == "reject") return FailureAction::kReject;
  if (name == "quarantine") return FailureAction::kQuarantine;
  return InvalidArgumentError("unknown failure action '" + std::string(name) +
                              "'; allowed: tempfail, reject, quarantine");
}

Result<std::map<std::string, FailureAction>> ParseProfileFailures(
    const std::vector<std::string>& items) {
  std::map<std::string, FailureAction> out;
  for (const std::string& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return InvalidArgumentError("'" + item + "' is not PROFILE=ACTION");
    }
    std::string profile = item.substr(0, eq);
    Result<FailureAction> action = ParseFailureAction(item.substr(eq + 1));
    if (!action.ok()) return action.status().WithContext("'" + item + "'");
    if (!out.emplace(profile, *action).second) {
      return InvalidArgumentError("profile '" + profile + "' is given twice");
    }
  }
  return out;
}

FailureAction ChooseFailureAction(const FailurePolicy& policy,
                                  const std::set<std::string>& profiles,
                                  FailureCause cause) {
  if (cause == FailureCause::kOversize && policy.oversize) {
    return *policy.oversize;
  }
  // The enum's order is the strength: quarantine > reject > tempfail.
  std::optional<FailureAction> chosen;
  bool any_default = profiles.empty();
  for (const std::string& p : profiles) {
    auto it = policy.by_profile.find(p);
    if (it == policy.by_profile.end()) {
      any_default = true;
      continue;
    }
    chosen = chosen ? std::max(*chosen, it->second) : it->second;
  }
  if (any_default) {
    chosen = chosen ? std::max(*chosen, policy.fallback) : policy.fallback;
  }
  return *chosen;
}

}  // namespace seal::gateway
