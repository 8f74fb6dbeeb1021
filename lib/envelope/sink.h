// Sink: where the envelope code writes its output (the HTML page, the
// notification message). A Sink is a callback taking consecutive slices; a
// non-OK Status stops the writer and is returned to its caller.
//
// BufferedSink gathers small writes into one fixed buffer (64 KiB by default)
// so the callback sees few, large slices; it never grows past its capacity.
// StringSink appends to a std::string (tests, small messages).
// Thread-safety: a sink belongs to one writer at a time.
#ifndef SEALMILTER_LIB_ENVELOPE_SINK_H_
#define SEALMILTER_LIB_ENVELOPE_SINK_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::envelope {

using Sink = std::function<Status(std::string_view)>;

class BufferedSink {
 public:
  explicit BufferedSink(Sink out, size_t capacity = 64 * 1024);
  BufferedSink(const BufferedSink&) = delete;
  BufferedSink& operator=(const BufferedSink&) = delete;

  // Buffers `data`; writes to the underlying sink when the buffer is full.
  // After an error every call returns the same error.
  Status Write(std::string_view data);
  // Writes what is buffered (call once at the end).
  Status Flush();

  // A Sink that writes into this BufferedSink (valid while it lives).
  Sink AsSink();

  uint64_t bytes_written() const { return total_; }

 private:
  Sink out_;
  std::string buffer_;
  size_t capacity_;
  uint64_t total_ = 0;
  Status error_;
};

// A Sink appending to `*out`.
Sink StringSink(std::string* out);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_SINK_H_
