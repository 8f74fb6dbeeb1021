// Outbound S/MIME signing for the gateway: who signs (SignerFor: the
// sender's certificate and key from the store, issued by the built-in CA
// on first need) and the two in-place rewrites that sign:
//   - RewriteSign: the message's content (Content-* fields and body)
//     becomes multipart/signed with a detached signature; the outer fields
//     stay. 8-bit or long-line (over 998 bytes) leaf parts are first
//     transfer-encoded as base64, because relays may alter them and break
//     the signature (sign.h); parts already base64 or quoted-printable are
//     signed as they are.
//   - RewriteSignEncrypt: sign, then encrypt that signed entity to the
//     certificates (CMS EnvelopedData, or AuthEnvelopedData for GCM; no
//     transfer encoding needed inside).
// Both canonicalise line ends to CRLF as the content streams into the
// signature (RFC 8551 3.1.1) and write the new body into a Spool.
//
// SignerFor picks, among the sender's certificates that have a stored key,
// are valid now, not revoked, not a CA and allow signing, the one with the
// newest notBefore that does not end within ca.renew_days. When there is
// none and ca.issue_on_demand is set, the sender's domain is one of
// gateway.internal_domains and the built-in CA is loaded, the CA issues
// (or renews) one; old certificates and keys stay in the store. Otherwise
// a still valid certificate ending within the window is used. Errors:
// kFailedPrecondition (no store, no master key), kNotFound (no usable
// certificate and none may be issued), or the store's / CA's error.
// Known limits: the signature carries no chain (our CA is self-signed:
// recipients must trust it themselves); message/* parts with 8-bit content
// are signed unencoded; the multipart re-encoding copies the content once
// into memory (only when a part needs encoding).
// Thread-safety: reentrant; Services are shared read-only.
#ifndef SEALMILTER_LIB_GATEWAY_SIGNING_H_
#define SEALMILTER_LIB_GATEWAY_SIGNING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config.h"
#include "lib/crypto/certificate.h"
#include "lib/crypto/encrypt.h"
#include "lib/crypto/sign.h"
#include "lib/gateway/edit_plan.h"
#include "lib/gateway/header_block.h"
#include "lib/gateway/process.h"
#include "lib/spool.h"

namespace seal::gateway {

struct ChosenSigner {
  crypto::Signer signer;
  std::string cert_sha256;  // for the log
  bool newly_issued = false;
  std::string note;  // e.g. a renewal that failed; "" when none
};

Result<ChosenSigner> SignerFor(std::string_view sender,
                               const Services& services, const Config& config,
                               int64_t now);
Result<ChosenSigner> SignerFor(std::string_view sender,
                               const Services& services, const Config& config);

Result<EditPlan> RewriteSign(const MessageParts& message,
                             const crypto::Signer& signer,
                             const SpoolOptions& spool);

Result<EditPlan> RewriteSignEncrypt(
    const MessageParts& message, const crypto::Signer& signer,
    const std::vector<crypto::Certificate>& certs, const SpoolOptions& spool);
// The same with the recipients' key transports and the content cipher
// chosen by the caller (algorithm_choice.h).
Result<EditPlan> RewriteSignEncrypt(
    const MessageParts& message, const crypto::Signer& signer,
    const std::vector<crypto::EncryptRecipient>& recipients,
    crypto::ContentCipher cipher, const SpoolOptions& spool);

// The entity (header block, empty line, body) with every leaf part that is
// 8-bit, binary or has lines over 998 bytes re-encoded as base64; nullopt
// when nothing needs it (the common case: no copy). kParseError for a
// malformed header block, kResourceExhausted past 50 levels of nesting.
// Exposed for tests.
Result<std::optional<std::string>> SevenBitEntity(std::string_view entity);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_SIGNING_H_
