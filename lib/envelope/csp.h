// The envelope page's Content Security Policy and the portal URL checks it
// depends on.
//
// Policy (one line, in a <meta http-equiv> tag):
//   default-src 'none'; script-src 'sha256-<opener.js>' (or 'none' in the
//   JS-free variant); style-src 'unsafe-inline'; img-src data: blob:;
//   frame-src blob:; form-action <portal origin> (or 'none'); base-uri 'none'
// style-src is 'unsafe-inline' rather than a hash because the decrypted
// message renders in a sandboxed blob: iframe that inherits this policy, and
// mail HTML relies on inline styles. With no network source allowed
// anywhere, injected CSS cannot exfiltrate. No connect-src: the page never
// talks to the network; the portal is reached by a form post only.
#ifndef SEALMILTER_LIB_ENVELOPE_CSP_H_
#define SEALMILTER_LIB_ENVELOPE_CSP_H_

#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::envelope {

struct PortalUrl {
  std::string url;     // as given
  std::string origin;  // "https://portal.example.com:8443"
  std::string host;    // "portal.example.com"
};

// Accepts https://host[:port][/path] with a DNS name or IPv4 host, and
// http:// only for localhost / 127.0.0.1 (tests). The path may not contain
// quotes, spaces, '<', '>', '\', ';', ',' or control characters.
Result<PortalUrl> ParsePortalUrl(std::string_view url);

// `script_hash` "" = no script (JS-free); `form_origin` "" = no form target.
std::string BuildCsp(std::string_view script_hash,
                     std::string_view form_origin);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_CSP_H_
