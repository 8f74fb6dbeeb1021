// Streaming base64 for S/MIME bodies: an encoder writing RFC 2045 lines of
// 76 characters ending in CRLF into a ByteSink, and a decoder reading a
// base64 body (from a view) in pieces, so a 25 MB CMS object is never held
// twice in encoded and decoded form.
//
// Encoder: output is gathered into blocks of about 64 KiB before reaching
// the sink; Finish() writes the last partial line (with padding) and CRLF.
// Decoder: CR, LF, space and tab are ignored anywhere; any other byte
// outside the alphabet is kParseError naming its offset; '=' padding ends
// the data (only whitespace may follow); a final group of one character is
// a truncation error; a missing final padding is accepted.
// Known limits: no RFC 4648 base64url alphabet (mail never uses it).
// Thread-safety: one object per thread; no shared state.
#ifndef SEALMILTER_LIB_CRYPTO_BASE64_H_
#define SEALMILTER_LIB_CRYPTO_BASE64_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/crypto/byte_io.h"
#include "lib/status.h"

namespace seal::crypto {

class Base64LineEncoder {
 public:
  static constexpr size_t kLineChars = 76;  // RFC 2045 maximum
  static constexpr size_t kLineBytes = 57;  // input bytes per full line

  explicit Base64LineEncoder(ByteSink out, size_t block_bytes = 64 * 1024);

  Status Write(std::string_view data);
  // Encodes what is left, flushes. Further writes are an error.
  Status Finish();

  uint64_t input_bytes() const { return input_bytes_; }

 private:
  size_t LinesPerBlock() const;
  void EncodeLines(const unsigned char* in, size_t lines);
  Status Flush();
  Status FlushIfFull();

  ByteSink out_;
  size_t block_bytes_;
  std::string block_;  // buffer: encoded text waiting for the sink
  size_t used_ = 0;    // bytes of block_ in use
  unsigned char carry_[kLineBytes];
  size_t carry_len_ = 0;
  uint64_t input_bytes_ = 0;
  bool finished_ = false;
};

class Base64Decoder {
 public:
  explicit Base64Decoder(std::string_view encoded) : in_(encoded) {}

  // Decodes into `buf` up to `n` bytes; 0 means the end of the data.
  Result<size_t> Read(char* buf, size_t n);

  // Bytes of `encoded` consumed so far.
  size_t consumed() const { return pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  uint32_t quad_ = 0;    // bits of the current group
  int quad_len_ = 0;     // characters in the current group
  bool padded_ = false;  // saw '='
  bool done_ = false;
  unsigned char pending_[3];
  size_t pending_len_ = 0;
  size_t pending_pos_ = 0;
};

// Convenience for small inputs (certificates, tests).
Result<std::string> Base64Decode(std::string_view encoded);
std::string Base64EncodeLines(std::string_view data);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_BASE64_H_
