// SMIMECapabilities (RFC 8551 section 2.5.2): what we advertise in our
// signatures, what a sender's signature says they can decrypt, and the
// choice of algorithms for a set of recipients from that.
//
// We advertise what we decrypt, strongest first: AES-256-GCM, AES-256-CBC,
// AES-128-CBC, RSAES-OAEP (default parameters). Parsing keeps the sender's
// order and lists unrecognised OIDs in `other`. Choosing is conservative
// (DESIGN.md): GCM only if every recipient lists a GCM cipher we would use,
// OAEP only for a recipient that lists RSAES-OAEP; otherwise AES-256-CBC
// (or AES-128-CBC when a recipient lists only that) with PKCS#1 v1.5. A
// recipient without capabilities gets the defaults.
// Known limits: key sizes given as parameters (RC2-era) are ignored.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_CRYPTO_SMIME_CAPABILITIES_H_
#define SEALMILTER_LIB_CRYPTO_SMIME_CAPABILITIES_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/crypto/algorithms.h"
#include "lib/crypto/ossl.h"
#include "lib/status.h"

namespace seal::crypto {

struct SmimeCapabilities {
  bool present = false;                        // the attribute was there
  std::vector<ContentCipher> content_ciphers;  // sender's order
  std::vector<KeyTransport> key_transports;    // rsaEncryption / OAEP
  bool des3_cbc = false;                       // legacy, never chosen
  std::vector<std::string> other;              // names or dotted OIDs

  bool Supports(ContentCipher c) const;
  bool Supports(KeyTransport t) const;
  // "aes-256-gcm aes-256-cbc rsa-oaep" for logs and the store.
  std::string ToString() const;
};

// Decodes the DER of an SMIMECapabilities SEQUENCE.
Result<SmimeCapabilities> ParseSmimeCapabilities(std::string_view der);
// From a decoded list (the signed attribute's value).
SmimeCapabilities CapabilitiesFromAlgors(const STACK_OF(X509_ALGOR) * algs);

// The list we put in our signatures.
Result<AlgorStackPtr> OwnSmimeCapabilities();

struct AlgorithmPolicy {
  bool allow_gcm = true;   // use GCM when all recipients support it
  bool allow_oaep = true;  // use OAEP where the recipient supports it
};

// The content cipher for a group of recipients (null entries: unknown).
ContentCipher ChooseContentCipher(
    const std::vector<const SmimeCapabilities*>& recipients,
    const AlgorithmPolicy& policy = {});
// The key transport for one RSA recipient.
KeyTransport ChooseKeyTransport(const SmimeCapabilities* recipient,
                                const AlgorithmPolicy& policy = {});

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_SMIME_CAPABILITIES_H_
