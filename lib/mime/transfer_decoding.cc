// Content-Transfer-Encoding decoding through mimetic's codecs (see
// transfer_decoding.h for why the input is filtered first).
#include "lib/mime/transfer_decoding.h"

#include <mimetic/codec/base64.h>
#include <mimetic/codec/qp.h>

#include <algorithm>
#include <exception>
#include <iterator>
#include <new>

namespace seal::mime {
namespace {

// Output iterator for mimetic's decoders: appends to a string until `cap`
// bytes, then only records that more output was dropped.
class CappedAppender {
 public:
  using iterator_category = std::output_iterator_tag;
  using value_type = void;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = void;

  CappedAppender(std::string* out, size_t cap, bool* overflow)
      : out_(out), cap_(cap), overflow_(overflow) {}

  template <typename T>
  CappedAppender& operator=(T c) {
    if (out_->size() < cap_) {
      out_->push_back(static_cast<char>(c));
    } else {
      *overflow_ = true;
    }
    return *this;
  }
  CappedAppender& operator*() { return *this; }
  CappedAppender& operator++() { return *this; }
  CappedAppender& operator++(int) { return *this; }

 private:
  std::string* out_;
  size_t cap_;
  bool* overflow_;
};

constexpr size_t kCheckEvery = 64 * 1024;  // input bytes between cap checks

// Base64 alphabet value of c, 64 for '=', -1 for anything else.
int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return 64;
  return -1;
}

bool IsBase64Space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
         c == '\v';
}

Decoded Base64Impl(std::string_view in, size_t max_bytes) {
  Decoded d;
  d.bytes.reserve(std::min(max_bytes, in.size() / 4 * 3 + 3));
  bool overflow = false;
  CappedAppender out(&d.bytes, max_bytes, &overflow);
  mimetic::Base64::Decoder dec;
  size_t quantum = 0;        // alphabet characters in the current quantum
  bool pad_pending = false;  // saw "xy=": a second '=' should follow
  bool invalid = false;
  bool misplaced_pad = false;
  const auto pad = static_cast<unsigned char>('=');
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    const int v = Base64Value(c);
    if (v < 0) {
      if (!IsBase64Space(c)) invalid = true;
    } else if (v == 64) {
      // Padding ends the quantum. Only '=' in position 3 or 4 is valid;
      // mimetic would emit garbage for others, so those are dropped.
      if (pad_pending) {
        dec.process(c, out);  // "xy==" complete
        pad_pending = false;
        quantum = 0;
      } else if (quantum == 2) {
        dec.process(c, out);
        pad_pending = true;
        quantum = 3;
      } else if (quantum == 3) {
        dec.process(c, out);  // "xyz=" complete
        quantum = 0;
      } else if (quantum == 1) {
        misplaced_pad = true;
      }
      // '=' at quantum 0: stray padding between concatenated runs: ignored.
    } else {
      if (pad_pending) {  // "xy=" then data: complete the quantum first
        dec.process(pad, out);
        pad_pending = false;
        quantum = 0;
        misplaced_pad = true;
      }
      dec.process(c, out);
      quantum = (quantum + 1) % 4;
    }
    if (i % kCheckEvery == 0 && overflow) break;
  }
  if (quantum == 1) misplaced_pad = true;  // 6 dangling bits: not a byte
  if (!overflow) dec.flush(out);
  d.truncated = overflow;
  if (invalid) {
    d.problem = "invalid characters in base64";
  } else if (misplaced_pad) {
    d.problem = "truncated or misaligned base64";
  }
  return d;
}

bool IsHex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
         (c >= 'a' && c <= 'f');
}

Decoded QuotedPrintableImpl(std::string_view in, size_t max_bytes) {
  Decoded d;
  d.bytes.reserve(std::min(max_bytes, in.size()));
  bool overflow = false;
  CappedAppender out(&d.bytes, max_bytes, &overflow);
  mimetic::QP::Decoder dec;
  bool bad = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '=' && !bad) {
      // Valid: "=XX", or a soft break "=" [blanks] line break / end.
      size_t j = i + 1;
      if (j < in.size() && IsHex(static_cast<unsigned char>(in[j]))) {
        bad = !(j + 1 < in.size() &&
                IsHex(static_cast<unsigned char>(in[j + 1])));
      } else {
        while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
        bad = !(j == in.size() || in[j] == '\r' || in[j] == '\n');
      }
    }
    dec.process(c, out);
    if (i % kCheckEvery == 0 && overflow) break;
  }
  if (!overflow) dec.flush(out);
  d.truncated = overflow;
  if (bad) d.problem = "invalid quoted-printable escape";
  return d;
}

Decoded IdentityImpl(std::string_view in, size_t max_bytes) {
  Decoded d;
  if (in.size() > max_bytes) {
    d.bytes.assign(in.data(), max_bytes);
    d.truncated = true;
  } else {
    d.bytes.assign(in.data(), in.size());
  }
  return d;
}

template <typename F>
Result<Decoded> Guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return InternalError("out of memory while decoding a part");
  } catch (const std::exception& e) {
    return InternalError(std::string("decoder failed: ") + e.what());
  } catch (...) {
    return InternalError("decoder failed");
  }
}

}  // namespace

std::string_view TransferEncodingName(TransferEncoding encoding) {
  switch (encoding) {
    case TransferEncoding::k7Bit:
      return "7bit";
    case TransferEncoding::k8Bit:
      return "8bit";
    case TransferEncoding::kBinary:
      return "binary";
    case TransferEncoding::kBase64:
      return "base64";
    case TransferEncoding::kQuotedPrintable:
      return "quoted-printable";
    case TransferEncoding::kUnknown:
      break;
  }
  return "unknown";
}

TransferEncoding ParseTransferEncoding(std::string_view token) {
  std::string t;
  for (char c : token) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    t.push_back(c);
  }
  if (t.empty() || t == "7bit" || t == "7-bit") return TransferEncoding::k7Bit;
  if (t == "8bit" || t == "8-bit") return TransferEncoding::k8Bit;
  if (t == "binary") return TransferEncoding::kBinary;
  if (t == "base64" || t == "base-64") return TransferEncoding::kBase64;
  if (t == "quoted-printable" || t == "quotedprintable" || t == "qp") {
    return TransferEncoding::kQuotedPrintable;
  }
  return TransferEncoding::kUnknown;
}

Result<Decoded> DecodeTransfer(std::string_view encoded,
                               TransferEncoding encoding, size_t max_bytes) {
  return Guarded([&]() -> Decoded {
    switch (encoding) {
      case TransferEncoding::kBase64:
        return Base64Impl(encoded, max_bytes);
      case TransferEncoding::kQuotedPrintable:
        return QuotedPrintableImpl(encoded, max_bytes);
      case TransferEncoding::k7Bit:
      case TransferEncoding::k8Bit:
      case TransferEncoding::kBinary:
      case TransferEncoding::kUnknown:
        break;
    }
    return IdentityImpl(encoded, max_bytes);
  });
}

Result<Decoded> DecodeBase64(std::string_view encoded, size_t max_bytes) {
  return Guarded([&]() -> Decoded { return Base64Impl(encoded, max_bytes); });
}

}  // namespace seal::mime
