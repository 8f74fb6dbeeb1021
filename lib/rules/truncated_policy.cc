// rules.on_truncated applied to an evaluation (see truncated_policy.h).
#include "lib/rules/truncated_policy.h"

#include <string>
#include <utility>

#include "lib/rules/rule.h"

namespace seal::rules {

bool ParseOnTruncated(std::string_view name, OnTruncated& out) {
  if (name == "classify") {
    out = OnTruncated::kClassify;
  } else if (name == "encrypt") {
    out = OnTruncated::kEncrypt;
  } else if (name == "quarantine") {
    out = OnTruncated::kQuarantine;
  } else if (name == "reject") {
    out = OnTruncated::kReject;
  } else {
    return false;
  }
  return true;
}

std::string_view OnTruncatedName(OnTruncated value) {
  switch (value) {
    case OnTruncated::kClassify:
      return "classify";
    case OnTruncated::kEncrypt:
      return "encrypt";
    case OnTruncated::kQuarantine:
      return "quarantine";
    case OnTruncated::kReject:
      return "reject";
  }
  return "classify";
}

bool ApplyOnTruncated(OnTruncated policy, const EnvelopeContext& envelope,
                      Evaluation& ev) {
  if (!ev.truncated || policy == OnTruncated::kClassify ||
      envelope.direction != Direction::kOutbound) {
    return false;
  }
  const Action action = policy == OnTruncated::kEncrypt ? Action::kEncrypt
                        : policy == OnTruncated::kQuarantine
                            ? Action::kQuarantine
                            : Action::kReject;
  for (Decision& d : ev.decisions) {
    RuleHit hit;
    hit.rule_id = std::string(kOnTruncatedRuleId);
    hit.action = action;
    if (action == Action::kEncrypt) hit.profile = std::string(kDefaultProfile);
    d.fired.push_back(std::move(hit));
    Recombine(d, envelope.authenticated, envelope.sender_internal);
  }
  ev.notes.push_back(
      "rules.on_truncated = " + std::string(OnTruncatedName(policy)) +
      ": not all of the text was classified, so the message is treated as "
      "if a rule asked to " +
      std::string(ActionName(action)) + " it");
  return true;
}

}  // namespace seal::rules
