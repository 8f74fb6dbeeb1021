// CIDR parsing and matching (see lib/gateway/networks.h).
#include "lib/gateway/networks.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace seal::gateway {
namespace {

// Parses a literal address; false when it is none.
bool ParseAddress(std::string_view text, bool* v6,
                  std::array<uint8_t, 16>* bytes) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') {
    s = s.substr(1, s.size() - 2);
  }
  bytes->fill(0);
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    *v6 = false;
    std::memcpy(bytes->data(), &a4, 4);
    return true;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0,    0,
                                        0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(&a6, kMapped, 12) == 0) {
      *v6 = false;
      std::memcpy(bytes->data(), reinterpret_cast<const uint8_t*>(&a6) + 12, 4);
      return true;
    }
    *v6 = true;
    std::memcpy(bytes->data(), &a6, 16);
    return true;
  }
  return false;
}

bool PrefixMatches(const std::array<uint8_t, 16>& a,
                   const std::array<uint8_t, 16>& b, int prefix) {
  int full = prefix / 8;
  for (int i = 0; i < full; ++i) {
    if (a[static_cast<size_t>(i)] != b[static_cast<size_t>(i)]) return false;
  }
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  size_t i = static_cast<size_t>(full);
  return (a[i] & mask) == (b[i] & mask);
}

}  // namespace

Result<Cidr> ParseCidr(std::string_view text) {
  Cidr c;
  c.text = std::string(text);
  std::string_view addr = text;
  std::string_view len;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    len = text.substr(slash + 1);
  }
  if (!ParseAddress(addr, &c.v6, &c.bytes)) {
    return InvalidArgumentError("'" + c.text + "' is not an IP address");
  }
  int max = c.v6 ? 128 : 32;
  c.prefix = max;
  if (!len.empty() || text.find('/') != std::string_view::npos) {
    int n = -1;
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
    if (ec != std::errc() || ptr != len.data() + len.size() || n < 0 ||
        n > max) {
      return InvalidArgumentError(
          "'" + c.text + "': prefix length must be 0.." + std::to_string(max));
    }
    c.prefix = n;
  }
  std::array<uint8_t, 16> masked = c.bytes;
  for (int bit = c.prefix; bit < max; ++bit) {
    masked[static_cast<size_t>(bit / 8)] &=
        static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (masked != c.bytes) {
    return InvalidArgumentError("'" + c.text +
                                "' has host bits set past its prefix length");
  }
  return c;
}

bool AddressInNetworks(std::string_view address,
                       const std::vector<Cidr>& networks) {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  if (!ParseAddress(address, &v6, &bytes)) return false;
  for (const Cidr& n : networks) {
    if (n.v6 == v6 && PrefixMatches(bytes, n.bytes, n.prefix)) return true;
  }
  return false;
}

Result<std::vector<Cidr>> ParseNetworks(const std::vector<std::string>& items) {
  std::vector<Cidr> out;
  for (const std::string& n : items) {
    Result<Cidr> cidr = ParseCidr(n);
    if (!cidr.ok()) return cidr.status();
    out.push_back(std::move(cidr).value());
  }
  return out;
}

}  // namespace seal::gateway
