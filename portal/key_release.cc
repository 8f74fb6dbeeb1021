// ECDH P-256 + HKDF + AES-GCM wrapping of a content key for the browser
// (key_release.h).
#include "portal/key_release.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <utility>

#include "lib/envelope/crypto.h"
#include "lib/openssl_ptr.h"

namespace seal::portal {
namespace {

constexpr char kGroup[] = "prime256v1";

Status Ssl(std::string what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    what += ": ";
    what += buf;
  }
  return InternalError(std::move(what));
}

using ParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;

// An EVP_PKEY from a public point (and, if given, the private scalar).
Result<EvpPkeyPtr> FromRaw(std::string_view pub, std::string_view priv) {
  if (pub.size() != kP256PointBytes || pub[0] != '\x04') {
    return InvalidArgumentError(
        "the browser key is not an uncompressed P-256 point");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) return Ssl("OSSL_PARAM_BLD_new");
  BignumPtr d;
  if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      kGroup, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       pub.data(), pub.size()) != 1) {
    return Ssl("EC parameters");
  }
  if (!priv.empty()) {
    d.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(priv.data()),
                      static_cast<int>(priv.size()), nullptr));
    if (!d || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY,
                                     d.get()) != 1) {
      return Ssl("EC private key");
    }
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return Ssl("EC key context");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw,
                        priv.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR,
                        params.get()) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("the browser key is not a P-256 point");
  }
  EvpPkeyPtr key(raw);
  // The point must be on the curve (fromdata does not always check).
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("the browser key is not a P-256 point");
  }
  return key;
}

Result<std::string> PublicOf(EVP_PKEY* key) {
  unsigned char buf[kP256PointBytes + 8];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      buf, sizeof buf, &len) != 1 ||
      len != kP256PointBytes) {
    return Ssl("EC public key");
  }
  return std::string(reinterpret_cast<const char*>(buf), len);
}

Result<std::string> Derive(EVP_PKEY* mine, EVP_PKEY* peer) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, mine, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 1) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1 || len != 32) {
    return Ssl("ECDH");
  }
  std::string secret(len, '\0');
  if (EVP_PKEY_derive(ctx.get(),
                      reinterpret_cast<unsigned char*>(secret.data()),
                      &len) != 1) {
    return Ssl("ECDH");
  }
  return secret;
}

Result<std::string> Hkdf(std::string_view ikm, std::string_view salt) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return Ssl("HKDF");
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (kctx == nullptr) return Ssl("HKDF");
  std::string out(32, '\0');
  char digest[] = "SHA256";
  std::string ikm_copy(ikm), salt_copy(salt), info(kReleaseInfo);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm_copy.data(),
                                        ikm_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(),
                                        salt_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  int rc = EVP_KDF_derive(kctx, reinterpret_cast<unsigned char*>(out.data()),
                          out.size(), params);
  EVP_KDF_CTX_free(kctx);
  if (rc != 1) return Ssl("HKDF");
  return out;
}

std::string Aad(std::string_view envelope_id, std::string_view portal_pub,
                std::string_view browser_pub) {
  std::string aad(kReleaseInfo);
  aad += '|';
  aad += envelope_id;
  aad += '|';
  aad += portal_pub;
  aad += '|';
  aad += browser_pub;
  return aad;
}

}  // namespace

Result<WrappedRelease> WrapForBrowser(std::string_view browser_public,
                                      std::string_view envelope_id,
                                      std::string_view content_key) {
  if (content_key.size() != 32) {
    return InvalidArgumentError("the content key must be 32 bytes");
  }
  if (envelope_id.empty()) return InvalidArgumentError("no envelope id");
  Result<EvpPkeyPtr> peer = FromRaw(browser_public, {});
  if (!peer.ok()) return peer.status();
  EvpPkeyPtr mine(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", kGroup));
  if (!mine) return Ssl("EC key generation");
  Result<std::string> shared = Derive(mine.get(), peer->get());
  if (!shared.ok()) return shared.status();
  Result<std::string> kek = Hkdf(*shared, envelope_id);
  if (!kek.ok()) return kek.status();
  WrappedRelease out;
  Result<std::string> pub = PublicOf(mine.get());
  if (!pub.ok()) return pub.status();
  out.portal_public = std::move(pub).value();
  out.iv.assign(12, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.iv.data()), 12) != 1) {
    return Ssl("random IV");
  }
  Result<std::string> sealed = envelope::AesGcmSeal(
      *kek, out.iv, Aad(envelope_id, out.portal_public, browser_public),
      content_key);
  if (!sealed.ok()) return sealed.status();
  out.wrapped = std::move(sealed).value();
  return out;
}

Result<std::string> UnwrapAsBrowser(std::string_view browser_private,
                                    std::string_view browser_public,
                                    std::string_view envelope_id,
                                    const WrappedRelease& release) {
  Result<EvpPkeyPtr> mine = FromRaw(browser_public, browser_private);
  if (!mine.ok()) return mine.status();
  Result<EvpPkeyPtr> peer = FromRaw(release.portal_public, {});
  if (!peer.ok()) return peer.status();
  Result<std::string> shared = Derive(mine->get(), peer->get());
  if (!shared.ok()) return shared.status();
  Result<std::string> kek = Hkdf(*shared, envelope_id);
  if (!kek.ok()) return kek.status();
  return envelope::AesGcmOpen(
      *kek, release.iv, Aad(envelope_id, release.portal_public, browser_public),
      release.wrapped);
}

Result<std::pair<std::string, std::string>> NewBrowserKeyPair() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", kGroup));
  if (!key) return Ssl("EC key generation");
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) {
    return Ssl("EC private key");
  }
  BignumPtr dp(d);
  std::string priv(32, '\0');
  if (BN_bn2binpad(d, reinterpret_cast<unsigned char*>(priv.data()), 32) !=
      32) {
    return Ssl("EC private key");
  }
  Result<std::string> pub = PublicOf(key.get());
  if (!pub.ok()) return pub.status();
  return std::make_pair(std::move(priv), std::move(pub).value());
}

}  // namespace seal::portal
