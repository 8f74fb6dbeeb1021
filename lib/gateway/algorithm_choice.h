// The S/MIME algorithms for one encrypted group: the content cipher and each
// RSA recipient's key transport, chosen from the SMIMECapabilities harvested
// from the recipients' signed mail (store CapabilitiesFor) with the rules of
// crypto::ChooseContentCipher / ChooseKeyTransport: AES-256-GCM only when
// every recipient said it reads GCM, RSAES-OAEP only for a recipient that
// listed it, the conservative defaults otherwise (DESIGN.md: AES-256-CBC
// and PKCS#1 v1.5, which every client in Debian 12 reads).
// A recipient without harvested capabilities, or whose record cannot be
// read or parsed, gets the defaults; a store error is a warning, never a
// reason not to encrypt. The capabilities of the certificate used are
// preferred; the address's newest record is the fallback (a certificate
// imported by an admin for someone who also signed with another one).
// Thread-safety: reentrant; the store is thread-safe.
#ifndef SEALMILTER_LIB_GATEWAY_ALGORITHM_CHOICE_H_
#define SEALMILTER_LIB_GATEWAY_ALGORITHM_CHOICE_H_

#include <string>
#include <vector>

#include "lib/crypto/certificate.h"
#include "lib/crypto/encrypt.h"
#include "lib/crypto/smime_capabilities.h"
#include "lib/store/store.h"

namespace seal::gateway {

struct SmimeAlgorithms {
  std::vector<crypto::EncryptRecipient> recipients;  // same order as certs
  crypto::ContentCipher cipher = crypto::ContentCipher::kAes256Cbc;
  // For the log line: "aes-256-gcm", "aes-256-cbc+oaep:1", ...
  std::string summary;
  std::vector<std::string> warnings;  // store or parse problems, for the log
};

// `addresses[i]` is the recipient `certs[i]` was found for. `store` may be
// null (defaults for everyone).
SmimeAlgorithms ChooseSmimeAlgorithms(
    const std::vector<std::string>& addresses,
    const std::vector<crypto::Certificate>& certs, store::Store* store,
    const crypto::AlgorithmPolicy& policy = {});

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_ALGORITHM_CHOICE_H_
