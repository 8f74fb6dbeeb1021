// Base64 encoder/decoder (see base64.h).
#include "lib/envelope/base64.h"

#include <array>
#include <utility>

namespace seal::envelope {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kOutChunk = 48 * 1024;

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  t[static_cast<unsigned char>(' ')] = -2;
  t[static_cast<unsigned char>('\t')] = -2;
  t[static_cast<unsigned char>('\r')] = -2;
  t[static_cast<unsigned char>('\n')] = -2;
  t[static_cast<unsigned char>('\f')] = -2;
  t[static_cast<unsigned char>('=')] = -3;
  return t;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

void EncodeGroup(const unsigned char* in, size_t n, char out[4]) {
  uint32_t v = static_cast<uint32_t>(in[0]) << 16;
  if (n > 1) v |= static_cast<uint32_t>(in[1]) << 8;
  if (n > 2) v |= in[2];
  out[0] = kAlphabet[(v >> 18) & 63];
  out[1] = kAlphabet[(v >> 12) & 63];
  out[2] = n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
  out[3] = n > 2 ? kAlphabet[v & 63] : '=';
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  char group[4];
  for (size_t i = 0; i < n; i += 3) {
    EncodeGroup(p + i, n - i >= 3 ? 3 : n - i, group);
    out.append(group, 4);
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int count = 0;
  int padding = 0;
  for (char ch : text) {
    int8_t v = kDecode[static_cast<unsigned char>(ch)];
    if (v == -2) continue;
    if (v == -1) return ParseError("invalid character in base64 data");
    if (v == -3) {
      ++padding;
      if (count < 2 || count + padding > 4) {
        return ParseError("misplaced base64 padding");
      }
      if (count + padding == 4) {
        if (count == 2) {
          out.push_back(static_cast<char>((acc >> 4) & 0xff));
        } else {
          out.push_back(static_cast<char>((acc >> 10) & 0xff));
          out.push_back(static_cast<char>((acc >> 2) & 0xff));
        }
        count = 4;  // group complete; only whitespace may follow
      }
      continue;
    }
    if (padding > 0) return ParseError("base64 data after padding");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>((acc >> 16) & 0xff));
      out.push_back(static_cast<char>((acc >> 8) & 0xff));
      out.push_back(static_cast<char>(acc & 0xff));
      acc = 0;
      count = 0;
    }
  }
  if (padding > 0) {
    if (count != 4) return ParseError("truncated base64 padding");
  } else if (count != 0) {
    return ParseError("truncated base64 data");
  }
  return out;
}

Base64Writer::Base64Writer(Sink out, size_t line_length, std::string_view eol)
    : out_(std::move(out)), line_length_(line_length / 4 * 4), eol_(eol) {
  buffer_.reserve(kOutChunk + 256);
}

Status Base64Writer::EmitGroup(const unsigned char* in, size_t n) {
  char group[4];
  EncodeGroup(in, n, group);
  buffer_.append(group, 4);
  column_ += 4;
  if (line_length_ != 0 && column_ >= line_length_) {
    buffer_.append(eol_);
    column_ = 0;
  }
  if (buffer_.size() >= kOutChunk) return FlushOut();
  return Status::Ok();
}

Status Base64Writer::FlushOut() {
  if (buffer_.empty()) return Status::Ok();
  Status s = out_(buffer_);
  buffer_.clear();
  return s;
}

Status Base64Writer::Write(std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  size_t i = 0;
  while (pending_len_ > 0 && pending_len_ < 3 && i < n) {
    pending_[pending_len_++] = p[i++];
  }
  if (pending_len_ == 3) {
    SEAL_RETURN_IF_ERROR(EmitGroup(pending_, 3));
    pending_len_ = 0;
  }
  for (; i + 3 <= n; i += 3) SEAL_RETURN_IF_ERROR(EmitGroup(p + i, 3));
  while (i < n) pending_[pending_len_++] = p[i++];
  return Status::Ok();
}

Status Base64Writer::Finish() {
  if (pending_len_ > 0) {
    SEAL_RETURN_IF_ERROR(EmitGroup(pending_, pending_len_));
    pending_len_ = 0;
  }
  if (line_length_ != 0 && column_ != 0) {
    buffer_.append(eol_);
    column_ = 0;
  }
  return FlushOut();
}

Sink Base64Writer::AsSink() {
  return [this](std::string_view data) { return Write(data); };
}

}  // namespace seal::envelope
