// The Store's records for sealportal's recipients (issue #7): accounts
// (argon2id password hash, confirmation, failed-login counter and lockout),
// one-time tokens mailed for confirming a registration or resetting a
// password, and login sessions. Secrets never reach the store: tokens and
// session cookies are stored as the hex SHA-256 of the value the recipient
// holds, so a database dump opens nothing.
//
// Conventions as in records.h: Unix seconds (UTC), addresses lower-case.
// Thread-safety: plain values.
#ifndef SEALMILTER_LIB_STORE_PORTAL_RECORDS_H_
#define SEALMILTER_LIB_STORE_PORTAL_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::store {

struct PortalAccount {
  std::string email;          // lower-case; the key
  std::string password_hash;  // libsodium argon2id string; "" = none yet
  std::string locale;         // preferred page language, "" = browser's
  int64_t created_at = 0;     // set by the store
  int64_t confirmed_at = 0;   // 0 = registration not confirmed yet
  int64_t failed_logins = 0;  // consecutive failures since the last success
  int64_t locked_until = 0;   // 0 = not locked; else Unix seconds
  int64_t last_login_at = 0;  // 0 = never
  int64_t password_changed_at = 0;
};

enum class PortalTokenPurpose { kConfirm, kReset };

// "confirm", "reset".
std::string_view PortalTokenPurposeName(PortalTokenPurpose purpose);
Result<PortalTokenPurpose> ParsePortalTokenPurpose(std::string_view name);

struct PortalToken {
  std::string token_hash;  // 64 lower-case hex digits: SHA-256 of the secret
  std::string email;
  PortalTokenPurpose purpose = PortalTokenPurpose::kConfirm;
  int64_t created_at = 0;  // set by the store
  int64_t expires_at = 0;  // required, > created_at
  int64_t used_at = 0;     // 0 = not used; set by ConsumePortalToken
};

struct PortalSession {
  std::string id_hash;  // 64 lower-case hex digits: SHA-256 of the cookie
  std::string email;
  int64_t created_at = 0;    // set by the store
  int64_t last_seen_at = 0;  // set by the store (put and touch)
  int64_t expires_at = 0;    // absolute end, required
  std::string remote_addr;
  std::string user_agent;  // at most max_event_text_bytes; control chars out
};

// 64 hex digits (any case) → lower-case; kInvalidArgument otherwise.
Result<std::string> NormalizeSecretHash(std::string_view hash);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_PORTAL_RECORDS_H_
