// Privilege drop (see milter/privileges.h).
#include "milter/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace seal::milter {

Result<gid_t> ResolveGroup(const std::string& group) {
  std::vector<char> buf(16384);
  struct group gr {};
  struct group* found = nullptr;
  int err = getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found);
  if (err != 0) return ErrnoError("cannot look up group " + group, err);
  if (found == nullptr) return NotFoundError("no such group: " + group);
  return found->gr_gid;
}

Result<Identity> ResolveIdentity(const std::string& user,
                                 const std::string& group) {
  Identity id;
  if (user.empty()) {
    id.uid = geteuid();
    id.gid = getegid();
  } else {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    int err = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (err != 0) return ErrnoError("cannot look up user " + user, err);
    if (found == nullptr) return NotFoundError("no such user: " + user);
    id.user = user;
    id.uid = found->pw_uid;
    id.gid = found->pw_gid;
  }
  if (!group.empty()) {
    Result<gid_t> gid = ResolveGroup(group);
    if (!gid.ok()) return gid.status();
    id.gid = *gid;
  }
  return id;
}

Status DropPrivileges(const Identity& id, const std::string& chroot_dir) {
  if (geteuid() != 0) {
    if (!chroot_dir.empty()) {
      return FailedPreconditionError("milter.chroot needs root privileges");
    }
    if (!id.user.empty() && id.uid != geteuid()) {
      return FailedPreconditionError("cannot switch to user " + id.user +
                                     ": not running as root");
    }
    return Status::Ok();
  }
  if (id.user.empty()) {
    return FailedPreconditionError(
        "refusing to run as root: set milter.user to an unprivileged user");
  }
  if (id.uid == 0) {
    return FailedPreconditionError("milter.user " + id.user +
                                   " is root; choose an unprivileged user");
  }
  if (setgid(id.gid) != 0) {
    return ErrnoError("setgid(" + std::to_string(id.gid) + ")", errno);
  }
  if (initgroups(id.user.c_str(), id.gid) != 0) {
    return ErrnoError("initgroups(" + id.user + ")", errno);
  }
  if (!chroot_dir.empty()) {
    if (chroot(chroot_dir.c_str()) != 0) {
      return ErrnoError("chroot(" + chroot_dir + ")", errno);
    }
  }
  if (chdir("/") != 0) return ErrnoError("chdir(/)", errno);
  if (setuid(id.uid) != 0) {
    return ErrnoError("setuid(" + std::to_string(id.uid) + ")", errno);
  }
  if (setuid(0) == 0 || geteuid() == 0) {
    return InternalError("root privileges could be regained after setuid");
  }
  return Status::Ok();
}

}  // namespace seal::milter
