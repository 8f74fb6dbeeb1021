// BufferedSink and StringSink (see sink.h).
#include "lib/envelope/sink.h"

#include <algorithm>
#include <utility>

namespace seal::envelope {

BufferedSink::BufferedSink(Sink out, size_t capacity)
    : out_(std::move(out)), capacity_(std::max<size_t>(capacity, 1)) {
  buffer_.reserve(capacity_);
}

Status BufferedSink::Write(std::string_view data) {
  if (!error_.ok()) return error_;
  total_ += data.size();
  while (!data.empty()) {
    if (buffer_.empty() && data.size() >= capacity_) {
      // Large slice: pass it through without copying.
      error_ = out_(data);
      return error_;
    }
    size_t n = std::min(capacity_ - buffer_.size(), data.size());
    buffer_.append(data.substr(0, n));
    data.remove_prefix(n);
    if (buffer_.size() == capacity_) {
      error_ = out_(buffer_);
      buffer_.clear();
      if (!error_.ok()) return error_;
    }
  }
  return Status::Ok();
}

Status BufferedSink::Flush() {
  if (!error_.ok()) return error_;
  if (buffer_.empty()) return Status::Ok();
  error_ = out_(buffer_);
  buffer_.clear();
  return error_;
}

Sink BufferedSink::AsSink() {
  return [this](std::string_view data) { return Write(data); };
}

Sink StringSink(std::string* out) {
  return [out](std::string_view data) {
    out->append(data);
    return Status::Ok();
  };
}

}  // namespace seal::envelope
