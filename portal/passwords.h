// Portal account passwords: argon2id hashes (libsodium crypto_pwhash_str,
// the PHC string "$argon2id$v=19$m=...,t=...,p=1$salt$hash", so the cost
// travels with the hash and can be raised later), verification, and the
// rules a new password must meet.
// Policy: 12 to 1024 bytes of valid UTF-8 without control characters, not
// the account's own address. Hashing costs are parameters so tests can use
// the minimum; the portal uses kDefaultCost (3 passes over 64 MiB, about
// 0.2 s here), and NeedsRehash tells when a stored hash is weaker than the
// current cost (rehash after a successful login).
// Thread-safety: reentrant; sodium_init() is called once, thread-safely.
#ifndef SEALMILTER_PORTAL_PASSWORDS_H_
#define SEALMILTER_PORTAL_PASSWORDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::portal {

struct HashCost {
  uint64_t passes = 3;              // argon2 t
  size_t memory_bytes = 64u << 20;  // argon2 m
};
inline constexpr HashCost kDefaultCost{};
// The smallest cost libsodium accepts: tests only.
HashCost MinimumCost();

inline constexpr size_t kMinPasswordBytes = 12;
inline constexpr size_t kMaxPasswordBytes = 1024;

// kInvalidArgument naming the rule broken (never echoing the password).
Status CheckNewPassword(std::string_view password, std::string_view email);

// The PHC string. kResourceExhausted when the memory cannot be had,
// kInvalidArgument for a password over kMaxPasswordBytes.
Result<std::string> HashPassword(std::string_view password,
                                 const HashCost& cost = kDefaultCost);

// True only when `hash` is a well-formed argon2id string for `password`.
// A malformed or foreign hash is false, never an error the caller could
// tell apart from a wrong password.
bool VerifyPassword(std::string_view hash, std::string_view password);

// Whether `hash` was made with a lower cost than `cost` (or is not an
// argon2id string at all).
bool NeedsRehash(std::string_view hash, const HashCost& cost = kDefaultCost);

// A hash of a random password, to verify against when an account does not
// exist, so that a login for an unknown address costs the same time as
// one for a known address (no account enumeration by timing).
const std::string& DummyHash(const HashCost& cost = kDefaultCost);

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_PASSWORDS_H_
