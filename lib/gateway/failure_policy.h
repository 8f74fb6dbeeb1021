// What to do with mail that must be encrypted and cannot be: the failure
// policy (gateway.on_failure, per rule profile gateway.on_failure_profiles,
// and for mail over gateway.max_encrypt_size gateway.oversize).
//   tempfail    451 4.7.0: the sending MTA keeps the message and retries
//               (right when the cause may pass: the store or the
//               reinjection listener is down, no certificate yet);
//   reject      a 5xx naming the cause, so the sender gets a bounce;
//   quarantine  held intact (gateway.quarantine) for an administrator.
// When the recipients that must be encrypted come from rules of several
// profiles, the strongest action wins: quarantine, then reject, then
// tempfail. Every action keeps the message from leaving in clear text.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_GATEWAY_FAILURE_POLICY_H_
#define SEALMILTER_LIB_GATEWAY_FAILURE_POLICY_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"

namespace seal::gateway {

enum class FailureAction { kTempfail, kReject, kQuarantine };

// "tempfail", "reject", "quarantine".
std::string_view FailureActionName(FailureAction action);
Result<FailureAction> ParseFailureAction(std::string_view name);

// gateway.on_failure_profiles: "PROFILE=ACTION" items. kInvalidArgument
// naming the item for a malformed one, an unknown action or a profile
// given twice.
Result<std::map<std::string, FailureAction>> ParseProfileFailures(
    const std::vector<std::string>& items);

enum class FailureCause {
  kGeneral,   // no certificate and no envelope possible, encryption error
  kOversize,  // over gateway.max_encrypt_size
};

struct FailurePolicy {
  FailureAction fallback = FailureAction::kTempfail;  // gateway.on_failure
  std::map<std::string, FailureAction> by_profile;
  // gateway.oversize; unset: as for any other failure.
  std::optional<FailureAction> oversize;
};

// The action for a failure of `cause` for must-encrypt recipients whose
// decisions carry `profiles`.
FailureAction ChooseFailureAction(const FailurePolicy& policy,
                                  const std::set<std::string>& profiles,
                                  FailureCause cause);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_FAILURE_POLICY_H_
