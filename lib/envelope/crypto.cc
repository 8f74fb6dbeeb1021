// OpenSSL EVP wrappers for the envelope (see crypto.h).
// PBKDF2 uses OpenSSL's low-level SHA256_Transform (deprecated in OpenSSL
// 3.0, still built in Debian 12's), see FastPbkdf2Sha256.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lib/envelope/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace seal::envelope {
namespace {

constexpr std::string_view kAuthFailed = "authentication failed";

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// "what: <OpenSSL error queue>", emptying the queue.
Status OpenSslError(std::string_view what) {
  std::string msg(what);
  unsigned long code;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return InternalError(std::move(msg));
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status CheckSizes(std::string_view key, std::string_view iv) {
  if (key.size() != kAesKeySize) {
    return InvalidArgumentError("AES-256-GCM key must be 32 bytes");
  }
  if (iv.size() != kGcmIvSize) {
    return InvalidArgumentError("AES-256-GCM IV must be 12 bytes");
  }
  return Status::Ok();
}

// Splits a large update so each EVP call gets an int-sized length.
constexpr size_t kMaxChunk = 1u << 30;

Result<CipherCtxPtr> InitGcm(std::string_view key, std::string_view iv,
                             std::string_view aad, bool encrypt) {
  SEAL_RETURN_IF_ERROR(CheckSizes(key, iv));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslError("EVP_CIPHER_CTX_new");
  int enc = encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr,
                        enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN,
                          static_cast<int>(kGcmIvSize), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, Bytes(key), Bytes(iv),
                        enc) != 1) {
    return OpenSslError("AES-256-GCM init");
  }
  while (!aad.empty()) {
    size_t n = aad.size() < kMaxChunk ? aad.size() : kMaxChunk;
    int outl = 0;
    if (EVP_CipherUpdate(ctx.get(), nullptr, &outl, Bytes(aad),
                         static_cast<int>(n)) != 1) {
      return OpenSslError("AES-256-GCM additional data");
    }
    aad.remove_prefix(n);
  }
  return ctx;
}

// Runs `in` through the cipher, appending to `out` (GCM output = input size).
Status CipherUpdate(EVP_CIPHER_CTX* ctx, std::string_view in,
                    std::string* out) {
  while (!in.empty()) {
    size_t n = in.size() < kMaxChunk ? in.size() : kMaxChunk;
    size_t old = out->size();
    out->resize(old + n);
    int outl = 0;
    if (EVP_CipherUpdate(ctx, reinterpret_cast<unsigned char*>(&(*out)[old]),
                         &outl, Bytes(in), static_cast<int>(n)) != 1) {
      return OpenSslError("AES-256-GCM update");
    }
    out->resize(old + static_cast<size_t>(outl));
    in.remove_prefix(n);
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > INT_MAX) return InvalidArgumentError("random request too large");
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                          static_cast<int>(n)) != 1) {
    return OpenSslError("RAND_bytes");
  }
  return out;
}

Result<std::string> Sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(),
                 reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != 32) {
    return OpenSslError("SHA-256");
  }
  return out;
}

namespace {

void StoreDigest(const SHA256_CTX& c, unsigned char out[32]) {
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = static_cast<unsigned char>(c.h[i] >> 24);
    out[4 * i + 1] = static_cast<unsigned char>(c.h[i] >> 16);
    out[4 * i + 2] = static_cast<unsigned char>(c.h[i] >> 8);
    out[4 * i + 3] = static_cast<unsigned char>(c.h[i]);
  }
}

