// Key types the built-in CA generates, their config names, and generation.
//
// Names: "rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384". User keys
// default to RSA 2048 because gpgsm and NSS (Debian 12) decrypt only RSA
// key transport (DESIGN.md); EC user keys would need ECDH, which they lack.
// Thread-safety: pure functions (OpenSSL's RNG is thread-safe).
#ifndef SEALMILTER_LIB_CA_KEY_TYPE_H_
#define SEALMILTER_LIB_CA_KEY_TYPE_H_

#include <string_view>

#include "lib/status.h"
#include "lib/store/openssl_util.h"

namespace seal::ca {

enum class KeyType { kRsa2048, kRsa3072, kRsa4096, kEcP256, kEcP384 };

std::string_view KeyTypeName(KeyType type);
Result<KeyType> ParseKeyType(std::string_view name);

// A fresh private key of `type`.
Result<store::EvpPkeyPtr> GenerateKey(KeyType type);

}  // namespace seal::ca

#endif  // SEALMILTER_LIB_CA_KEY_TYPE_H_
