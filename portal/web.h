// The HTTP details every sealportal page shares, kept apart from the HTTP
// library so they can be tested on their own:
//   - ParseForm: application/x-www-form-urlencoded bodies, strictly (bad
//     percent escapes, a repeated field, too many or too long fields and
//     invalid UTF-8 are errors, never guesses);
//   - cookies: parsing the Cookie header, and Set-Cookie values that are
//     always HttpOnly, SameSite=Lax, Path=/ and, behind HTTPS, Secure;
//   - ClientAddress: the client's address behind trusted reverse proxies
//     (the rightmost X-Forwarded-For hop that is not a trusted proxy);
//   - SecurityHeaders: the headers of every answer (CSP without inline
//     script, no framing, no referrer, no caching, nosniff, HSTS on HTTPS).
// SameSite=Lax and not Strict: a recipient who comes from the envelope page
// (another site, or a file) must still find its remembered session; every
// request that changes state is a POST with a CSRF token (csrf.h).
// Thread-safety: pure functions.
#ifndef SEALMILTER_PORTAL_WEB_H_
#define SEALMILTER_PORTAL_WEB_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/gateway/networks.h"
#include "lib/status.h"

namespace seal::portal {

struct FormLimits {
  size_t max_fields = 32;
  size_t max_name_bytes = 64;
  size_t max_value_bytes = 64 * 1024;
  size_t max_body_bytes = 256 * 1024;
};

using FormFields = std::map<std::string, std::string>;

// kInvalidArgument naming the problem (never echoing a value);
// kResourceExhausted over a limit.
Result<FormFields> ParseForm(std::string_view body,
                             const FormLimits& limits = {});

// Cookie header → name/value pairs; malformed pairs are skipped, and of a
// repeated name the first is kept (the most specific path, RFC 6265 5.4).
std::map<std::string, std::string> ParseCookies(std::string_view header);

struct CookieOptions {
  int64_t max_age_seconds = -1;  // -1: a session cookie; 0: delete it
  bool secure = true;            // false only for plain-HTTP test set-ups
};
// The Set-Cookie value; kInvalidArgument for a name or value that is not
// a cookie token (only base64url characters are accepted as values).
Result<std::string> SetCookie(std::string_view name, std::string_view value,
                              const CookieOptions& options);

// `remote` is the TCP peer. Without trusted proxies, or when the peer is
// not one, it is the answer; otherwise the X-Forwarded-For hops are read
// from the right and the first that is not a trusted proxy is the client.
// A malformed hop ends the walk (the last trusted hop is returned).
std::string ClientAddress(std::string_view remote,
                          std::string_view forwarded_for,
                          const std::vector<gateway::Cidr>& trusted_proxies);

// Adds one received header line to `headers` (lower-case names). A
// repeated name joins the earlier value as one list, in order: Cookie with
// "; ", the others with ", " (RFC 9110 5.3). So a forged X-Forwarded-For
// line before the proxy's own is still to the left of the proxy's hop.
void AddRequestHeader(std::map<std::string, std::string>& headers,
                      std::string name, const std::string& value);

// Headers for every answer. `https`: add HSTS. `opener_allowed`: the
// key-release page must keep window.opener (Cross-Origin-Opener-Policy
// unsafe-none); every other page severs it (same-origin).
std::vector<std::pair<std::string, std::string>> SecurityHeaders(
    bool https, bool opener_allowed = false);

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_WEB_H_
