// Spool implementation: memory buffer, spill to an unlinked file, size cap,
// sliced reads and mmap views.
#include "lib/spool.h"

#include <sys/mman.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace seal {
namespace {
// Appends after the spill are gathered up to this size before a write(2):
// headers arrive one small callback at a time.
constexpr size_t kPendingFlushBytes = 64 * 1024;
// Appends at least this large skip the gathering buffer (no extra copy).
constexpr size_t kDirectWriteBytes = 8 * 1024;

// The file's error says what failed ("cannot write spool file: No space left
// on device"); the log line also needs to say where.
Status Write(TempFile& file, const std::string& directory,
             std::string_view data) {
  return file.Append(data).WithContext("spool.directory " + directory);
}
}  // namespace

SpoolView::~SpoolView() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
}

SpoolView::SpoolView(SpoolView&& other) noexcept { *this = std::move(other); }

SpoolView& SpoolView::operator=(SpoolView&& other) noexcept {
  if (this == &other) return *this;
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
  mapping_ = std::exchange(other.mapping_, nullptr);
  mapping_size_ = std::exchange(other.mapping_size_, 0);
  bool owns_copy = other.data_.data() == other.copy_.data();
  copy_ = std::move(other.copy_);
  data_ = owns_copy ? std::string_view(copy_) : other.data_;
  other.data_ = {};
  return *this;
}

Spool::Spool(SpoolOptions options) : options_(std::move(options)) {
  if (options_.fs == nullptr) options_.fs = &FileSystem::Default();
}

Status Spool::Append(std::string_view data) {
  if (overflowed_) {
    return ResourceExhaustedError("message is larger than spool.max_size (" +
                                  std::to_string(options_.max_size) +
                                  " bytes)");
  }
  if (data.size() > options_.max_size - size_) {
    overflowed_ = true;
    return ResourceExhaustedError("message is larger than spool.max_size (" +
                                  std::to_string(options_.max_size) +
                                  " bytes)");
  }
  if (!write_error_.ok()) return write_error_;
  Status s = AppendUnchecked(data);
  if (!s.ok()) {
    // The file may now hold part of `data`: refuse further appends rather
    // than build a message with a hole in it.
    write_error_ = s.WithContext("spool unusable after a write error");
    return s;
  }
  size_ += data.size();
  return Status::Ok();
}

Status Spool::AppendUnchecked(std::string_view data) {
  if (!spilled() && size_ + data.size() > options_.memory_limit) {
    SEAL_RETURN_IF_ERROR(Spill());
  }
  if (!spilled()) {
    memory_.append(data);
    return Status::Ok();
  }
  if (data.size() >= kDirectWriteBytes) {
    // Body chunks (up to 64 KiB from libmilter) go straight to the file.
    SEAL_RETURN_IF_ERROR(FlushPending());
    return Write(*file_, options_.directory, data);
  }
  pending_.append(data);
  if (pending_.size() >= kPendingFlushBytes) return FlushPending();
  return Status::Ok();
}

Status Spool::Spill() {
  Result<std::unique_ptr<TempFile>> file =
      options_.fs->CreateTempFile(options_.directory);
  if (!file.ok()) return file.status();
  SEAL_RETURN_IF_ERROR(Write(**file, options_.directory, memory_));
  file_ = std::move(file).value();
  std::string().swap(memory_);  // give the memory back now
  pending_.reserve(kPendingFlushBytes);
  return Status::Ok();
}

Status Spool::FlushPending() {
  if (pending_.empty()) return Status::Ok();
  SEAL_RETURN_IF_ERROR(Write(*file_, options_.directory, pending_));
  pending_.clear();
  return Status::Ok();
}

Status Spool::ForEachSlice(size_t slice_size,
                           const std::function<Status(std::string_view)>& fn) {
  if (!write_error_.ok()) return write_error_;
  if (slice_size == 0) return InvalidArgumentError("slice size must be > 0");
  if (!spilled()) {
    std::string_view rest = memory_;
    while (!rest.empty()) {
      size_t n = std::min(slice_size, rest.size());
      SEAL_RETURN_IF_ERROR(fn(rest.substr(0, n)));
      rest.remove_prefix(n);
    }
    return Status::Ok();
  }
  SEAL_RETURN_IF_ERROR(FlushPending());
  std::vector<char> buf(slice_size);
  uint64_t offset = 0;
  while (offset < size_) {
    size_t want =
        static_cast<size_t>(std::min<uint64_t>(slice_size, size_ - offset));
    Result<size_t> got = file_->ReadAt(offset, buf.data(), want);
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return IoError("spool file is shorter than expected (" +
                     std::to_string(offset) + " of " + std::to_string(size_) +
                     " bytes)");
    }
    SEAL_RETURN_IF_ERROR(fn(std::string_view(buf.data(), *got)));
    offset += *got;
  }
  return Status::Ok();
}

Result<SpoolView> Spool::Map() {
  if (!write_error_.ok()) return write_error_;
  SpoolView view;
  if (!spilled()) {
    view.data_ = memory_;
    return view;
  }
  SEAL_RETURN_IF_ERROR(FlushPending());
  if (size_ == 0) return view;
  if (file_->fd() >= 0) {
    void* p = mmap(nullptr, static_cast<size_t>(size_), PROT_READ, MAP_PRIVATE,
                   file_->fd(), 0);
    if (p == MAP_FAILED) return ErrnoError("cannot map spool file", errno);
    view.mapping_ = p;
    view.mapping_size_ = static_cast<size_t>(size_);
    view.data_ = std::string_view(static_cast<const char*>(p),
                                  static_cast<size_t>(size_));
    return view;
  }
  view.copy_.reserve(static_cast<size_t>(size_));
  SEAL_RETURN_IF_ERROR(
      ForEachSlice(kPendingFlushBytes, [&](std::string_view s) {
        view.copy_.append(s);
        return Status::Ok();
      }));
  view.data_ = view.copy_;
  return view;
}

void Spool::Reset() {
  std::string().swap(memory_);
  std::string().swap(pending_);
  file_.reset();
  size_ = 0;
  overflowed_ = false;
  write_error_ = Status::Ok();
}

}  // namespace seal
