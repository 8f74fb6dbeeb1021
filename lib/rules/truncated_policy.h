// What rules.on_truncated does to the evaluation of a message whose text
// was not all classified (Evaluation::truncated: the scan cap, a part's
// decode cap, a header field cut at its limit). The default, `classify`,
// treats the message by what was found; the others add, for outbound mail,
// a fired action named "rules.on_truncated" to every recipient's decision
// and combine again by the usual precedence (lib/rules/precedence.h), so
// `encrypt` is a must-encrypt no opt-out overrides, `quarantine` holds the
// message, `reject` refuses it. Inbound and internal mail are left alone:
// the concern is text nobody read leaving the organisation.
// Stateless, thread-compatible.
#ifndef SEALMILTER_LIB_RULES_TRUNCATED_POLICY_H_
#define SEALMILTER_LIB_RULES_TRUNCATED_POLICY_H_

#include <string_view>

#include "lib/rules/conditions.h"
#include "lib/rules/evaluate.h"

namespace seal::rules {

enum class OnTruncated : uint8_t { kClassify, kEncrypt, kQuarantine, kReject };

// The added action carries the rule id kOnTruncatedRuleId (rule.h), in
// the log's rules= and in `sealctl rules test`.

// "classify", "encrypt", "quarantine", "reject" (the config key's values).
bool ParseOnTruncated(std::string_view name, OnTruncated& out);
std::string_view OnTruncatedName(OnTruncated value);

// Applies `policy` to `ev` when ev.truncated and the message is outbound;
// returns whether it changed anything (then a message-level note says so).
bool ApplyOnTruncated(OnTruncated policy, const EnvelopeContext& envelope,
                      Evaluation& ev);

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_TRUNCATED_POLICY_H_
