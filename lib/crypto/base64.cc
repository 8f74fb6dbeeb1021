// Base64 line encoder and streaming decoder.
#include "lib/crypto/base64.h"

#include <array>
#include <cstring>
#include <utility>

namespace seal::crypto {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr int8_t kInvalid = -1;
constexpr int8_t kSpace = -2;
constexpr int8_t kPad = -3;

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  t['\r'] = kSpace;
  t['\n'] = kSpace;
  t[' '] = kSpace;
  t['\t'] = kSpace;
  t['='] = kPad;
  return t;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

// Two output characters for every 12-bit value: one lookup per half of a
// 3-byte group instead of one per character (bench/encrypt_bench: the
// encoder was a quarter of a large S/MIME message's encryption time).
struct PairTable {
  char pair[4096][2];
};
constexpr PairTable MakePairTable() {
  PairTable t{};
  for (int i = 0; i < 4096; ++i) {
    t.pair[i][0] = kAlphabet[i >> 6];
    t.pair[i][1] = kAlphabet[i & 63];
  }
  return t;
}
constexpr PairTable kPairs = MakePairTable();

// Encodes `n` bytes (n <= 57) into `out`, returns the characters written.
size_t EncodeChunk(const unsigned char* in, size_t n, char* out) {
  char* o = out;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) |
                       uint32_t{in[i + 2]};
    std::memcpy(o, kPairs.pair[v >> 12], 2);
    std::memcpy(o + 2, kPairs.pair[v & 0xFFF], 2);
    o += 4;
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{in[i]} << 16;
    o[0] = kAlphabet[(v >> 18) & 63];
    o[1] = kAlphabet[(v >> 12) & 63];
    o[2] = '=';
    o[3] = '=';
    o += 4;
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    o[0] = kAlphabet[(v >> 18) & 63];
    o[1] = kAlphabet[(v >> 12) & 63];
    o[2] = kAlphabet[(v >> 6) & 63];
    o[3] = '=';
    o += 4;
  }
  return static_cast<size_t>(o - out);
}

}  // namespace

Base64LineEncoder::Base64LineEncoder(ByteSink out, size_t block_bytes)
    : out_(std::move(out)),
      block_bytes_(block_bytes < 128 ? 128 : block_bytes) {
  // Sized once: a block fills to block_bytes_ and then takes at most one
  // batch of lines (Write) or the last, short line (Finish) before it is
  // flushed. The string is a buffer here; used_ is its content.
  block_.resize(block_bytes_ + (LinesPerBlock() + 1) * (kLineChars + 2));
}

size_t Base64LineEncoder::LinesPerBlock() const {
  return block_bytes_ / (kLineChars + 2) + 1;
}

void Base64LineEncoder::EncodeLines(const unsigned char* in, size_t lines) {
  char* o = &block_[used_];
  for (size_t l = 0; l < lines; ++l) {
    EncodeChunk(in + l * kLineBytes, kLineBytes, o);
    o[kLineChars] = '\r';
    o[kLineChars + 1] = '\n';
    o += kLineChars + 2;
  }
  used_ += lines * (kLineChars + 2);
}

Status Base64LineEncoder::Flush() {
  if (used_ == 0) return Status::Ok();
  Status s = out_(std::string_view(block_.data(), used_));
  used_ = 0;
  return s;
}

Status Base64LineEncoder::FlushIfFull() {
  if (used_ < block_bytes_) return Status::Ok();
  return Flush();
}

Status Base64LineEncoder::Write(std::string_view data) {
  if (finished_) return InternalError("base64 encoder used after Finish");
  input_bytes_ += data.size();
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  if (carry_len_ > 0) {
    size_t take = std::min(n, kLineBytes - carry_len_);
    std::memcpy(carry_ + carry_len_, in, take);
    carry_len_ += take;
    in += take;
    n -= take;
    if (carry_len_ < kLineBytes) return Status::Ok();
    EncodeLines(carry_, 1);
    carry_len_ = 0;
    SEAL_RETURN_IF_ERROR(FlushIfFull());
  }
  // Whole lines straight from the input, a block at a time.
  const size_t lines_per_block = LinesPerBlock();
  while (n >= kLineBytes) {
    size_t lines = std::min(n / kLineBytes, lines_per_block);
    EncodeLines(in, lines);
    in += lines * kLineBytes;
    n -= lines * kLineBytes;
    SEAL_RETURN_IF_ERROR(FlushIfFull());
  }
  std::memcpy(carry_, in, n);
  carry_len_ = n;
  return Status::Ok();
}

