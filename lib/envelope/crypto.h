// The envelope's cryptographic primitives, over OpenSSL's EVP interface:
// random bytes, SHA-256, PBKDF2-HMAC-SHA256, and AES-256-GCM both one-shot
// (key wrapping, small data) and streaming (the message content).
//
// Every failing OpenSSL call becomes a Status carrying the OpenSSL error
// queue. Authentication failures of AES-GCM are kInvalidArgument with the
// message "authentication failed" so callers can tell them from other errors.
// Limits: AES-GCM here always uses a 96-bit IV and a 128-bit tag.
// Thread-safety: functions are thread-safe; a GcmEncryptor belongs to one
// thread.
#ifndef SEALMILTER_LIB_ENVELOPE_CRYPTO_H_
#define SEALMILTER_LIB_ENVELOPE_CRYPTO_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::envelope {

inline constexpr size_t kAesKeySize = 32;  // AES-256
inline constexpr size_t kGcmIvSize = 12;   // 96-bit IV
inline constexpr size_t kGcmTagSize = 16;  // 128-bit tag

// `n` bytes from OpenSSL's CSPRNG.
Result<std::string> RandomBytes(size_t n);

// SHA-256 digest (32 raw bytes).
Result<std::string> Sha256(std::string_view data);

// PBKDF2-HMAC-SHA256 producing `length` bytes.
Result<std::string> Pbkdf2Sha256(std::string_view password,
                                 std::string_view salt, uint32_t iterations,
                                 size_t length);

// AES-256-GCM: returns ciphertext || tag.
Result<std::string> AesGcmSeal(std::string_view key, std::string_view iv,
                               std::string_view aad,
                               std::string_view plaintext);
// Inverse of AesGcmSeal. A wrong key or modified input gives
// kInvalidArgument "authentication failed". Output is released only after
// the tag has been verified.
Result<std::string> AesGcmOpen(std::string_view key, std::string_view iv,
                               std::string_view aad,
                               std::string_view ciphertext_and_tag);

// True when `status` is the authentication failure of AesGcmOpen.
bool IsAuthenticationFailure(const Status& status);

// Streaming AES-256-GCM encryption. Update() appends the ciphertext of each
// slice to `out`; Final() returns the 16-byte tag.
class GcmEncryptor {
 public:
  static Result<std::unique_ptr<GcmEncryptor>> Create(std::string_view key,
                                                      std::string_view iv,
                                                      std::string_view aad);
  ~GcmEncryptor();
  GcmEncryptor(const GcmEncryptor&) = delete;
  GcmEncryptor& operator=(const GcmEncryptor&) = delete;

  Status Update(std::string_view plaintext, std::string* out);
  Result<std::string> Final();

 private:
  struct Ctx;
  explicit GcmEncryptor(std::unique_ptr<Ctx> ctx);
  std::unique_ptr<Ctx> ctx_;
};

// Overwrites `s` with zeros (key material) before it is released.
void Cleanse(std::string* s);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_CRYPTO_H_
