// Precedence: how the actions of the rules that fired for one recipient
// combine into one treatment. Deterministic: the result depends only on the
// set of fired rules, their load order and the sender's trust, never on
// match order. sealmilter.rules(5) documents the same table.
//
//   1. reject      beats everything.
//   2. quarantine  beats the rest (the encryption fields still say how the
//                  message would be treated if released).
//   3. encrypt     (must) beats encrypt-if-possible; no opt-out downgrades
//                  it, whether it fired on content, subject tag or domain.
//   4. encrypt-if-possible, unless an honoured no-encrypt/plain cancels it.
//   5. sign        is independent of encryption (sign + encrypt = signed
//                  and encrypted) unless an honoured no-sign/plain cancels it.
//   Opt-outs (no-encrypt, plain, no-sign) are honoured only when the sender
//   is authenticated (SMTP AUTH) AND internal; otherwise they are ignored.
//   Profile: the first rule (load order) at the winning encryption level.
//
// Every ignored opt-out, every override and every profile conflict adds a
// note for the log and for `sealctl rules test`.
// Thread-safety: pure function.
#ifndef SEALMILTER_LIB_RULES_PRECEDENCE_H_
#define SEALMILTER_LIB_RULES_PRECEDENCE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/rules/rule.h"

namespace seal::rules {

// The summary treatment of one recipient, strongest last.
enum class FinalAction : uint8_t {
  kNone,               // deliver unchanged
  kSign,               // deliver signed
  kEncryptIfPossible,  // encrypt if the recipient's certificate is known
  kEncrypt,            // encrypt (S/MIME, else secure envelope)
  kQuarantine,         // hold
  kReject,             // refuse
};
std::string_view FinalActionName(FinalAction action);

struct FiredAction {
  std::string_view rule_id;
  Action action;
  std::string_view profile;  // encrypt / encrypt-if-possible only
};

struct Outcome {
  FinalAction action = FinalAction::kNone;
  bool sign = false;                 // also sign (with any encryption)
  std::string profile;               // set when encryption applies
  bool no_encrypt_honoured = false;  // an opt-out was honoured; the caller
  bool no_sign_honoured = false;     // must not add encryption/signing from
                                     // other defaults either
  std::vector<std::string> notes;
};

// `fired` in load order.
Outcome Combine(std::span<const FiredAction> fired, bool authenticated,
                bool sender_internal);

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_PRECEDENCE_H_