// PBKDF2-HMAC-SHA256 (RFC 8018) with the HMAC key's inner and outer SHA-256
// states computed once, and each iteration after the first as two block
// transforms on one prepared block (U, padding, length): the same bytes as
// PKCS5_PBKDF2_HMAC in about a third of its time, because OpenSSL 3.0
// copies and frees HMAC and digest contexts on every iteration (measured
// by bench/pbkdf2_bench, which also compares the two on random inputs).
// Every intermediate is cleansed.
void FastPbkdf2Sha256(std::string_view password, std::string_view salt,
                      uint32_t iterations, unsigned char* out, size_t length) {
  unsigned char key[64] = {};
  if (password.size() > 64) {
    SHA256(reinterpret_cast<const unsigned char*>(password.data()),
           password.size(), key);
  } else {
    std::memcpy(key, password.data(), password.size());
  }
  unsigned char pad[64];
  SHA256_CTX inner, outer, c;
  for (int i = 0; i < 64; ++i)
    pad[i] = static_cast<unsigned char>(key[i] ^ 0x36);
  SHA256_Init(&inner);
  SHA256_Update(&inner, pad, 64);
  for (int i = 0; i < 64; ++i)
    pad[i] = static_cast<unsigned char>(key[i] ^ 0x5c);
  SHA256_Init(&outer);
  SHA256_Update(&outer, pad, 64);
  // A 32-byte message after the 64-byte key block: 0x80, zeros, 768 bits.
  unsigned char block[64] = {};
  block[32] = 0x80;
  block[62] = 0x03;
  unsigned char u[32], t[32];
  size_t done = 0;
  for (uint32_t n = 1; done < length; ++n) {
    const unsigned char be[4] = {static_cast<unsigned char>(n >> 24),
                                 static_cast<unsigned char>(n >> 16),
                                 static_cast<unsigned char>(n >> 8),
                                 static_cast<unsigned char>(n)};
    c = inner;  // U1 = HMAC(P, S || INT(n))
    SHA256_Update(&c, salt.data(), salt.size());
    SHA256_Update(&c, be, 4);
    SHA256_Final(u, &c);
    c = outer;
    SHA256_Update(&c, u, 32);
    SHA256_Final(u, &c);
    std::memcpy(t, u, 32);
    for (uint32_t i = 1; i < iterations; ++i) {  // Ui = HMAC(P, Ui-1)
      std::memcpy(block, u, 32);
      c = inner;
      SHA256_Transform(&c, block);
      StoreDigest(c, block);
      c = outer;
      SHA256_Transform(&c, block);
      StoreDigest(c, u);
      for (int k = 0; k < 32; ++k) t[k] ^= u[k];
    }
    const size_t take = std::min<size_t>(32, length - done);
    std::memcpy(out + done, t, take);
    done += take;
  }
  OPENSSL_cleanse(key, sizeof key);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(u, sizeof u);
  OPENSSL_cleanse(t, sizeof t);
  OPENSSL_cleanse(&inner, sizeof inner);
  OPENSSL_cleanse(&outer, sizeof outer);
  OPENSSL_cleanse(&c, sizeof c);
}

// RFC 7914 section 11's PBKDF2-HMAC-SHA256 vectors ("passwd"/"salt", c=1,
// all 64 bytes, so two blocks; "Password"/"NaCl", c=80000, the first 16),
// checked once against FastPbkdf2Sha256; on a mismatch OpenSSL's own
// derivation is used.
bool FastPbkdf2Works() {
  static const bool works = [] {
    static const unsigned char kOne[64] = {
        0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91,
        0xc2, 0x25, 0x44, 0xb6, 0x05, 0xf9, 0x41, 0x85, 0x21, 0x6d, 0xde,
        0x04, 0x65, 0xe6, 0x8b, 0x9d, 0x57, 0xc2, 0x0d, 0xac, 0xbc, 0x49,
        0xca, 0x9c, 0xcc, 0xf1, 0x79, 0xb6, 0x45, 0x99, 0x16, 0x64, 0xb3,
        0x9d, 0x77, 0xef, 0x31, 0x7c, 0x71, 0xb8, 0x45, 0xb1, 0xe3, 0x0b,
        0xd5, 0x09, 0x11, 0x20, 0x41, 0xd3, 0xa1, 0x97, 0x83};
    static const unsigned char kMany[16] = {0x4d, 0xdc, 0xd8, 0xf6, 0x0b, 0x98,
                                            0xbe, 0x21, 0x83, 0x0c, 0xee, 0x5e,
                                            0xf2, 0x27, 0x01, 0xf9};
    unsigned char got[64];
    FastPbkdf2Sha256("passwd", "salt", 1, got, sizeof got);
    if (std::memcmp(got, kOne, sizeof kOne) != 0) return false;
    FastPbkdf2Sha256("Password", "NaCl", 80000, got, sizeof got);
    return std::memcmp(got, kMany, sizeof kMany) == 0;
  }();
  return works;
}

}  // namespace

