// BIO adapters: a BIO that writes into a ByteSink (SinkBio) and a BIO that
// reads from a callback (SourceBio), so OpenSSL's CMS streaming code reads
// and writes our sinks and decoders without intermediate buffers.
//
// A failure of the sink or the read callback makes the BIO call fail; the
// original Status is kept in status() so callers report it instead of the
// generic OpenSSL error that follows.
// Known limits: blocking only (no retry semantics); the BIO is freed with
// its adapter, so a chain pushed on top of it must be popped first.
// Thread-safety: an adapter and its BIO belong to one thread at a time.
#ifndef SEALMILTER_LIB_CRYPTO_BIO_ADAPTERS_H_
#define SEALMILTER_LIB_CRYPTO_BIO_ADAPTERS_H_

#include <openssl/bio.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "lib/crypto/byte_io.h"
#include "lib/status.h"

namespace seal::crypto {

class SinkBio {
 public:
  static Result<SinkBio> Create(ByteSink sink);
  SinkBio(SinkBio&&) noexcept;
  SinkBio& operator=(SinkBio&&) noexcept;
  ~SinkBio();

  BIO* bio() const;
  // OK, or the first non-OK Status the sink returned.
  const Status& status() const;
  uint64_t bytes_written() const;

  struct State;  // implementation detail (bio_adapters.cc)

 private:
  explicit SinkBio(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Fills `buf` with up to `n` bytes; 0 means end of input.
using ReadFn = std::function<Result<size_t>(char* buf, size_t n)>;

class SourceBio {
 public:
  static Result<SourceBio> Create(ReadFn read);
  SourceBio(SourceBio&&) noexcept;
  SourceBio& operator=(SourceBio&&) noexcept;
  ~SourceBio();

  BIO* bio() const;
  // OK, or the first non-OK Status the read callback returned.
  const Status& status() const;

  struct State;  // implementation detail (bio_adapters.cc)

 private:
  explicit SourceBio(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_BIO_ADAPTERS_H_
