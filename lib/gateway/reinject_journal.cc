// The directory of re-injected groups (see lib/gateway/reinject_journal.h).
#include "lib/gateway/reinject_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "lib/crypto/mime_frame.h"
#include "lib/store/hex.h"
#include "lib/store/x509_parse.h"

namespace seal::gateway {
namespace {

// `s` with its length in front, so that field boundaries count.
void AddField(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

bool IsTraceField(std::string_view name) {
  for (std::string_view t :
       {"Received", "Return-Path", "Delivered-To", "X-Original-To"}) {
    if (crypto::EqualsIgnoreCase(name, t)) return true;
  }
  return false;
}

bool IsKey(const std::string& key) {
  return key.size() == 64 && store::IsLowerHex(key);
}

}  // namespace

std::string MessageIdentity(const MessageParts& message) {
  // The header fields are small and hashed as one string; the body (up to
  // gateway.max_encrypt_size) is hashed where it lies, not copied.
  std::string in = "sealmilter message identity v1";
  for (const RawField& f : message.fields) {
    if (!IsTraceField(f.name)) AddField(in, f.raw);
  }
  AddField(in, store::Sha256Hex(message.body));
  return store::Sha256Hex(in);
}

std::string GroupKey(std::string_view message_identity, std::string_view sender,
                     std::string_view treatment,
                     const std::vector<std::string>& recipients) {
  std::vector<std::string> sorted = recipients;
  std::sort(sorted.begin(), sorted.end());
  std::string in = "sealmilter reinjected group v1";
  AddField(in, message_identity);
  AddField(in, sender);
  AddField(in, treatment);
  for (const std::string& r : sorted) AddField(in, r);
  return store::Sha256Hex(in);
}

Result<ReinjectJournal> ReinjectJournal::Open(const std::string& directory,
                                              std::chrono::seconds max_age) {
  if (directory.empty() || directory[0] != '/') {
    return InvalidArgumentError("reinjection journal: '" + directory +
                                "' is not an absolute path");
  }
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("reinjection journal: cannot create " + directory + ": " +
                   std::strerror(errno));
  }
  struct stat st {};
  if (stat(directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return IoError("reinjection journal: " + directory + " is not a directory");
  }
  if (access(directory.c_str(), W_OK | X_OK) != 0) {
    return IoError("reinjection journal: " + directory +
                   " is not writable: " + std::strerror(errno));
  }
  return ReinjectJournal(directory, max_age);
}

std::string ReinjectJournal::PathOf(const std::string& key) const {
  return directory_ + "/" + key;
}

bool ReinjectJournal::Contains(const std::string& key) const {
  if (!IsKey(key)) return false;
  struct stat st {};
  if (stat(PathOf(key).c_str(), &st) != 0) return false;
  return std::time(nullptr) - st.st_mtime < max_age_.count();
}

Status ReinjectJournal::Record(const std::string& key) const {
  if (!IsKey(key)) return InvalidArgumentError("reinjection journal: bad key");
  std::string path = PathOf(key);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return IoError("reinjection journal: cannot create " + path + ": " +
                   std::strerror(errno));
  }
  std::string when = std::to_string(std::time(nullptr)) + "\n";
  bool ok = write(fd, when.data(), when.size()) ==
                static_cast<ssize_t>(when.size()) &&
            fsync(fd) == 0;
  int saved = errno;
  close(fd);
  if (!ok) {
    return IoError("reinjection journal: cannot write " + path + ": " +
                   std::strerror(saved));
  }
  int dfd = open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

size_t ReinjectJournal::Prune() const {
  DIR* d = opendir(directory_.c_str());
  if (d == nullptr) return 0;
  size_t removed = 0;
  std::time_t now = std::time(nullptr);
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (!IsKey(name)) continue;
    struct stat st {};
    std::string path = PathOf(name);
    if (stat(path.c_str(), &st) == 0 && now - st.st_mtime >= max_age_.count() &&
        unlink(path.c_str()) == 0) {
      ++removed;
    }
  }
  closedir(d);
  return removed;
}

}  // namespace seal::gateway