Status Base64LineEncoder::Finish() {
  if (finished_) return Status::Ok();
  finished_ = true;
  if (carry_len_ > 0) {
    used_ += EncodeChunk(carry_, carry_len_, &block_[used_]);
    block_[used_++] = '\r';
    block_[used_++] = '\n';
    carry_len_ = 0;
  }
  return Flush();
}

Result<size_t> Base64Decoder::Read(char* buf, size_t n) {
  size_t out = 0;
  // Bytes of a group that did not fit last time.
  while (pending_pos_ < pending_len_ && out < n) {
    buf[out++] = static_cast<char>(pending_[pending_pos_++]);
  }
  auto emit = [&](const unsigned char* bytes, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      if (out < n) {
        buf[out++] = static_cast<char>(bytes[i]);
      } else {
        pending_[pending_len_++] = bytes[i];
      }
    }
  };
  while (out < n && !done_) {
    pending_len_ = 0;
    pending_pos_ = 0;
    if (pos_ >= in_.size()) {
      // End of input: finish a partial group.
      if (quad_len_ == 1) {
        return ParseError(
            "base64 data is truncated (a lone character in "
            "the last group)");
      }
      unsigned char bytes[2];
      size_t count = 0;
      if (quad_len_ == 2) {
        bytes[0] = static_cast<unsigned char>(quad_ >> 4);
        count = 1;
      } else if (quad_len_ == 3) {
        bytes[0] = static_cast<unsigned char>(quad_ >> 10);
        bytes[1] = static_cast<unsigned char>(quad_ >> 2);
        count = 2;
      }
      quad_len_ = 0;
      done_ = true;
      emit(bytes, count);
      break;
    }
    unsigned char c = static_cast<unsigned char>(in_[pos_]);
    int8_t v = kDecode[c];
    if (v >= 0) {
      if (padded_) {
        return ParseError("base64 data continues after '=' padding at offset " +
                          std::to_string(pos_));
      }
      ++pos_;
      quad_ = (quad_ << 6) | static_cast<uint32_t>(v);
      if (++quad_len_ == 4) {
        unsigned char bytes[3] = {static_cast<unsigned char>(quad_ >> 16),
                                  static_cast<unsigned char>(quad_ >> 8),
                                  static_cast<unsigned char>(quad_)};
        quad_ = 0;
        quad_len_ = 0;
        emit(bytes, 3);
      }
      continue;
    }
    if (v == kSpace) {
      ++pos_;
      continue;
    }
    if (v == kPad) {
      if (!padded_) {
        if (quad_len_ < 2) {
          return ParseError("misplaced base64 padding at offset " +
                            std::to_string(pos_));
        }
        padded_ = true;
        unsigned char bytes[2];
        size_t count = 0;
        if (quad_len_ == 2) {
          bytes[0] = static_cast<unsigned char>(quad_ >> 4);
          count = 1;
        } else {
          bytes[0] = static_cast<unsigned char>(quad_ >> 10);
          bytes[1] = static_cast<unsigned char>(quad_ >> 2);
          count = 2;
        }
        quad_ = 0;
        quad_len_ = 0;
        emit(bytes, count);
      }
      ++pos_;
      continue;
    }
    return ParseError(
        "invalid base64 character 0x" +
        std::string{"0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]} +
        " at offset " + std::to_string(pos_));
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view encoded) {
  Base64Decoder decoder(encoded);
  std::string out;
  out.reserve(encoded.size() / 4 * 3 + 3);
  char buf[4096];
  for (;;) {
    Result<size_t> n = decoder.Read(buf, sizeof buf);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

std::string Base64EncodeLines(std::string_view data) {
  std::string out;
  Base64LineEncoder enc(StringSink(&out));
  if (!enc.Write(data).ok() || !enc.Finish().ok()) return std::string();
  return out;
}

}  // namespace seal::crypto
