// Evaluate: classification of one message. Input: the compiled rules, the
// message's decoded text per scope (lib/message_text.h) and its envelope
// (lib/rules/conditions.h). Output: one Decision per envelope recipient.
//
// The hot path: each scope's items run once through that scope's
// ScopeMatcher (RE2::Set); only rules with a pattern hit and whose
// message-level conditions hold are re-run with their own RE2 to find the
// matches, validate them (lib/rules/validators.h) and count distinct values
// against min_count; rules that fire are then filtered per recipient and
// combined by lib/rules/precedence.h.
//
// Errors: Evaluate returns non-OK only when it cannot decide (a matcher
// failed, memory ran out). The message must then be tempfailed; an error is
// never "no match". Text past EngineOptions::max_scan_bytes is not scanned:
// Evaluation::truncated says so and a note records it.
// Samples in the result are masked (lib/rules/mask.h); no other message text
// is copied into it.
// Thread-safety: reentrant; any number of threads may evaluate against the
// same CompiledRules at once.
#ifndef SEALMILTER_LIB_RULES_EVALUATE_H_
#define SEALMILTER_LIB_RULES_EVALUATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/message_text.h"
#include "lib/rules/compiled_rules.h"
#include "lib/rules/conditions.h"
#include "lib/rules/precedence.h"
#include "lib/rules/rule.h"
#include "lib/status.h"

namespace seal::rules {

// A rule that fired for a recipient.
struct RuleHit {
  std::string rule_id;
  Action action = Action::kEncrypt;
  std::string profile;   // encrypt / encrypt-if-possible only
  bool content = false;  // fired on patterns; false: on conditions alone
  // For content hits, where the first counted match was:
  Scope scope = Scope::kSubject;
  std::string origin;  // TextItem::origin, e.g. "part 1.2 text/plain"
  std::string sample;  // masked, e.g. "***-**-6789"
  // Distinct validated matches found; the scan of a rule stops once
  // min_count is reached, so this is "at least".
  uint32_t count = 0;
};

// Why a rule whose pattern matched did not fire ("why not" in sealctl).
struct WhyNot {
  std::string rule_id;
  std::string reason;
};

struct Decision {
  std::string recipient;
  FinalAction action = FinalAction::kNone;
  bool sign = false;
  std::string profile;
  bool no_encrypt_honoured = false;  // see Outcome in precedence.h
  bool no_sign_honoured = false;
  std::vector<RuleHit> fired;  // load order, opt-outs included
  std::vector<WhyNot> why_not;
  std::vector<std::string> notes;  // overrides, ignored opt-outs, conflicts
};

struct Evaluation {
  // One per EnvelopeContext::recipients entry, same order. With no
  // recipients (e.g. `sealctl rules test` without an envelope) there is one
  // decision for the recipient "".
  std::vector<Decision> decisions;
  uint64_t bytes_scanned = 0;
  bool truncated = false;  // some text was not scanned (here or in MIME)
  std::vector<std::string> notes;  // message-level notes
};

Result<Evaluation> Evaluate(const CompiledRules& rules, const MessageText& text,
                            const EnvelopeContext& envelope);

// Combines the actions of d.fired (precedence.h) and sets d's treatment
// from the result; its notes are added to d.notes, each once. Evaluate
// ends each decision with it; so does a caller that adds a fired action
// afterwards (rules.on_truncated, lib/rules/truncated_policy.h).
void Recombine(Decision& d, bool authenticated, bool sender_internal);

// Recombine as if no action of kind `ignored` had fired; those hits stay in
// d.fired, so the log still names them. A quarantine released by an
// administrator falls back to what the message's other rules ask for.
void RecombineIgnoring(Decision& d, Action ignored, bool authenticated,
                       bool sender_internal);

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_EVALUATE_H_
