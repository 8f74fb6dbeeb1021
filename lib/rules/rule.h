// Rule: one classification rule as read from a rule file, plus the small
// enums it is made of (action, validator, direction) and their names as rule
// files and logs spell them. The rule language is documented in
// sealmilter.rules(5); lib/rules/rule_loader.h turns TOML into these.
//
// A Rule is plain data except for its compiled patterns, which are immutable
// RE2 objects shared between copies. Thread-safety: a Rule may be read from
// any number of threads; RE2 matching is const and thread-safe.
#ifndef SEALMILTER_LIB_RULES_RULE_H_
#define SEALMILTER_LIB_RULES_RULE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/message_text.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace seal::rules {

// What a rule asks for when it fires. The order is not the precedence;
// lib/rules/precedence.h combines actions.
enum class Action : uint8_t {
  kEncrypt,            // must encrypt (S/MIME, else secure envelope)
  kSign,               // sign with the sender's certificate
  kEncryptIfPossible,  // encrypt if a recipient certificate is known
  kNoEncrypt,          // opt-out: cancel encrypt-if-possible
  kPlain,              // opt-out: no-encrypt and no-sign together
  kNoSign,             // opt-out: cancel sign
  kQuarantine,         // hold the message in quarantine
  kReject,             // reject the message (5xx)
};
inline constexpr size_t kActionCount = 8;

// "encrypt", "encrypt-if-possible", "no-sign", ...
std::string_view ActionName(Action action);
bool ParseAction(std::string_view name, Action& out);
// no-encrypt, plain and no-sign: honoured only for authenticated internal
// senders, never against a must-encrypt rule.
bool IsOptOut(Action action);
// encrypt and encrypt-if-possible take a profile.
bool TakesProfile(Action action);

// Checks a candidate match beyond what a regular expression can say.
enum class Validator : uint8_t {
  kNone,
  kLuhn,   // payment card number, 13-19 digits, Luhn checksum
  kUsSsn,  // US social security number, SSA structural rules
  kAba,    // US ABA routing transit number, 3-7-1 checksum
  kIban,   // international bank account number, ISO 13616 mod 97
};
std::string_view ValidatorName(Validator validator);  // "" for kNone
bool ParseValidator(std::string_view name, Validator& out);

// Where a message goes, as decided by the caller from authentication,
// internal networks and internal domains.
enum class Direction : uint8_t {
  kOutbound = 0,  // internal sender, at least one external recipient
  kInbound,       // external sender
  kInternal,      // internal sender, internal recipients only
};
std::string_view DirectionName(Direction direction);
bool ParseDirection(std::string_view name, Direction& out);

// One regular expression of a rule.
struct Pattern {
  std::string text;   // RE2 syntax, as written in the file
  std::string where;  // "file:line:column" of the pattern string
  std::shared_ptr<const re2::RE2> re;  // compiled and checked by the loader
};

// When a rule applies, besides its patterns. Empty lists mean "any".
struct Conditions {
  uint8_t directions = 0x7;  // bit (1 << Direction); all three by default
  // Lower-case domains. "example.com" matches that domain only;
  // ".example.com" matches its subdomains (not the domain itself).
  std::vector<std::string> sender_domains;
  std::vector<std::string> recipient_domains;
  // Set: the sender must (true) or must not (false) have used SMTP AUTH.
  std::optional<bool> authenticated;

  bool HasDirection(Direction d) const {
    return (directions & (1u << static_cast<unsigned>(d))) != 0;
  }
  bool empty() const {
    return directions == 0x7 && sender_domains.empty() &&
           recipient_domains.empty() && !authenticated.has_value();
  }
};

struct Rule {
  std::string id;           // unique across all loaded files
  std::string description;  // one line, for sealctl and logs
  std::string where;        // "file:line:column" of the rule's table
  bool enabled = true;
  uint8_t scopes = 0;  // bit (1 << Scope); 0 only for pattern-less rules
  std::vector<Pattern> patterns;  // empty: the rule fires on conditions alone
  // Lower-case header names; restricts the headers scope to these headers.
  std::vector<std::string> headers;
  Validator validator = Validator::kNone;
  uint32_t min_count = 1;  // distinct validated matches needed to fire
  Conditions when;
  Action action = Action::kEncrypt;
  std::string profile;  // encrypt / encrypt-if-possible only ("default")

  bool HasScope(Scope s) const {
    return (scopes & (1u << static_cast<unsigned>(s))) != 0;
  }
};

inline constexpr std::string_view kDefaultProfile = "default";

// The id of the action rules.on_truncated adds (lib/rules/truncated_policy.h);
// reserved, so no rule file can define a rule of that name.
inline constexpr std::string_view kOnTruncatedRuleId = "rules.on_truncated";

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_RULE_H_
