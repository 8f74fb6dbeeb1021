// Names of portal token purposes and the form of a stored secret's hash.
#include "lib/store/portal_records.h"

#include <array>
#include <utility>

namespace seal::store {
namespace {

constexpr size_t kSecretHashDigits = 64;

constexpr std::array<std::pair<PortalTokenPurpose, std::string_view>, 2>
    kPurposes = {{
        {PortalTokenPurpose::kConfirm, "confirm"},
        {PortalTokenPurpose::kReset, "reset"},
    }};

}  // namespace

std::string_view PortalTokenPurposeName(PortalTokenPurpose purpose) {
  for (const auto& [p, name] : kPurposes) {
    if (p == purpose) return name;
  }
  return "unknown";
}

Result<PortalTokenPurpose> ParsePortalTokenPurpose(std::string_view name) {
  for (const auto& [p, n] : kPurposes) {
    if (n == name) return p;
  }
  return InvalidArgumentError("unknown portal token purpose \"" +
                              std::string(name) + "\" (confirm or reset)");
}

Result<std::string> NormalizeSecretHash(std::string_view hash) {
  std::string out;
  out.reserve(hash.size());
  for (char c : hash) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return InvalidArgumentError(
          "a token or session hash is 64 hex digits (SHA-256)");
    }
    out.push_back(c);
  }
  if (out.size() != kSecretHashDigits) {
    return InvalidArgumentError(
        "a token or session hash is 64 hex digits (SHA-256)");
  }
  return out;
}

}  // namespace seal::store
