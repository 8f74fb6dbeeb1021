// Names of envelope security levels and states, and the envelope id form.
#include "lib/store/envelope_records.h"

#include <array>
#include <utility>

namespace seal::store {
namespace {

constexpr size_t kEnvelopeIdDigits = 32;

constexpr std::array<std::pair<EnvelopeSecurity, std::string_view>, 3>
    kSecurities = {{
        {EnvelopeSecurity::kHigh, "high"},
        {EnvelopeSecurity::kMedium, "medium"},
        {EnvelopeSecurity::kNone, "none"},
    }};

constexpr std::array<std::pair<EnvelopeState, std::string_view>, 3> kStates = {{
    {EnvelopeState::kActive, "active"},
    {EnvelopeState::kRevoked, "revoked"},
    {EnvelopeState::kExpired, "expired"},
}};

}  // namespace

std::string_view EnvelopeSecurityName(EnvelopeSecurity security) {
  for (const auto& [s, name] : kSecurities) {
    if (s == security) return name;
  }
  return "unknown";
}

Result<EnvelopeSecurity> ParseEnvelopeSecurity(std::string_view name) {
  for (const auto& [s, n] : kSecurities) {
    if (n == name) return s;
  }
  return InvalidArgumentError("unknown envelope security \"" +
                              std::string(name) + "\" (high, medium or none)");
}

std::string_view EnvelopeStateName(EnvelopeState state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "unknown";
}

Result<EnvelopeState> ParseEnvelopeState(std::string_view name) {
  for (const auto& [s, n] : kStates) {
    if (n == name) return s;
  }
  return InvalidArgumentError("unknown envelope state \"" + std::string(name) +
                              "\" (active, revoked or expired)");
}

Result<std::string> NormalizeEnvelopeId(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return InvalidArgumentError("an envelope id is 32 hex digits");
    }
    out.push_back(c);
  }
  if (out.size() != kEnvelopeIdDigits) {
    return InvalidArgumentError("an envelope id is 32 hex digits");
  }
  return out;
}

}  // namespace seal::store
