// Client networks in CIDR form (gateway.internal_networks) and the test
// whether a client address lies in one. IPv4 and IPv6; an IPv4-mapped IPv6
// address ("::ffff:192.0.2.1") matches IPv4 blocks.
// Known limit: no host names, only literal addresses.
// Thread-safety: plain values and pure functions.
#ifndef SEALMILTER_LIB_GATEWAY_NETWORKS_H_
#define SEALMILTER_LIB_GATEWAY_NETWORKS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"

namespace seal::gateway {

struct Cidr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4
  int prefix = 0;                   // 0..32 or 0..128
  std::string text;                 // as configured, for logs
};

// "192.0.2.0/24", "2001:db8::/32", "192.0.2.7" (a single host). Bits set
// past the prefix are an error ("192.0.2.1/24"), as they are a typo.
Result<Cidr> ParseCidr(std::string_view text);
// Every item of a list such as gateway.internal_networks; the first bad one
// is the error.
Result<std::vector<Cidr>> ParseNetworks(const std::vector<std::string>& items);

// Whether `address` (as libmilter reports it: "192.0.2.1", "2001:db8::1";
// "unix" and "unknown" never match) lies in one of `networks`.
bool AddressInNetworks(std::string_view address,
                       const std::vector<Cidr>& networks);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_NETWORKS_H_
