// Algorithm names and OpenSSL objects.
#include "lib/crypto/algorithms.h"

#include <openssl/obj_mac.h>

#include <string>

namespace seal::crypto {
namespace {

struct CipherRow {
  ContentCipher cipher;
  std::string_view name;
  int nid;
};

constexpr CipherRow kCiphers[] = {
    {ContentCipher::kAes256Cbc, "aes-256-cbc", NID_aes_256_cbc},
    {ContentCipher::kAes192Cbc, "aes-192-cbc", NID_aes_192_cbc},
    {ContentCipher::kAes128Cbc, "aes-128-cbc", NID_aes_128_cbc},
    {ContentCipher::kAes256Gcm, "aes-256-gcm", NID_aes_256_gcm},
    {ContentCipher::kAes192Gcm, "aes-192-gcm", NID_aes_192_gcm},
    {ContentCipher::kAes128Gcm, "aes-128-gcm", NID_aes_128_gcm},
};

struct TransportRow {
  KeyTransport transport;
  std::string_view name;
};

constexpr TransportRow kTransports[] = {
    {KeyTransport::kRsaPkcs1v15, "rsa-pkcs1"},
    {KeyTransport::kRsaOaep, "rsa-oaep"},
    {KeyTransport::kRsaOaepSha256, "rsa-oaep-sha256"},
};

}  // namespace

std::string_view ContentCipherName(ContentCipher cipher) {
  for (const CipherRow& r : kCiphers) {
    if (r.cipher == cipher) return r.name;
  }
  return "unknown";
}

std::string_view KeyTransportName(KeyTransport transport) {
  for (const TransportRow& r : kTransports) {
    if (r.transport == transport) return r.name;
  }
  return "unknown";
}

Result<ContentCipher> ParseContentCipher(std::string_view name) {
  for (const CipherRow& r : kCiphers) {
    if (r.name == name) return r.cipher;
  }
  return InvalidArgumentError("unknown content cipher \"" + std::string(name) +
                              "\" (aes-256-cbc, aes-192-cbc, aes-128-cbc, "
                              "aes-256-gcm, aes-192-gcm, aes-128-gcm)");
}

Result<KeyTransport> ParseKeyTransport(std::string_view name) {
  for (const TransportRow& r : kTransports) {
    if (r.name == name) return r.transport;
  }
  return InvalidArgumentError("unknown key transport \"" + std::string(name) +
                              "\" (rsa-pkcs1, rsa-oaep, rsa-oaep-sha256)");
}

bool IsAead(ContentCipher cipher) {
  return cipher == ContentCipher::kAes256Gcm ||
         cipher == ContentCipher::kAes192Gcm ||
         cipher == ContentCipher::kAes128Gcm;
}

const EVP_CIPHER* CipherFor(ContentCipher cipher) {
  switch (cipher) {
    case ContentCipher::kAes256Cbc:
      return EVP_aes_256_cbc();
    case ContentCipher::kAes192Cbc:
      return EVP_aes_192_cbc();
    case ContentCipher::kAes128Cbc:
      return EVP_aes_128_cbc();
    case ContentCipher::kAes256Gcm:
      return EVP_aes_256_gcm();
    case ContentCipher::kAes192Gcm:
      return EVP_aes_192_gcm();
    case ContentCipher::kAes128Gcm:
      return EVP_aes_128_gcm();
  }
  return nullptr;
}

bool ContentCipherFromNid(int nid, ContentCipher* out) {
  for (const CipherRow& r : kCiphers) {
    if (r.nid == nid) {
      *out = r.cipher;
      return true;
    }
  }
  return false;
}

}  // namespace seal::crypto
