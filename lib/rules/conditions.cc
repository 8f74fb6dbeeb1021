// Matching `when` conditions against the envelope (see
// lib/rules/conditions.h).
#include "lib/rules/conditions.h"

namespace seal::rules {
namespace {

std::string DirectionList(uint8_t directions) {
  std::string out;
  for (unsigned i = 0; i < 3; ++i) {
    if ((directions & (1u << i)) == 0) continue;
    if (!out.empty()) out += " or ";
    out += DirectionName(static_cast<Direction>(i));
  }
  return out;
}

}  // namespace

std::string DomainOf(std::string_view address) {
  while (!address.empty() && address.front() == '<') address.remove_prefix(1);
  while (!address.empty() && address.back() == '>') address.remove_suffix(1);
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  std::string domain(address.substr(at + 1));
  for (char& c : domain) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  return domain;
}

bool DomainListMatches(const std::vector<std::string>& list,
                       std::string_view domain) {
  if (domain.empty()) return false;
  for (const std::string& entry : list) {
    if (!entry.empty() && entry.front() == '.') {
      if (domain.size() > entry.size() && domain.ends_with(entry)) return true;
    } else if (domain == entry) {
      return true;
    }
  }
  return false;
}

bool MessageConditionsMet(const Conditions& when, const EnvelopeContext& env,
                          std::string_view sender_domain, std::string* why) {
  if (!when.HasDirection(env.direction)) {
    if (why) {
      *why = "direction is " + std::string(DirectionName(env.direction)) +
             ", the rule wants " + DirectionList(when.directions);
    }
    return false;
  }
  if (when.authenticated && *when.authenticated != env.authenticated) {
    if (why) {
      *why = env.authenticated
                 ? "the sender is authenticated, the rule wants an "
                   "unauthenticated sender"
                 : "the sender is not authenticated, the rule wants an "
                   "authenticated sender";
    }
    return false;
  }
  if (!when.sender_domains.empty() &&
      !DomainListMatches(when.sender_domains, sender_domain)) {
    if (why) {
      *why = "sender domain '" + std::string(sender_domain) +
             "' is not in sender_domains";
    }
    return false;
  }
  return true;
}

bool RecipientConditionMet(const Conditions& when,
                           std::string_view recipient_domain,
                           std::string* why) {
  if (when.recipient_domains.empty() ||
      DomainListMatches(when.recipient_domains, recipient_domain)) {
    return true;
  }
  if (why) {
    *why = "recipient domain '" + std::string(recipient_domain) +
           "' is not in recipient_domains";
  }
  return false;
}

}  // namespace seal::rules
