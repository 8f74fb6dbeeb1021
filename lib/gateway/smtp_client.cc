// The SMTP client for reinjection (see lib/gateway/smtp_client.h).
#include "lib/gateway/smtp_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace seal::gateway {
namespace {

using Clock = std::chrono::steady_clock;

// An address for MAIL FROM/RCPT TO <...>: nothing that ends the path or
// the command line; white space only inside a quoted local part
// ("john doe"@example.org, RFC 5321 4.1.2), which MTAs accept and pass on.
bool ValidAddress(std::string_view a) {
  bool quoted = false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char c = a[i];
    if (c == '<' || c == '>' || c == '\r' || c == '\n' || c == '\0') {
      return false;
    }
    if (quoted && c == '\\' && i + 1 < a.size()) {
      ++i;  // a quoted-pair
      if (a[i] == '\r' || a[i] == '\n' || a[i] == '\0') return false;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if ((c == ' ' || c == '\t') && !quoted) return false;
  }
  return !quoted;
}

class Connection {
 public:
  Connection(int fd, Clock::time_point deadline)
      : fd_(fd), deadline_(deadline) {}
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Wait(short events) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline_ - Clock::now());
      if (left.count() <= 0) return UnavailableError("SMTP: timed out");
      pollfd p{fd_, events, 0};
      int r = poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0) return Status::Ok();
      if (r == 0) return UnavailableError("SMTP: timed out");
      if (errno != EINTR) return ErrnoError("SMTP: poll", errno);
    }
  }

  Status Write(std::string_view data) {
    while (!data.empty()) {
      SEAL_RETURN_IF_ERROR(Wait(POLLOUT));
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return UnavailableError("SMTP: connection lost on write");
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  // Reads one (possibly multi-line) reply; returns its code.
  Result<int> Reply(std::string* text) {
    text->clear();
    for (;;) {
      size_t nl = buffer_.find('\n');
      while (nl == std::string::npos) {
        if (buffer_.size() > 64 * 1024) {
          return UnavailableError("SMTP: reply line too long");
        }
        SEAL_RETURN_IF_ERROR(Wait(POLLIN));
        char buf[4096];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) return UnavailableError("SMTP: connection closed");
        buffer_.append(buf, static_cast<size_t>(n));
        nl = buffer_.find('\n');
      }
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() < 3) return UnavailableError("SMTP: malformed reply");
      int code = 0;
      auto [p, ec] = std::from_chars(line.data(), line.data() + 3, code);
      if (ec != std::errc() || p != line.data() + 3 || code < 200 ||
          code > 599) {
        return UnavailableError("SMTP: malformed reply");
      }
      if (text->size() < 512) *text += line + " ";
      if (line.size() == 3 || line[3] == ' ') return code;
      if (line[3] != '-') return UnavailableError("SMTP: malformed reply");
    }
  }

 private:
  int fd_;
  Clock::time_point deadline_;
  std::string buffer_;
};

Status Expect(Connection& c, std::string_view step, int want_class) {
  std::string text;
  Result<int> code = c.Reply(&text);
  if (!code.ok()) return code.status();
  if (*code / 100 == want_class) return Status::Ok();
  std::string msg = "SMTP " + std::string(step) + ": " + text;
  while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  if (*code >= 500) return FailedPreconditionError(msg);
  return UnavailableError(msg);
}

Result<int> Connect(const SmtpTarget& t, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  if (t.host != "localhost") hints.ai_flags |= AI_NUMERICHOST;
  addrinfo* res = nullptr;
  std::string port = std::to_string(t.port);
  if (int rc = getaddrinfo(t.host.c_str(), port.c_str(), &hints, &res);
      rc != 0) {
    return InvalidArgumentError("SMTP: bad host " + t.host + ": " +
                                gai_strerror(rc));
  }
  Status last = UnavailableError("SMTP: no address for " + t.host);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      Connection probe(fd, deadline);
      Status w = probe.Wait(POLLOUT);
      int err = 0;
      socklen_t len = sizeof err;
      if (w.ok() && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
          err == 0) {
        freeaddrinfo(res);
        int keep = dup(fd);  // `probe` closes its descriptor
        if (keep < 0) return ErrnoError("SMTP: dup", errno);
        return keep;
      }
      last = w.ok() ? UnavailableError("SMTP: cannot connect to " + t.host +
                                       ":" + port + ": " + std::strerror(err))
                    : w;
      continue;
    }
    last = ErrnoError("SMTP: cannot connect to " + t.host + ":" + port, errno);
    close(fd);
  }
  freeaddrinfo(res);
  return last;
}

