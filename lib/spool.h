// Spool: holds the bytes of one message while the milter receives it.
//
// Bytes stay in memory up to `memory_limit`, then move to an unlinked
// temporary file in `directory`; the total is capped at `max_size`. An append
// that would pass the cap is refused whole (kResourceExhausted) and the spool
// stays marked as overflowed, so a message is never classified on a prefix. A
// write failure (disk full) is kIoError, and every later call repeats it:
// a spool with a hole in it is never read.
// Readers see the content as slices (ForEachSlice) or as one contiguous view
// (Map: the memory buffer, or an mmap of the file).
// Thread-safety: one thread at a time (a Spool belongs to one transaction).
#ifndef SEALMILTER_LIB_SPOOL_H_
#define SEALMILTER_LIB_SPOOL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lib/status.h"
#include "lib/temp_file.h"

namespace seal {

struct SpoolOptions {
  std::string directory = "/var/spool/sealmilter";
  uint64_t memory_limit = 1 << 20;
  uint64_t max_size = 64 << 20;
  FileSystem* fs = nullptr;  // null: FileSystem::Default()
};

// A read-only contiguous view of a spool's content; unmaps when destroyed.
class SpoolView {
 public:
  SpoolView() = default;
  ~SpoolView();
  SpoolView(SpoolView&& other) noexcept;
  SpoolView& operator=(SpoolView&& other) noexcept;
  SpoolView(const SpoolView&) = delete;
  SpoolView& operator=(const SpoolView&) = delete;

  std::string_view data() const { return data_; }

 private:
  friend class Spool;
  std::string_view data_;
  void* mapping_ = nullptr;  // non-null when data_ is an mmap
  size_t mapping_size_ = 0;
  std::string copy_;  // used when the file has no descriptor (fakes)
};

class Spool {
 public:
  explicit Spool(SpoolOptions options);
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  Status Append(std::string_view data);

  uint64_t size() const { return size_; }
  bool spilled() const { return file_ != nullptr; }
  bool overflowed() const { return overflowed_; }
  const SpoolOptions& options() const { return options_; }

  // Calls `fn` with consecutive slices of at most `slice_size` bytes, in
  // order, stopping at the first non-OK Status (which is returned).
  Status ForEachSlice(size_t slice_size,
                      const std::function<Status(std::string_view)>& fn);

  // The whole content as one view. Valid until the next Append or Reset.
  Result<SpoolView> Map();

  // Drops the content (and the temporary file) for the next message.
  void Reset();

 private:
  Status AppendUnchecked(std::string_view data);
  Status Spill();
  Status FlushPending();

  SpoolOptions options_;
  std::string memory_;   // content while not spilled
  std::string pending_;  // spilled: small appends gathered before a write
  std::unique_ptr<TempFile> file_;
  uint64_t size_ = 0;
  bool overflowed_ = false;
  Status write_error_;  // set by a failed write; the spool is then unusable
};

}  // namespace seal

#endif  // SEALMILTER_LIB_SPOOL_H_
