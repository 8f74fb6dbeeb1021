// EnvelopeContext (what the engine knows about a message besides its text)
// and the matching of a rule's `when` conditions against it. Message-level
// conditions (direction, sender domain, authenticated) are checked once per
// message; recipient_domains is checked per recipient, which is why the
// engine returns one decision per recipient.
// Domains compare case-insensitively; "example.com" matches that domain
// only, ".example.com" its subdomains only (as in Postfix tables).
// Known limit: no wildcards or regular expressions on addresses.
// Thread-safety: pure functions over plain values.
#ifndef SEALMILTER_LIB_RULES_CONDITIONS_H_
#define SEALMILTER_LIB_RULES_CONDITIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/rules/rule.h"

namespace seal::rules {

struct EnvelopeContext {
  Direction direction = Direction::kOutbound;
  std::string sender;            // envelope sender address, "" for a bounce
  bool authenticated = false;    // the client used SMTP AUTH
  bool sender_internal = false;  // the sender is ours (internal domain/net)
  std::vector<std::string> recipients;  // envelope recipient addresses
};

// Lower-case domain of an address ("<A@Example.COM.>" -> "example.com"), or
// "" when it has none.
std::string DomainOf(std::string_view address);

// Whether `domain` (lower case) matches an entry of `list` (see above).
bool DomainListMatches(const std::vector<std::string>& list,
                       std::string_view domain);

// Message-level conditions. On failure, and when `why` is not null, sets it
// to a reason such as "direction is inbound, the rule wants outbound".
bool MessageConditionsMet(const Conditions& when, const EnvelopeContext& env,
                          std::string_view sender_domain, std::string* why);

// The recipient_domains condition for one recipient's domain.
bool RecipientConditionMet(const Conditions& when,
                           std::string_view recipient_domain, std::string* why);

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_CONDITIONS_H_
