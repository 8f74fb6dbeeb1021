// ByteSink and ByteSource: how bytes enter and leave the S/MIME engine
// without whole-message copies.
//
// A ByteSink is a callback that receives output in slices (typically up to
// 64 KiB) in order; a non-OK Status stops the producer, which returns that
// Status. Adapters write into a Spool, a std::string (tests, small outputs)
// or nowhere. A ByteSource is the input: one view (e.g. the Spool's mapped
// view), several views read as one (e.g. rebuilt content headers followed by
// the mapped body: no concatenation), or a BIO read to its end.
// Known limits: a BIO source can be read only once.
// Thread-safety: a ByteSource is used by one thread at a time; the views it
// holds must stay valid while it is used.
#ifndef SEALMILTER_LIB_CRYPTO_BYTE_IO_H_
#define SEALMILTER_LIB_CRYPTO_BYTE_IO_H_

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/spool.h"
#include "lib/status.h"

namespace seal::crypto {

using ByteSink = std::function<Status(std::string_view)>;

// Appends to `*out`. For tests and small outputs only.
ByteSink StringSink(std::string* out);
// Appends to `*spool` (its size cap applies: kResourceExhausted past it).
ByteSink SpoolSink(Spool* spool);
// Drops the bytes; counts them into `*count` when not null.
ByteSink DiscardSink(uint64_t* count = nullptr);

class ByteSource {
 public:
  // One contiguous view.
  ByteSource(std::string_view data);   // NOLINT: implicit on purpose
  ByteSource(const std::string& data)  // NOLINT: implicit on purpose
      : ByteSource(std::string_view(data)) {}
  // Several views read one after the other as a single stream.
  explicit ByteSource(std::vector<std::string_view> pieces);
  // A BIO read until it reports end of input. Not owned; read once.
  static ByteSource FromBio(BIO* bio);

  // Calls `fn` with consecutive non-empty chunks until the end, stopping at
  // the first non-OK Status. Views are passed through without copying; a
  // BIO is read in chunks of `bio_chunk` bytes.
  Status ForEachChunk(const ByteSink& fn, size_t bio_chunk = 64 * 1024) const;

  bool is_bio() const { return bio_ != nullptr; }
  // The whole input when it is a single view; null otherwise.
  const std::string_view* single_view() const {
    return bio_ == nullptr && pieces_.size() == 1 ? &pieces_[0] : nullptr;
  }

 private:
  friend class ByteReader;
  ByteSource() = default;
  std::vector<std::string_view> pieces_;
  BIO* bio_ = nullptr;
};

// Pull-style reading of a ByteSource (for parsers that ask for bytes).
class ByteReader {
 public:
  explicit ByteReader(const ByteSource& source) : source_(source) {}
  // Copies up to `n` bytes into `buf`; 0 means the end.
  Result<size_t> Read(char* buf, size_t n);

 private:
  const ByteSource& source_;
  size_t piece_ = 0;
  size_t offset_ = 0;
};

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_BYTE_IO_H_
