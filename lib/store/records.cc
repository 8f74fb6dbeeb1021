// Names of certificate sources.
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

}  // namespace seal::store
