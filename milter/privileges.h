// Dropping root privileges, in one function and one order:
// resolve user -> setgid -> initgroups -> chroot/chdir -> setuid, each step
// checked, and a final check that root cannot be regained.
#ifndef SEALMILTER_MILTER_PRIVILEGES_H_
#define SEALMILTER_MILTER_PRIVILEGES_H_

#include <sys/types.h>

#include <string>

#include "lib/status.h"

namespace seal::milter {

struct Identity {
  std::string user;  // "" when not switching
  uid_t uid = 0;
  gid_t gid = 0;  // the process group after the drop
};

// Resolves `user` (and `group`, "" meaning the user's primary group).
Result<Identity> ResolveIdentity(const std::string& user,
                                 const std::string& group);

// Resolves a group name to its id.
Result<gid_t> ResolveGroup(const std::string& group);

// Drops to `id` (and chroots when `chroot_dir` is not empty). When not
// running as root this only checks that nothing was asked that needs root.
// Running as root with an empty user is refused: a mail filter that parses
// hostile input never keeps root.
Status DropPrivileges(const Identity& id, const std::string& chroot_dir);

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_PRIVILEGES_H_
