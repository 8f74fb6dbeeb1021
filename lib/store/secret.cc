// SecretBytes: wiping on destruction, move and truncation.
#include "lib/store/secret.h"

#include <openssl/crypto.h>

#include <utility>

namespace seal::store {

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

std::string_view SecretBytes::view() const {
  return std::string_view(reinterpret_cast<const char*>(bytes_.data()),
                          bytes_.size());
}

void SecretBytes::Truncate(size_t n) {
  if (n >= bytes_.size()) return;
  OPENSSL_cleanse(bytes_.data() + n, bytes_.size() - n);
  bytes_.resize(n);
}

void SecretBytes::Wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

}  // namespace seal::store
