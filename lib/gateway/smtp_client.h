// A minimal SMTP client for handing messages that sealmilter writes itself
// (notices to senders) to the MTA's milter-free listener
// (gateway.reinject). EHLO, MAIL FROM, RCPT TO, DATA with dot-stuffing and
// CRLF line ends (streamed in slices, no copy of the message), QUIT; every
// reply checked; one deadline for the whole exchange. No TLS or AUTH: the
// listener is meant to be on loopback. Errors: kUnavailable for connection and
// 4xx problems (try again later), kFailedPrecondition for a 5xx answer,
// kInvalidArgument for a bad address. Thread-safety: reentrant (no shared
// state).
#ifndef SEALMILTER_LIB_GATEWAY_SMTP_CLIENT_H_
#define SEALMILTER_LIB_GATEWAY_SMTP_CLIENT_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"

namespace seal::gateway {

struct SmtpTarget {
  std::string host;  // literal IPv4/IPv6 address or "localhost"
  int port = 25;
};

// "127.0.0.1:10025", "[::1]:10025".
Result<SmtpTarget> ParseSmtpTarget(std::string_view text);

struct SmtpMessage {
  std::string mail_from;  // "" for the null sender
  std::vector<std::string> recipients;
  std::string_view data;  // the message, any line ends
  // Sent right after `data` as more of the same message (e.g. a body that
  // lives in a Spool after a header block built in memory).
  std::vector<std::string_view> more_data;
};

Status SendSmtp(const SmtpTarget& target, const SmtpMessage& message,
                std::chrono::milliseconds timeout = std::chrono::seconds(30),
                std::string_view helo = "sealmilter.localhost");

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_SMTP_CLIENT_H_
