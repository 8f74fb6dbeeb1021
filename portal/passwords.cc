// argon2id password hashing for portal accounts (passwords.h).
#include "portal/passwords.h"

#include <sodium.h>

#include <map>
#include <mutex>

#include "lib/ascii.h"

namespace seal::portal {
namespace {

bool Init() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

// Valid UTF-8 without C0/C1 control characters or DEL.
bool PrintableUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    if (cp >= 0x80 && cp < 0xa0) return false;  // C1 controls
    i += len;
  }
  return true;
}

}  // namespace

HashCost MinimumCost() {
  return HashCost{crypto_pwhash_argon2id_OPSLIMIT_MIN,
                  crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

Status CheckNewPassword(std::string_view password, std::string_view email) {
  if (password.size() < kMinPasswordBytes) {
    return InvalidArgumentError("the password must have at least " +
                                std::to_string(kMinPasswordBytes) +
                                " characters");
  }
  if (password.size() > kMaxPasswordBytes) {
    return InvalidArgumentError("the password must have at most " +
                                std::to_string(kMaxPasswordBytes) + " bytes");
  }
  if (!PrintableUtf8(password)) {
    return InvalidArgumentError(
        "the password must be text without control characters");
  }
  if (!email.empty() && EqualsIgnoreAsciiCase(password, email)) {
    return InvalidArgumentError("the password must not be the address");
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password,
                                 const HashCost& cost) {
  if (!Init()) return InternalError("libsodium cannot be initialised");
  if (password.size() > kMaxPasswordBytes) {
    return InvalidArgumentError("password too long");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(),
                                 cost.passes, cost.memory_bytes) != 0) {
    return ResourceExhaustedError(
        "password hashing ran out of memory (argon2id, " +
        std::to_string(cost.memory_bytes >> 20) + " MiB)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!Init()) return false;
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES ||
      password.size() > kMaxPasswordBytes || !hash.starts_with("$argon2id$")) {
    return false;
  }
  std::string z(hash);  // NUL-terminated for libsodium
  return crypto_pwhash_argon2id_str_verify(z.c_str(), password.data(),
                                           password.size()) == 0;
}

bool NeedsRehash(std::string_view hash, const HashCost& cost) {
  if (!Init()) return true;
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  std::string z(hash);
  return crypto_pwhash_argon2id_str_needs_rehash(z.c_str(), cost.passes,
                                                 cost.memory_bytes) != 0;
}

const std::string& DummyHash(const HashCost& cost) {
  static std::mutex mu;
  static std::map<std::pair<uint64_t, size_t>, std::string> cache;
  std::lock_guard<std::mutex> lock(mu);
  std::string& h = cache[{cost.passes, cost.memory_bytes}];
  if (h.empty()) {
    unsigned char random[24];
    Init();
    randombytes_buf(random, sizeof random);
    std::string pw(reinterpret_cast<const char*>(random), sizeof random);
    Result<std::string> made = HashPassword(pw, cost);
    h = made.ok() ? *made : std::string("$argon2id$invalid");
  }
  return h;
}

}  // namespace seal::portal
