// The algorithms the S/MIME engine names: content ciphers and RSA key
// transports, their stable names (config, logs, CLI), and their OpenSSL
// objects.
//
// Defaults follow DESIGN.md: AES-256-CBC with RSA PKCS#1 v1.5, because
// gpgsm and NSS in Debian 12 read nothing newer; GCM (AuthEnvelopedData)
// and OAEP are chosen per recipient from their SMIMECapabilities or config.
// EC recipients always use ECDH (ephemeral-static, SHA-256 KDF, AES key
// wrap sized to the content key).
// Thread-safety: constant data.
#ifndef SEALMILTER_LIB_CRYPTO_ALGORITHMS_H_
#define SEALMILTER_LIB_CRYPTO_ALGORITHMS_H_

#include <openssl/evp.h>

#include <string_view>

#include "lib/status.h"

namespace seal::crypto {

enum class ContentCipher {
  kAes256Cbc,  // default
  kAes192Cbc,
  kAes128Cbc,
  kAes256Gcm,  // AuthEnvelopedData (RFC 5083/5084)
  kAes192Gcm,
  kAes128Gcm,
};

enum class KeyTransport {
  kRsaPkcs1v15,    // default
  kRsaOaep,        // RSAES-OAEP, SHA-1 and MGF1-SHA-1 (RFC 3560 defaults)
  kRsaOaepSha256,  // RSAES-OAEP, SHA-256 and MGF1-SHA-256
};

// "aes-256-cbc", "aes-256-gcm", ...; "rsa-pkcs1", "rsa-oaep",
// "rsa-oaep-sha256".
std::string_view ContentCipherName(ContentCipher cipher);
std::string_view KeyTransportName(KeyTransport transport);
Result<ContentCipher> ParseContentCipher(std::string_view name);
Result<KeyTransport> ParseKeyTransport(std::string_view name);

bool IsAead(ContentCipher cipher);
const EVP_CIPHER* CipherFor(ContentCipher cipher);
// The cipher for an OpenSSL NID, if it is one we name.
bool ContentCipherFromNid(int nid, ContentCipher* out);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_ALGORITHMS_H_
