// Default FileSystem: unlinked temporary files via O_TMPFILE, falling back to
// mkostemp + unlink on file systems without O_TMPFILE support.
#include "lib/temp_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace seal {
namespace {

class PosixTempFile final : public TempFile {
 public:
  explicit PosixTempFile(int fd) : fd_(fd) {}
  ~PosixTempFile() override { close(fd_); }
  PosixTempFile(const PosixTempFile&) = delete;
  PosixTempFile& operator=(const PosixTempFile&) = delete;

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("cannot write spool file", errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    for (;;) {
      ssize_t got = pread(fd_, buf, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return ErrnoError("cannot read spool file", errno);
      return static_cast<size_t>(got);
    }
  }

  int fd() const override { return fd_; }

 private:
  int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<TempFile>> CreateTempFile(
      const std::string& directory) override {
    int fd = open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
      // No O_TMPFILE here: create with a random name and unlink at once.
      std::string templ = directory + "/.sealmilter-XXXXXX";
      std::vector<char> name(templ.begin(), templ.end());
      name.push_back('\0');
      fd = mkostemp(name.data(), O_CLOEXEC);
      if (fd >= 0 && unlink(name.data()) != 0) {
        int err = errno;
        close(fd);
        return ErrnoError("cannot unlink spool file in " + directory, err);
      }
    }
    if (fd < 0) {
      return ErrnoError("cannot create spool file in " + directory, errno);
    }
    return std::unique_ptr<TempFile>(std::make_unique<PosixTempFile>(fd));
  }
};

}  // namespace

FileSystem& FileSystem::Default() {
  static PosixFileSystem fs;
  return fs;
}

}  // namespace seal
