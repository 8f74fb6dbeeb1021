// ByteSink adapters and ByteSource iteration.
#include "lib/crypto/byte_io.h"

#include <openssl/bio.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "lib/crypto/ossl.h"

namespace seal::crypto {

ByteSink StringSink(std::string* out) {
  return [out](std::string_view data) {
    out->append(data);
    return Status::Ok();
  };
}

ByteSink SpoolSink(Spool* spool) {
  return [spool](std::string_view data) { return spool->Append(data); };
}

ByteSink DiscardSink(uint64_t* count) {
  return [count](std::string_view data) {
    if (count != nullptr) *count += data.size();
    return Status::Ok();
  };
}

ByteSource::ByteSource(std::string_view data) : pieces_{data} {}

ByteSource::ByteSource(std::vector<std::string_view> pieces)
    : pieces_(std::move(pieces)) {}

ByteSource ByteSource::FromBio(BIO* bio) {
  ByteSource source;
  source.bio_ = bio;
  return source;
}

Status ByteSource::ForEachChunk(const ByteSink& fn, size_t bio_chunk) const {
  if (bio_ == nullptr) {
    for (std::string_view piece : pieces_) {
      if (piece.empty()) continue;
      SEAL_RETURN_IF_ERROR(fn(piece));
    }
    return Status::Ok();
  }
  if (bio_chunk == 0) bio_chunk = 64 * 1024;
  std::unique_ptr<char[]> buf(new char[bio_chunk]);
  for (;;) {
    size_t got = 0;
    int r = BIO_read_ex(bio_, buf.get(), bio_chunk, &got);
    if (r == 1 && got > 0) {
      SEAL_RETURN_IF_ERROR(fn(std::string_view(buf.get(), got)));
      continue;
    }
    if (BIO_eof(bio_) == 1 || BIO_should_retry(bio_) == 0) {
      // End of input, or an error the BIO reports on the queue.
      std::string detail = DrainOpenSslErrors();
      if (!detail.empty()) {
        return IoError("cannot read the input: " + detail);
      }
      return Status::Ok();
    }
    return IoError(
        "input BIO asks for a retry: non-blocking BIOs are not "
        "supported");
  }
}

Result<size_t> ByteReader::Read(char* buf, size_t n) {
  if (source_.bio_ != nullptr) {
    size_t got = 0;
    if (BIO_read_ex(source_.bio_, buf, n, &got) == 1) return got;
    std::string detail = DrainOpenSslErrors();
    if (!detail.empty()) return IoError("cannot read the input: " + detail);
    return size_t{0};
  }
  size_t out = 0;
  while (out < n && piece_ < source_.pieces_.size()) {
    std::string_view p = source_.pieces_[piece_];
    size_t take = std::min(n - out, p.size() - offset_);
    std::memcpy(buf + out, p.data() + offset_, take);
    out += take;
    offset_ += take;
    if (offset_ == p.size()) {
      ++piece_;
      offset_ = 0;
    }
  }
  return out;
}

}  // namespace seal::crypto
