// Key generation through EVP_PKEY_CTX (no deprecated RSA_/EC_KEY calls).
#include "lib/ca/key_type.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>
#include <string>
#include <utility>

namespace seal::ca {
namespace {

constexpr std::array<std::pair<KeyType, std::string_view>, 5> kNames = {{
    {KeyType::kRsa2048, "rsa2048"},
    {KeyType::kRsa3072, "rsa3072"},
    {KeyType::kRsa4096, "rsa4096"},
    {KeyType::kEcP256, "ec-p256"},
    {KeyType::kEcP384, "ec-p384"},
}};

}  // namespace

std::string_view KeyTypeName(KeyType type) {
  for (const auto& [t, name] : kNames) {
    if (t == type) return name;
  }
  return "unknown";
}

Result<KeyType> ParseKeyType(std::string_view name) {
  for (const auto& [t, n] : kNames) {
    if (n == name) return t;
  }
  return InvalidArgumentError("unknown key type '" + std::string(name) +
                              "' (rsa2048, rsa3072, rsa4096, ec-p256, "
                              "ec-p384)");
}

Result<store::EvpPkeyPtr> GenerateKey(KeyType type) {
  bool rsa = type == KeyType::kRsa2048 || type == KeyType::kRsa3072 ||
             type == KeyType::kRsa4096;
  store::ClearOpenSslErrors();
  store::EvpPkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, rsa ? "RSA" : "EC", nullptr));
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return store::OpenSslError("cannot start key generation");
  }
  int ok = 0;
  switch (type) {
    case KeyType::kRsa2048:
      ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048);
      break;
    case KeyType::kRsa3072:
      ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 3072);
      break;
    case KeyType::kRsa4096:
      ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 4096);
      break;
    case KeyType::kEcP256:
      ok = EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256");
      break;
    case KeyType::kEcP384:
      ok = EVP_PKEY_CTX_set_group_name(ctx.get(), "P-384");
      break;
  }
  if (ok != 1) return store::OpenSslError("cannot set key parameters");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    return store::OpenSslError("key generation failed");
  }
  return store::EvpPkeyPtr(raw);
}

}  // namespace seal::ca
