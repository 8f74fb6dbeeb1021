// SecretBytes: a fixed-size buffer for key material that is wiped
// (OPENSSL_cleanse) when destroyed or moved from, and never copied.
//
// Known limits: the pages are not mlock()ed, so key material may reach swap;
// buffers OpenSSL allocates internally are OpenSSL's to wipe.
// Thread-safety: like a std::vector (one writer, or many readers).
#ifndef SEALMILTER_LIB_STORE_SECRET_H_
#define SEALMILTER_LIB_STORE_SECRET_H_

#include <cstddef>
#include <string_view>
#include <vector>

namespace seal::store {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size) {}
  explicit SecretBytes(std::string_view data)
      : bytes_(data.begin(), data.end()) {}
  ~SecretBytes() { Wipe(); }
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  unsigned char* data() { return bytes_.data(); }
  const unsigned char* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string_view view() const;
  // Shrinks to `n` bytes (n <= size()), wiping the tail first.
  void Truncate(size_t n);

 private:
  void Wipe();
  std::vector<unsigned char> bytes_;
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_SECRET_H_
