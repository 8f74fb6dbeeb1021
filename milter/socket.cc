// Milter socket set-up (see milter/socket.h).
#include "milter/socket.h"

#include <libmilter/mfapi.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace seal::milter {
namespace {

Result<SocketAddress> ParseInet(SocketAddress a, std::string_view rest) {
  size_t at = rest.find('@');
  std::string_view port = rest.substr(0, at);
  int p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 ||
      p > 65535) {
    return InvalidArgumentError("milter.socket: bad port in '" + a.spec + "'");
  }
  a.port = p;
  if (at != std::string_view::npos) {
    a.host = std::string(rest.substr(at + 1));
    if (a.host.empty()) {
      return InvalidArgumentError("milter.socket: empty host in '" + a.spec +
                                  "'");
    }
  }
  return a;
}

}  // namespace

Result<SocketAddress> ParseSocketAddress(const std::string& spec) {
  SocketAddress a;
  a.spec = spec;
  std::string_view s = spec;
  if (s.starts_with("unix:") || s.starts_with("local:") || s.starts_with("/")) {
    a.kind = SocketAddress::Kind::kUnix;
    a.path = std::string(s.substr(s.find('/') == 0 ? 0 : s.find(':') + 1));
    if (a.path.empty() || a.path[0] != '/') {
      return InvalidArgumentError(
          "milter.socket: unix socket path must be "
          "absolute in '" +
          spec + "'");
    }
    if (a.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return InvalidArgumentError(
          "milter.socket: unix socket path is longer "
          "than " +
          std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes: '" +
          spec + "'");
    }
    a.spec = "unix:" + a.path;
    return a;
  }
  if (s.starts_with("inet:")) {
    a.kind = SocketAddress::Kind::kInet;
    return ParseInet(a, s.substr(5));
  }
  if (s.starts_with("inet6:")) {
    a.kind = SocketAddress::Kind::kInet6;
    return ParseInet(a, s.substr(6));
  }
  return InvalidArgumentError(
      "milter.socket: '" + spec +
      "' is not unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST");
}

Status OpenMilterSocket(const SocketAddress& address, unsigned mode,
                        int backlog, uid_t uid, gid_t gid) {
  std::vector<char> spec(address.spec.begin(), address.spec.end());
  spec.push_back('\0');
  if (smfi_setconn(spec.data()) != MI_SUCCESS) {
    return InvalidArgumentError("libmilter refused socket " + address.spec);
  }
  if (smfi_setbacklog(backlog) != MI_SUCCESS) {
    return InvalidArgumentError("libmilter refused backlog " +
                                std::to_string(backlog));
  }
  if (address.kind == SocketAddress::Kind::kUnix) {
    std::string dir = address.path.substr(0, address.path.rfind('/'));
    struct stat st {};
    if (!dir.empty() && stat(dir.c_str(), &st) != 0) {
      return ErrnoError("socket directory " + dir, errno);
    }
  }
  // The socket file is created with the right mode from the start: no window
  // in which another user could connect.
  mode_t old = umask(static_cast<mode_t>(~mode & 0777));
  errno = 0;
  int rc = smfi_opensocket(true);
  int err = errno;
  umask(old);
  if (rc != MI_SUCCESS) {
    Status s = InternalError("cannot open milter socket " + address.spec);
    return err != 0 ? ErrnoError(s.message(), err) : s;
  }
  if (address.kind == SocketAddress::Kind::kUnix && geteuid() == 0) {
    if (chown(address.path.c_str(), uid, gid) != 0) {
      return ErrnoError("chown " + address.path, errno);
    }
  }
  return Status::Ok();
}

}  // namespace seal::milter
