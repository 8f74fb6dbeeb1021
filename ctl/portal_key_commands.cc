// sealctl envelope keygen|keys: the portal key file (portal.key_file,
// format in lib/envelope/portal_key.h) shared by the milter hosts and
// sealportal.
//   keygen --out FILE [--key-id ID]     a new file with one key (mode 0600;
//                                       an existing file is never replaced)
//   keygen --rotate FILE [--key-id ID]  a new current key first, the old
//                                       ones kept; the file is replaced
//                                       atomically (temp file + rename),
//                                       keeping its owner
//   keys FILE                           the key ids, current first; never
//                                       the key bytes
// Limits: rotation does not lock the file against a concurrent rotation;
// run one at a time. Reload sealmilter (SIGUSR1) and sealportal after a
// rotation so both see the new key.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "ctl/args.h"
#include "ctl/command.h"
#include "lib/envelope/portal_key.h"

namespace seal::ctl {
namespace {

namespace env = seal::envelope;

const ArgSpec kKeygenSpec{"envelope keygen",
                          "--out FILE | --rotate FILE [--key-id ID]",
                          {"--out", "--rotate", "--key-id"},
                          {},
                          0,
                          0};
const ArgSpec kKeysSpec{"envelope keys", "FILE", {}, {}, 1, 1};

Status WriteAll(int fd, std::string_view text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot write " + path, errno);
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return ErrnoError("cannot sync " + path, errno);
  return Status::Ok();
}

// A new file, mode 0600; kFailedPrecondition when `path` exists.
Status CreateKeyFile(const std::string& path, std::string_view text) {
  int fd = open(path.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      return FailedPreconditionError(
          "portal key file " + path +
          " already exists; not overwriting it (use --rotate)");
    }
    return ErrnoError("cannot create portal key file " + path, err);
  }
  Status s;
  if (fchmod(fd, 0600) != 0) s = ErrnoError("cannot chmod " + path, errno);
  if (s.ok()) s = WriteAll(fd, text, path);
  if (close(fd) != 0 && s.ok()) s = ErrnoError("cannot close " + path, errno);
  if (!s.ok()) unlink(path.c_str());
  return s;
}

// Replaces `path` by `text` atomically: a temp file in the same directory
// (mode 0600, the old file's owner), then rename.
Status ReplaceKeyFile(const std::string& path, std::string_view text) {
  struct stat old {};
  if (lstat(path.c_str(), &old) != 0) {
    return ErrnoError("cannot stat " + path, errno);
  }
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) return ErrnoError("cannot create a file beside " + path, errno);
  Status s;
  if (fchmod(fd, 0600) != 0) s = ErrnoError("cannot chmod " + tmp, errno);
  if (s.ok() && (old.st_uid != geteuid() || old.st_gid != getegid()) &&
      fchown(fd, old.st_uid, old.st_gid) != 0) {
    s = ErrnoError("cannot give " + tmp + " the owner of " + path, errno);
  }
  if (s.ok()) s = WriteAll(fd, text, tmp);
  if (close(fd) != 0 && s.ok()) s = ErrnoError("cannot close " + tmp, errno);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    s = ErrnoError("cannot replace " + path, errno);
  }
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

int Keygen(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kKeygenSpec, io);
  if (!args) return kExitUsage;
  const std::string out = args->Value("--out");
  const std::string rotate = args->Value("--rotate");
  const std::string key_id = args->Value("--key-id");
  if (args->Has("--out") == args->Has("--rotate") ||
      (out.empty() && rotate.empty())) {
    return UsageError(kKeygenSpec, "give one of --out and --rotate", io);
  }
  if (args->Has("--key-id") && key_id.empty()) {
    return UsageError(kKeygenSpec, "--key-id needs a value", io);
  }
  Result<env::PortalKey> key = env::GeneratePortalKey(key_id);
  if (!key.ok()) return Fail(io, kKeygenSpec.command, key.status());
  std::vector<env::PortalKey> keys{*key};
  const std::string& path = out.empty() ? rotate : out;
  if (!rotate.empty()) {
    Result<env::PortalKeyRing> old = env::LoadPortalKeyFile(rotate);
    if (!old.ok()) return Fail(io, kKeygenSpec.command, old.status());
    for (const env::PortalKey& k : old->keys()) keys.push_back(k);
  }
  Result<env::PortalKeyRing> ring = env::PortalKeyRing::Make(std::move(keys));
  if (!ring.ok()) {  // e.g. --key-id names a key the file has
    return Fail(io, kKeygenSpec.command, ring.status());
  }
  std::string text = env::FormatPortalKeys(*ring);
  Status s =
      out.empty() ? ReplaceKeyFile(path, text) : CreateKeyFile(path, text);
  if (!s.ok()) return Fail(io, kKeygenSpec.command, s);
  fprintf(io.out, "%s\n", key->key_id.c_str());
  fprintf(io.err, "portal key %s is now current in %s (%zu key%s)\n",
          key->key_id.c_str(), path.c_str(), ring->keys().size(),
          ring->keys().size() == 1 ? "" : "s");
  return kExitOk;
}

int Keys(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kKeysSpec, io);
  if (!args) return kExitUsage;
  Result<env::PortalKeyRing> ring =
      env::LoadPortalKeyFile(args->positional()[0]);
  if (!ring.ok()) return Fail(io, kKeysSpec.command, ring.status());
  bool first = true;
  for (const env::PortalKey& k : ring->keys()) {
    fprintf(io.out, "%s%s\n", k.key_id.c_str(), first ? " current" : "");
    first = false;
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> PortalKeyCommands() {
  return {
      {"envelope", "keygen", "--out FILE | --rotate FILE [--key-id ID]",
       "make a portal key file, or put a new current key into one", &Keygen},
      {"envelope", "keys", "FILE", "list the key ids of a portal key file",
       &Keys},
  };
}

}  // namespace seal::ctl
