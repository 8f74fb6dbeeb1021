// OpenSSL EVP wrappers for the envelope (see crypto.h).
#include "lib/envelope/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>

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

Result<std::string> Pbkdf2Sha256(std::string_view password,
                                 std::string_view salt, uint32_t iterations,
                                 size_t length) {
  if (iterations == 0 || iterations > INT_MAX || length > 1024 ||
      password.size() > INT_MAX || salt.size() > INT_MAX) {
    return InvalidArgumentError("PBKDF2 parameters out of range");
  }
  std::string out(length, '\0');
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