Result<std::string> Pbkdf2Sha256(std::string_view password,
                                 std::string_view salt, uint32_t iterations,
                                 size_t length) {
  if (iterations == 0 || iterations > INT_MAX || length > 1024 ||
      password.size() > INT_MAX || salt.size() > INT_MAX) {
    return InvalidArgumentError("PBKDF2 parameters out of range");
  }
  std::string out(length, '\0');
  if (FastPbkdf2Works()) {
    FastPbkdf2Sha256(password, salt, iterations,
                     reinterpret_cast<unsigned char*>(out.data()), length);
    return out;
  }
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        Bytes(salt), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(length),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return OpenSslError("PBKDF2-HMAC-SHA256");
  }
  return out;
}

Result<std::string> AesGcmSeal(std::string_view key, std::string_view iv,
                               std::string_view aad,
                               std::string_view plaintext) {
  auto ctx = InitGcm(key, iv, aad, true);
  if (!ctx.ok()) return ctx.status();
  std::string out;
  out.reserve(plaintext.size() + kGcmTagSize);
  SEAL_RETURN_IF_ERROR(CipherUpdate(ctx->get(), plaintext, &out));
  int outl = 0;
  unsigned char tag[kGcmTagSize];
  if (EVP_EncryptFinal_ex(ctx->get(), tag, &outl) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_GET_TAG,
                          static_cast<int>(kGcmTagSize), tag) != 1) {
    return OpenSslError("AES-256-GCM final");
  }
  out.append(reinterpret_cast<const char*>(tag), kGcmTagSize);
  return out;
}

Result<std::string> AesGcmOpen(std::string_view key, std::string_view iv,
                               std::string_view aad,
                               std::string_view ciphertext_and_tag) {
  if (ciphertext_and_tag.size() < kGcmTagSize) {
    return Status(StatusCode::kInvalidArgument, std::string(kAuthFailed));
  }
  std::string_view ct =
      ciphertext_and_tag.substr(0, ciphertext_and_tag.size() - kGcmTagSize);
  std::string tag(ciphertext_and_tag.substr(ct.size()));
  auto ctx = InitGcm(key, iv, aad, false);
  if (!ctx.ok()) return ctx.status();
  std::string out;
  out.reserve(ct.size());
  SEAL_RETURN_IF_ERROR(CipherUpdate(ctx->get(), ct, &out));
  if (EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_SET_TAG,
                          static_cast<int>(kGcmTagSize), tag.data()) != 1) {
    return OpenSslError("AES-256-GCM set tag");
  }
  int outl = 0;
  unsigned char dummy[16];
  if (EVP_DecryptFinal_ex(ctx->get(), dummy, &outl) != 1) {
    ERR_clear_error();
    Cleanse(&out);
    return Status(StatusCode::kInvalidArgument, std::string(kAuthFailed));
  }
  return out;
}

bool IsAuthenticationFailure(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument &&
         status.message() == kAuthFailed;
}

struct GcmEncryptor::Ctx {
  CipherCtxPtr ctx;
};

GcmEncryptor::GcmEncryptor(std::unique_ptr<Ctx> ctx) : ctx_(std::move(ctx)) {}
GcmEncryptor::~GcmEncryptor() = default;

Result<std::unique_ptr<GcmEncryptor>> GcmEncryptor::Create(
    std::string_view key, std::string_view iv, std::string_view aad) {
  auto ctx = InitGcm(key, iv, aad, true);
  if (!ctx.ok()) return ctx.status();
  auto c = std::make_unique<Ctx>();
  c->ctx = std::move(ctx).value();
  return std::unique_ptr<GcmEncryptor>(new GcmEncryptor(std::move(c)));
}

Status GcmEncryptor::Update(std::string_view plaintext, std::string* out) {
  return CipherUpdate(ctx_->ctx.get(), plaintext, out);
}

Result<std::string> GcmEncryptor::Final() {
  int outl = 0;
  unsigned char tag[kGcmTagSize];
  if (EVP_EncryptFinal_ex(ctx_->ctx.get(), tag, &outl) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_->ctx.get(), EVP_CTRL_GCM_GET_TAG,
                          static_cast<int>(kGcmTagSize), tag) != 1) {
    return OpenSslError("AES-256-GCM final");
  }
  return std::string(reinterpret_cast<const char*>(tag), kGcmTagSize);
}

void Cleanse(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
}

}  // namespace seal::envelope
