// Releasing an envelope's content key to the recipient's browser without
// the portal ever seeing the message, and without trusting the channel
// between the portal's page and the envelope page.
//
// The envelope's opener (envelope/opener.js) makes an ephemeral ECDH P-256
// key pair with WebCrypto (the private key never leaves the page) and sends
// its public key with the envelope id and the portal key slot. After the
// recipient has authenticated, the portal unwraps the content key with the
// portal key (lib/envelope/key_slots.h) and wraps it for the browser:
//   shared  = ECDH(portal ephemeral private, browser public)   (x, 32 bytes)
//   kek     = HKDF-SHA256(ikm = shared, salt = envelope id (ASCII),
//                         info = "sealmilter-portal-release-v1", 32 bytes)
//   wrapped = AES-256-GCM(kek, random 96-bit iv, content key,
//                         aad = info '|' envelope id '|' portal pub '|'
//                               browser pub: the four byte strings joined
//                               by the one byte '|')
// The portal page hands {portal pub, iv, wrapped} to the envelope page
// (postMessage); only the page holding the browser private key can unwrap
// it, so a window that intercepts the message learns nothing, and a
// wrapped key cannot be moved to another envelope or another browser key.
// The public keys are uncompressed SEC1 points (65 bytes), as WebCrypto
// exports them ("raw"); a point not on the curve is refused.
// Thread-safety: reentrant.
#ifndef SEALMILTER_PORTAL_KEY_RELEASE_H_
#define SEALMILTER_PORTAL_KEY_RELEASE_H_

#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::portal {

inline constexpr std::string_view kReleaseInfo = "sealmilter-portal-release-v1";
inline constexpr size_t kP256PointBytes = 65;

struct WrappedRelease {
  std::string portal_public;  // 65 bytes, uncompressed point
  std::string iv;             // 12 bytes
  std::string wrapped;        // 32 + 16 bytes: ciphertext || tag
};

// kInvalidArgument for a browser key that is not a P-256 point, a content
// key that is not 32 bytes, or an empty envelope id.
Result<WrappedRelease> WrapForBrowser(std::string_view browser_public,
                                      std::string_view envelope_id,
                                      std::string_view content_key);

// The browser's side, for tests and for `sealctl` diagnostics: unwraps
// with the browser's private key (a P-256 private scalar, 32 bytes).
Result<std::string> UnwrapAsBrowser(std::string_view browser_private,
                                    std::string_view browser_public,
                                    std::string_view envelope_id,
                                    const WrappedRelease& release);

// A new P-256 key pair as (private scalar 32 bytes, public 65 bytes): the
// browser's part, for tests.
Result<std::pair<std::string, std::string>> NewBrowserKeyPair();

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_KEY_RELEASE_H_
