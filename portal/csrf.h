// CSRF protection for the portal's forms (synchronizer tokens).
// Every form carries a token that is HMAC-SHA256(portal secret, purpose |
// binding), base64url: `binding` is the session id for a logged-in user,
// or the random pre-session id of a visitor (its own cookie) for the login,
// registration and reset forms. A request that changes anything must bring
// the token of its own binding; tokens are compared in constant time. A
// token from another session, another visitor, or another purpose (a
// "reply" token used on "revoke") fails. Tokens do not expire by
// themselves: they die with the session or pre-session they are bound to.
// The secret is 32 random bytes per portal deployment (shared by the
// portal hosts through the key file), so a token made by one host is
// good on another.
// Thread-safety: a CsrfGuard is immutable after construction.
#ifndef SEALMILTER_PORTAL_CSRF_H_
#define SEALMILTER_PORTAL_CSRF_H_

#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::portal {

class CsrfGuard {
 public:
  // kInvalidArgument unless `secret` is at least 32 bytes.
  static Result<CsrfGuard> Create(std::string_view secret);

  std::string Token(std::string_view purpose, std::string_view binding) const;
  // False for an empty binding or token, whatever the secret.
  bool Check(std::string_view token, std::string_view purpose,
             std::string_view binding) const;

 private:
  explicit CsrfGuard(std::string secret) : secret_(std::move(secret)) {}
  std::string secret_;
};

// `n` random bytes as base64url without padding (session ids, pre-session
// ids, one-time link tokens). n >= 16.
std::string RandomToken(size_t n = 32);

// Base64url without padding, and back (kInvalidArgument for other text).
std::string Base64Url(std::string_view bytes);
Result<std::string> FromBase64Url(std::string_view text);

// Constant-time equality of two byte strings (sizes may differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_CSRF_H_
