// Start-up readiness probe over the milter socket (see milter/readiness.h).
#include "milter/readiness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace seal::milter {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

Result<int> ConnectUnix(const std::string& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) {
    return InvalidArgumentError("socket path too long: " + path);
  }
  memcpy(sun.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    int err = errno;
    close(fd);
    return ErrnoError("connect " + path, err);
  }
  return fd;
}

Result<int> ConnectInet(const SocketAddress& address) {
  const bool v6 = address.kind == SocketAddress::Kind::kInet6;
  std::string host = address.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // A listener on every address is reached over loopback.
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "*") {
    host = v6 ? "::1" : "127.0.0.1";
  }
  addrinfo hints{};
  hints.ai_family = v6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(address.port);
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
      rc != 0) {
    return UnavailableError("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  Status last = UnavailableError("no address for " + host);
  int fd = -1;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = ErrnoError("socket", errno);
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    last = ErrnoError("connect " + host + ":" + port, errno);
    CloseFd(fd);
  }
  freeaddrinfo(list);
  if (fd < 0) return last;
  return fd;
}

void PutUint32(std::string& out, uint32_t v) {
  uint32_t be = htonl(v);
  out.append(reinterpret_cast<const char*>(&be), sizeof be);
}

// One milter packet: 32-bit length (of command and data), command, data.
std::string Packet(char command, const std::string& data = "") {
  std::string p;
  PutUint32(p, static_cast<uint32_t>(1 + data.size()));
  p.push_back(command);
  p += data;
  return p;
}

Status WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("write to the milter socket", errno);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

ReadinessProbe::~ReadinessProbe() {
  CloseFd(fd_);
  CloseFd(wake_[0]);
  CloseFd(wake_[1]);
}

ReadinessProbe::ReadinessProbe(ReadinessProbe&& other) noexcept {
  *this = std::move(other);
}

ReadinessProbe& ReadinessProbe::operator=(ReadinessProbe&& other) noexcept {
  if (this != &other) {
    CloseFd(fd_);
    CloseFd(wake_[0]);
    CloseFd(wake_[1]);
    fd_ = std::exchange(other.fd_, -1);
    wake_[0] = std::exchange(other.wake_[0], -1);
    wake_[1] = std::exchange(other.wake_[1], -1);
  }
  return *this;
}

Result<ReadinessProbe> ReadinessProbe::Connect(const SocketAddress& address) {
  ReadinessProbe probe;
  if (pipe2(probe.wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return ErrnoError("pipe", errno);
  }
  Result<int> fd = address.kind == SocketAddress::Kind::kUnix
                       ? ConnectUnix(address.path)
                       : ConnectInet(address);
  if (!fd.ok()) return fd.status();
  probe.fd_ = *fd;
  return probe;
}

void ReadinessProbe::Cancel() {
  if (wake_[1] >= 0) (void)!write(wake_[1], "x", 1);
}

Status ReadinessProbe::Await(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return FailedPreconditionError("readiness probe not connected");
  Status s = Negotiate(timeout);
  if (s.ok()) (void)WriteAll(fd_, Packet(SMFIC_QUIT));
  CloseFd(fd_);  // whatever happened: the listener's session ends
  return s;
}

Status ReadinessProbe::Negotiate(std::chrono::milliseconds timeout) {
  std::string data;
  PutUint32(data, SMFI_PROT_VERSION);
  // Everything sealmilter asks for, so the negotiation logs no warning.
  PutUint32(data, SMFI_CURR_ACTS);
  PutUint32(data, SMFI_CURR_PROT);
  if (Status s = WriteAll(fd_, Packet(SMFIC_OPTNEG, data)); !s.ok()) return s;

  // The answer's header: length and command. Its data is not needed.
  unsigned char header[MILTER_LEN_BYTES + 1];
  size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got < sizeof header) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return UnavailableError("the milter listener did not answer within " +
                              std::to_string(timeout.count() / 1000) + " s");
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int r = poll(fds, 2, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("poll", errno);
    if (fds[1].revents != 0) return UnavailableError("stopped during start-up");
    if (fds[0].revents == 0) continue;
    ssize_t n = read(fd_, header + got, sizeof header - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read from the milter socket", errno);
    if (n == 0) {
      return UnavailableError(
          "the milter listener closed the connection without answering");
    }
    got += static_cast<size_t>(n);
  }
  if (header[MILTER_LEN_BYTES] != SMFIC_OPTNEG) {
    return UnavailableError("the milter listener answered with command " +
                            std::to_string(header[MILTER_LEN_BYTES]));
  }
  return Status::Ok();
}

}  // namespace seal::milter
