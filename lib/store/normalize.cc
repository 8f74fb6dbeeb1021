// Address and domain normalisation.
#include "lib/store/normalize.h"

#include "lib/ascii.h"

namespace seal::store {

Result<std::string> NormalizeAddress(std::string_view address) {
  if (address.empty()) return InvalidArgumentError("address is empty");
  if (address.size() > kMaxAddressBytes) {
    return InvalidArgumentError("address is longer than 320 bytes");
  }
  std::string out;
  out.reserve(address.size());
  size_t ats = 0;
  for (char c : address) {
    auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7f) {
      return InvalidArgumentError(
          "address contains a space or control character");
    }
    if (c == '@') ++ats;
    out.push_back(LowerAscii(c));
  }
  size_t at = out.rfind('@');
  if (ats == 0) return InvalidArgumentError("address has no '@'");
  if (at == 0 || at + 1 == out.size()) {
    return InvalidArgumentError("address has an empty local part or domain");
  }
  // A quoted local part may contain '@'; the domain never does.
  return out;
}

Result<std::string> NormalizeDomain(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty()) return InvalidArgumentError("domain is empty");
  if (domain.size() > kMaxDomainBytes) {
    return InvalidArgumentError("domain is longer than 253 bytes");
  }
  std::string out;
  out.reserve(domain.size());
  for (char c : domain) {
    char l = LowerAscii(c);
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' ||
              l == '.' || l == '_';
    if (!ok) {
      return InvalidArgumentError(
          "domain may contain only letters, digits, '-', '_' and '.' "
          "(use the xn-- form for international names)");
    }
    out.push_back(l);
  }
  if (out.front() == '.' || out.find("..") != std::string::npos) {
    return InvalidArgumentError("domain has an empty label");
  }
  return out;
}

}  // namespace seal::store
