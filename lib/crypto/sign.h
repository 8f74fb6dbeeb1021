// Outbound signing: a MIME entity becomes multipart/signed;
// protocol="application/pkcs7-signature"; micalg=sha-256 (RFC 8551 3.5.3)
// with a detached CMS SignedData over the exact bytes of the first part,
// and sign-then-encrypt (that multipart/signed entity as the plaintext of
// an EnvelopeWriter).
//
// Canonicalisation: the entity is converted to CRLF line ends as it streams
// (canonical.h) and those same bytes are both digested and emitted, so what
// was signed is what is sent. The signature holds SHA-256, the signer
// certificate and the given chain, signingTime, and our SMIMECapabilities.
// Streaming: content passes once through the digest and the sink; only the
// small SignedData is built in memory.
// Known limits: 8-bit or long-line content must be transfer-encoded by the
// caller before signing when it will travel unencrypted (relays may alter
// it, breaking the signature); the boundary is random (128 bits) and not
// searched for in the content.
// Thread-safety: reentrant; a Signer may be shared read-only across
// threads.
#ifndef SEALMILTER_LIB_CRYPTO_SIGN_H_
#define SEALMILTER_LIB_CRYPTO_SIGN_H_

#include <string>
#include <vector>

#include "lib/crypto/byte_io.h"
#include "lib/crypto/certificate.h"
#include "lib/crypto/encrypt.h"
#include "lib/crypto/mime_frame.h"
#include "lib/status.h"

namespace seal::crypto {

struct Signer {
  KeyPair key;                     // signer certificate and its key
  std::vector<Certificate> chain;  // intermediates to include
};

struct SignOptions {
  bool include_chain = true;
  bool include_capabilities = true;
  bool emit_headers = true;  // write the header block before the body
  std::string boundary;      // empty: a random one
};

// Signs `entity`; returns the multipart/signed entity's header fields.
Result<std::vector<HeaderField>> SignEntity(const ByteSource& entity,
                                            const Signer& signer,
                                            const SignOptions& options,
                                            ByteSink out);

// Signs `entity`, then encrypts the signed entity to `recipients`. Returns
// the application/pkcs7-mime header fields (encrypt_options.emit_headers
// decides whether they are written to `out`).
Result<std::vector<HeaderField>> SignAndEncryptEntity(
    const ByteSource& entity, const Signer& signer,
    const SignOptions& sign_options,
    const std::vector<EncryptRecipient>& recipients,
    const EncryptOptions& encrypt_options, ByteSink out);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_SIGN_H_
