// TempFile and FileSystem: the operating-system seam under the Spool.
//
// The default FileSystem creates unlinked temporary files (O_TMPFILE, with a
// mkostemp+unlink fallback) so a crash never leaves message content on disk.
// Tests substitute a FileSystem whose files fail like a full disk.
// Thread-safety: a TempFile is used by one thread at a time; the default
// FileSystem is stateless and shared.
#ifndef SEALMILTER_LIB_TEMP_FILE_H_
#define SEALMILTER_LIB_TEMP_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal {

class TempFile {
 public:
  virtual ~TempFile() = default;
  // Appends all of `data` at the end of the file (short writes retried).
  virtual Status Append(std::string_view data) = 0;
  // Reads up to `n` bytes at `offset` into `buf`; returns the count, 0 at end.
  virtual Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) = 0;
  // A file descriptor for mmap, or -1 when the file has none (fakes).
  virtual int fd() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // A new empty file in `directory` that no other process can open by name.
  virtual Result<std::unique_ptr<TempFile>> CreateTempFile(
      const std::string& directory) = 0;

  // The real one.
  static FileSystem& Default();
};

}  // namespace seal

#endif  // SEALMILTER_LIB_TEMP_FILE_H_
