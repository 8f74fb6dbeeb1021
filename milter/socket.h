// The milter socket: checking the address syntax, creating it race-free
// (umask before bind, stale unix socket removed) and giving a unix socket to
// the configured owner so the MTA can connect.
#ifndef SEALMILTER_MILTER_SOCKET_H_
#define SEALMILTER_MILTER_SOCKET_H_

#include <sys/types.h>

#include <string>

#include "lib/status.h"

namespace seal::milter {

struct SocketAddress {
  enum class Kind { kUnix, kInet, kInet6 };
  Kind kind = Kind::kUnix;
  std::string path;  // kUnix
  int port = 0;      // kInet/kInet6
  std::string host;  // kInet/kInet6; "" = any
  std::string spec;  // as libmilter wants it
};

// Parses "unix:/path", "local:/path", "/path", "inet:PORT[@HOST]",
// "inet6:PORT[@HOST]".
Result<SocketAddress> ParseSocketAddress(const std::string& spec);

// Registers the address with libmilter and opens it. For a unix socket the
// file gets `mode` and, when running as root, owner `uid` and group `gid`.
Status OpenMilterSocket(const SocketAddress& address, unsigned mode,
                        int backlog, uid_t uid, gid_t gid);

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_SOCKET_H_