// Writes a message as the DATA phase needs it: CRLF line ends,
// dot-stuffed, then the final ".". Fed in pieces; a line (and a CR LF pair)
// may span pieces. Output goes out in slices of at most ~64 KiB.
class DataWriter {
 public:
  explicit DataWriter(Connection& c) : c_(c) { out_.reserve(kSlice + 8); }

  Status Add(std::string_view data) {
    for (char c : data) {
      if (pending_cr_) {
        pending_cr_ = false;
        if (c == '\n') continue;  // the LF of a CR LF already written
      }
      if (line_start_ && c == '.') out_ += '.';
      line_start_ = false;
      if (c == '\r') {
        out_ += "\r\n";
        line_start_ = true;
        pending_cr_ = true;
      } else if (c == '\n') {
        out_ += "\r\n";
        line_start_ = true;
      } else {
        out_ += c;
      }
      if (out_.size() >= kSlice) SEAL_RETURN_IF_ERROR(Flush());
    }
    return Status::Ok();
  }

  Status Finish() {
    if (!line_start_) out_ += "\r\n";
    out_ += ".\r\n";
    return Flush();
  }

 private:
  static constexpr size_t kSlice = 64 * 1024;
  Status Flush() {
    Status s = c_.Write(out_);
    out_.clear();
    return s;
  }
  Connection& c_;
  std::string out_;
  bool line_start_ = true;
  bool pending_cr_ = false;
};

}  // namespace

Result<SmtpTarget> ParseSmtpTarget(std::string_view text) {
  SmtpTarget t;
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgumentError("'" + std::string(text) + "' is not HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto [p, ec] =
      std::from_chars(port.data(), port.data() + port.size(), t.port);
  if (ec != std::errc() || p != port.data() + port.size() || t.port < 1 ||
      t.port > 65535) {
    return InvalidArgumentError("'" + std::string(text) +
                                "': port must be 1..65535");
  }
  t.host = std::string(host);
  if (t.host != "localhost") {
    in6_addr a6{};
    in_addr a4{};
    if (inet_pton(AF_INET, t.host.c_str(), &a4) != 1 &&
        inet_pton(AF_INET6, t.host.c_str(), &a6) != 1) {
      return InvalidArgumentError("'" + std::string(text) +
                                  "': the host must be an IP address");
    }
  }
  return t;
}

Status SendSmtp(const SmtpTarget& target, const SmtpMessage& message,
                std::chrono::milliseconds timeout, std::string_view helo) {
  if (!ValidAddress(message.mail_from)) {
    return InvalidArgumentError("SMTP: bad sender address");
  }
  if (message.recipients.empty()) {
    return InvalidArgumentError("SMTP: no recipients");
  }
  for (const std::string& r : message.recipients) {
    if (r.empty() || !ValidAddress(r)) {
      return InvalidArgumentError("SMTP: bad recipient address");
    }
  }
  Clock::time_point deadline = Clock::now() + timeout;
  Result<int> fd = Connect(target, deadline);
  if (!fd.ok()) return fd.status();
  Connection c(*fd, deadline);
  SEAL_RETURN_IF_ERROR(Expect(c, "greeting", 2));
  SEAL_RETURN_IF_ERROR(c.Write("EHLO " + std::string(helo) + "\r\n"));
  SEAL_RETURN_IF_ERROR(Expect(c, "EHLO", 2));
  SEAL_RETURN_IF_ERROR(c.Write("MAIL FROM:<" + message.mail_from + ">\r\n"));
  SEAL_RETURN_IF_ERROR(Expect(c, "MAIL FROM", 2));
  for (const std::string& r : message.recipients) {
    SEAL_RETURN_IF_ERROR(c.Write("RCPT TO:<" + r + ">\r\n"));
    SEAL_RETURN_IF_ERROR(Expect(c, "RCPT TO", 2));
  }
  SEAL_RETURN_IF_ERROR(c.Write("DATA\r\n"));
  SEAL_RETURN_IF_ERROR(Expect(c, "DATA", 3));
  DataWriter data(c);
  SEAL_RETURN_IF_ERROR(data.Add(message.data));
  for (std::string_view more : message.more_data) {
    SEAL_RETURN_IF_ERROR(data.Add(more));
  }
  SEAL_RETURN_IF_ERROR(data.Finish());
  SEAL_RETURN_IF_ERROR(Expect(c, "end of data", 2));
  // The message is accepted; a failed QUIT changes nothing.
  (void)c.Write("QUIT\r\n");
  return Status::Ok();
}

}  // namespace seal::gateway
