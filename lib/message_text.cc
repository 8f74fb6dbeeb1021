// Scope names for MessageText (see lib/message_text.h).
#include "lib/message_text.h"

namespace seal {
namespace {
constexpr std::array<std::string_view, kScopeCount> kScopeNames = {
    "subject", "headers",         "sender",         "recipients",
    "body",    "attachment_name", "attachment_text"};
}  // namespace

std::string_view ScopeName(Scope scope) {
  return kScopeNames[static_cast<size_t>(scope)];
}

bool ParseScope(std::string_view name, Scope& out) {
  for (size_t i = 0; i < kScopeNames.size(); ++i) {
    if (kScopeNames[i] == name) {
      out = static_cast<Scope>(i);
      return true;
    }
  }
  return false;
}

}  // namespace seal
