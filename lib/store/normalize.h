// Canonical forms of e-mail addresses and domains as the store keys them.
//
// Addresses: ASCII letters lower-cased (the local part too: mail systems
// treat it case-insensitively in practice), exactly one '@' with both sides
// non-empty, at most 320 bytes, no control characters or spaces. Bytes above
// 0x7f (SMTPUTF8) are kept as they are, not case-folded.
// Domains: lower-case, a trailing dot removed, 1-253 bytes of [a-z0-9.-_];
// internationalised domains must be given in A-label (xn--) form.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_STORE_NORMALIZE_H_
#define SEALMILTER_LIB_STORE_NORMALIZE_H_

#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::store {

inline constexpr size_t kMaxAddressBytes = 320;
inline constexpr size_t kMaxDomainBytes = 253;

// kInvalidArgument names the problem ("address has no '@'").
Result<std::string> NormalizeAddress(std::string_view address);
Result<std::string> NormalizeDomain(std::string_view domain);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_NORMALIZE_H_
