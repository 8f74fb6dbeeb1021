// Inbound decryption: an application/pkcs7-mime EnvelopedData or
// AuthEnvelopedData entity (or raw CMS) is decrypted with one of several
// key pairs, the plaintext streamed into a sink.
//
// Key choice: the RecipientInfos are matched against the candidates'
// certificates by issuer and serial number or subject key identifier
// (key transport) and by recipient encrypted key id (ECDH key agreement),
// in the caller's order of candidates, so keys kept after a rollover still
// open old mail. No match is kNotFound naming the recipients the message
// is for.
// Oracle resistance: with RSA key transport OpenSSL does not reveal whether
// the content key decrypted (a failure continues with a random key), so a
// wrong key and a damaged ciphertext give the same error after the content
// is processed (kParseError). Key pairs are checked to match when built
// (KeyPair::Make), so a mismatched pair never gets this far.
// Streaming: OpenSSL parses only the CMS skeleton (cms_stream.h); the
// ciphertext is read from the (base64) body as it is decrypted and the
// plaintext reaches the sink in slices, so memory stays flat for 25 MB
// messages. A GCM tag or CBC padding failure is only known at the end: on
// any error, discard what the sink received.
// Known limits: KEK and password RecipientInfos are not used; for CBC a
// random-key decryption passes the padding check about once in 256 tries
// and then yields garbage instead of an error (inherent to unauthenticated
// CBC; GCM has no such case).
// Thread-safety: reentrant; KeyPairs may be shared read-only.
#ifndef SEALMILTER_LIB_CRYPTO_DECRYPT_H_
#define SEALMILTER_LIB_CRYPTO_DECRYPT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/crypto/byte_io.h"
#include "lib/crypto/certificate.h"
#include "lib/crypto/mime_frame.h"
#include "lib/status.h"

namespace seal::crypto {

struct DecryptResult {
  bool authenticated = false;  // AuthEnvelopedData (GCM tag verified)
  size_t key_index = 0;        // the candidate that opened it
  uint64_t bytes = 0;          // plaintext bytes written to the sink
  size_t recipient_count = 0;  // RecipientInfos in the message
};

// The entity must be application/pkcs7-mime (or x-pkcs7-mime) with
// smime-type enveloped-data or authEnveloped-data (or none), base64 or
// binary; the CMS type decides, not the header.
Result<DecryptResult> DecryptEntity(const EntityRef& entity,
                                    const std::vector<KeyPair>& keys,
                                    ByteSink out);

// Raw CMS (DER/BER).
Result<DecryptResult> DecryptCms(const ByteSource& der,
                                 const std::vector<KeyPair>& keys,
                                 ByteSink out);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_DECRYPT_H_
