// Inbound signature verification: multipart/signed with a detached
// application/pkcs7-signature, and opaque application/pkcs7-mime;
// smime-type=signed-data. The answer is a verdict per signer and overall:
// valid, invalid, untrusted or expired, each with a reason, plus what the
// signature tells about the sender (certificate, chain, e-mail addresses,
// SMIMECapabilities, signing time).
//
// Verdicts: kInvalid when the signature does not match the content (or the
// signer certificate is revoked); kUntrusted when the chain does not reach
// the TrustStore, the certificate is not for e-mail signing, or (with
// sender_address) it does not name the sender; kExpired when the only
// problem is a validity period at the verification time. A Status error is
// returned only for input that is not a signed message at all or cannot be
// parsed (bad framing, bad base64, truncated CMS).
// Canonicalisation: the signed part is verified as received; a part whose
// line ends lost their CRs is canonicalised (one copy of that part).
// Streaming: for multipart/signed the content is a view into the input; for
// signed-data OpenSSL parses only the skeleton (cms_stream.h) and the
// content is written to content_out as it is digested, so read the verdict
// before trusting it.
// Known limits: with several signers a content mismatch marks all of them
// invalid; no timestamp tokens, no receipts, no CAdES.
// Thread-safety: reentrant; the TrustStore is shared read-only.
#ifndef SEALMILTER_LIB_CRYPTO_VERIFY_H_
#define SEALMILTER_LIB_CRYPTO_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/crypto/byte_io.h"
#include "lib/crypto/cert_check.h"
#include "lib/crypto/certificate.h"
#include "lib/crypto/mime_frame.h"
#include "lib/crypto/smime_capabilities.h"
#include "lib/crypto/trust_store.h"
#include "lib/status.h"

namespace seal::crypto {

enum class SignatureStatus { kValid, kInvalid, kUntrusted, kExpired };
std::string_view SignatureStatusName(SignatureStatus status);

struct SignerReport {
  SignatureStatus status = SignatureStatus::kInvalid;
  std::string reason;              // empty when valid
  Certificate cert;                // empty if the message did not carry it
  std::vector<Certificate> chain;  // leaf first, as far as it was built
  std::vector<CertIssue> cert_issues;
  std::vector<std::string> emails;
  std::optional<int64_t> signing_time;
  SmimeCapabilities capabilities;
  std::string digest;  // "sha256", ...
};

struct VerifyResult {
  SignatureStatus status = SignatureStatus::kInvalid;  // worst signer
  std::string reason;
  std::vector<SignerReport> signers;
  bool opaque = false;              // signed-data: content was inside
  std::string_view signed_content;  // multipart/signed: the first part
  bool address_checked = false;
  bool address_match = false;  // a signer certificate names the sender
};

struct VerifyOptions {
  std::optional<int64_t> at_time;  // now when unset
  std::string sender_address;      // empty: not checked
};

// `content_out` (may be null) receives the signed entity: the first part
// of multipart/signed (canonical form), or the content of signed-data.
Result<VerifyResult> VerifyEntity(const EntityRef& entity,
                                  const TrustStore& trust,
                                  const VerifyOptions& options,
                                  const ByteSink* content_out = nullptr);

// A detached signature (DER) over `content` (the exact signed bytes).
Result<VerifyResult> VerifyDetached(std::string_view content,
                                    const ByteSource& signature_der,
                                    const TrustStore& trust,
                                    const VerifyOptions& options);

// Opaque signed-data (DER); the content goes to `content_out`.
Result<VerifyResult> VerifyOpaque(const ByteSource& der,
                                  const TrustStore& trust,
                                  const VerifyOptions& options,
                                  const ByteSink* content_out = nullptr);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_VERIFY_H_
