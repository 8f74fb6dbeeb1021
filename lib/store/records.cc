// Names of certificate sources and quarantine states.
#include "lib/store/records.h"

#include <array>
#include <utility>

namespace seal::store {
namespace {

constexpr std::array<std::pair<CertSource, std::string_view>, 5> kSources = {{
    {CertSource::kImported, "imported"},
    {CertSource::kHarvested, "harvested"},
    {CertSource::kIssued, "issued"},
    {CertSource::kDomain, "domain"},
    {CertSource::kAuthority, "authority"},
}};

constexpr std::array<std::pair<QuarantineState, std::string_view>, 3>
    kQuarantineStates = {{
        {QuarantineState::kHeld, "held"},
        {QuarantineState::kReleased, "released"},
        {QuarantineState::kDeleted, "deleted"},
    }};

}  // namespace

std::string_view CertSourceName(CertSource source) {
  for (const auto& [s, name] : kSources) {
    if (s == source) return name;
  }
  return "unknown";
}

Result<CertSource> ParseCertSource(std::string_view name) {
  for (const auto& [s, n] : kSources) {
    if (n == name) return s;
  }
  return InvalidArgumentError("unknown certificate source '" +
                              std::string(name) +
                              "' (imported, harvested, issued, domain, "
                              "authority)");
}

std::string_view QuarantineStateName(QuarantineState state) {
  for (const auto& [s, name] : kQuarantineStates) {
    if (s == state) return name;
  }
  return "unknown";
}

Result<QuarantineState> ParseQuarantineState(std::string_view name) {
  for (const auto& [s, n] : kQuarantineStates) {
    if (n == name) return s;
  }
  return InvalidArgumentError("unknown quarantine state '" + std::string(name) +
                              "' (held, released, deleted)");
}

}  // namespace seal::store
