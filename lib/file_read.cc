// Bounded whole-file reads (see lib/file_read.h).
#include "lib/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace seal {

Result<std::string> ReadRegularFile(const std::string& path, uint64_t cap,
                                    std::string_view what) {
  const std::string name(what);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    Status s = ErrnoError("cannot open " + name + " " + path, err);
    return err == ENOENT ? NotFoundError(s.message()) : s;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return InvalidArgumentError(path + ": not a regular file");
  }
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoError("cannot read " + name + " " + path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > cap) break;  // the caller reports the oversize
  }
  close(fd);
  return text;
}

}  // namespace seal
