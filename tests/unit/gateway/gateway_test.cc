// Tests of lib/gateway's parsers and helpers: CIDR networks, the raw header
// block splitter, SMTP targets, the SMTP client against a loopback server,
// and the direction of a message.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "lib/gateway/direction.h"
#include "lib/gateway/header_block.h"
#include "lib/gateway/networks.h"
#include "lib/gateway/smtp_client.h"

namespace seal::gateway {
namespace {

TEST_CASE("CIDR parsing: good and malformed networks") {
  struct Good {
    const char* text;
    bool v6;
    int prefix;
  };
  const Good good[] = {
      {"127.0.0.0/8", false, 8},   {"192.0.2.7", false, 32},
      {"0.0.0.0/0", false, 0},     {"::1/128", true, 128},
      {"2001:db8::/32", true, 32}, {"[2001:db8::1]", true, 128},
  };
  for (const Good& g : good) {
    INFO(g.text);
    Result<Cidr> c = ParseCidr(g.text);
    REQUIRE(c.ok());
    CHECK(c->v6 == g.v6);
    CHECK(c->prefix == g.prefix);
  }
  const std::string bad[] = {"",
                             "/8",
                             "10.0.0.0/",
                             "10.0.0.0/33",
                             "10.0.0.0/-1",
                             "10.0.0.0/8x",
                             "10.0.0.1/8",
                             "::1/129",
                             "example.com",
                             "300.0.0.1",
                             "1.2.3.4/08 ",
                             "10.0.0.0/8/8",
                             std::string(5000, '9')};
  for (const std::string& b : bad) {
    INFO(b.substr(0, 40));
    Result<Cidr> c = ParseCidr(b);
    CHECK_FALSE(c.ok());
  }
  CHECK_THAT(ParseCidr("10.0.0.1/8").status().message(),
             Catch::Contains("host bits"));
}

TEST_CASE("addresses in networks") {
  std::vector<Cidr> nets;
  for (const char* n : {"10.0.0.0/8", "192.0.2.128/25", "2001:db8::/32"}) {
    nets.push_back(*ParseCidr(n));
  }
  struct Case {
    const char* addr;
    bool in;
  };
  const Case cases[] = {
      {"10.1.2.3", true},        {"11.0.0.1", false},
      {"192.0.2.200", true},     {"192.0.2.127", false},
      {"2001:db8:1::5", true},   {"2001:db9::1", false},
      {"::ffff:10.9.9.9", true}, {"unix", false},
      {"unknown", false},        {"", false},
  };
  for (const Case& c : cases) {
    INFO(c.addr);
    CHECK(AddressInNetworks(c.addr, nets) == c.in);
  }
}

TEST_CASE("the raw header block: fields, folds, occurrences, body") {
  std::string msg =
      "From: a@example.org\r\n"
      "Subject: one\r\n"
      "\ttwo\r\n"
      "X-Seal-Expires: +7\r\n"
      "content-type: text/plain\r\n"
      "X-Seal-Expires: +9\r\n"
      "\r\n"
      "body line\r\n";
  MessageParts p = SplitMessage(msg);
  REQUIRE(p.fields.size() == 5);
  CHECK(p.fields[1].value == "one\ttwo");
  CHECK(p.fields[1].raw == "Subject: one\r\n\ttwo\r\n");
  CHECK(p.fields[2].occurrence == 1);
  CHECK(p.fields[4].occurrence == 2);
  CHECK(p.body == "body line\r\n");
  CHECK(IsContentField(p.fields[3].name));
  CHECK_FALSE(IsContentField("Content"));
  REQUIRE(FindField(p, "CONTENT-TYPE") != nullptr);
  CHECK(FindField(p, "Cc") == nullptr);

  // Malformed: no empty line, a non-field line, nothing at all, LF only.
  CHECK(SplitMessage("").fields.empty());
  MessageParts no_blank = SplitMessage("A: 1\r\nB: 2\r\n");
  CHECK(no_blank.fields.size() == 2);
  CHECK(no_blank.body.empty());
  MessageParts junk = SplitMessage("A: 1\r\nnot a header\r\nrest\r\n");
  CHECK(junk.fields.size() == 1);
  CHECK(junk.body == "not a header\r\nrest\r\n");
  MessageParts lf = SplitMessage("A: 1\nB: 2\n\nbody");
  CHECK(lf.fields.size() == 2);
  CHECK(lf.body == "body");
  MessageParts colon_first = SplitMessage(": x\r\n\r\n");
  CHECK(colon_first.fields.empty());
  std::string huge(1 << 20, 'a');
  MessageParts big = SplitMessage("X: " + huge + "\r\n\r\nb");
  REQUIRE(big.fields.size() == 1);
  CHECK(big.fields[0].value.size() == huge.size());
}

TEST_CASE("SMTP targets") {
  Result<SmtpTarget> t = ParseSmtpTarget("127.0.0.1:10025");
  REQUIRE(t.ok());
  CHECK(t->host == "127.0.0.1");
  CHECK(t->port == 10025);
  Result<SmtpTarget> v6 = ParseSmtpTarget("[::1]:25");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  for (const char* bad :
       {"", "127.0.0.1", ":25", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x",
        "mail.example:25", "127.0.0.1:25 "}) {
    INFO(bad);
    CHECK_FALSE(ParseSmtpTarget(bad).ok());
  }
}

// A one-shot SMTP server on 127.0.0.1 answering from a script; returns
// what the client sent.
class FakeServer {
 public:
  explicit FakeServer(std::vector<std::string> replies)
      : replies_(std::move(replies)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 1);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::string Received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  void Serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    auto say = [&](const std::string& s) {
      std::string line = s + "\r\n";
      (void)!write(c, line.data(), line.size());
    };
    size_t next = 0;
    say(replies_[next++]);  // greeting
    std::string buf;
    char tmp[4096];
    bool in_data = false;
    while (next < replies_.size()) {
      ssize_t n = read(c, tmp, sizeof tmp);
      if (n <= 0) break;
      buf.append(tmp, static_cast<size_t>(n));
      received_.append(tmp, static_cast<size_t>(n));
      for (;;) {
        if (in_data) {
          size_t end = buf.find("\r\n.\r\n");
          if (end == std::string::npos) break;
          buf.erase(0, end + 5);
          in_data = false;
          say(replies_[next++]);
          continue;
        }
        size_t nl = buf.find("\r\n");
        if (nl == std::string::npos) break;
        std::string cmd = buf.substr(0, nl);
        buf.erase(0, nl + 2);
        if (next >= replies_.size()) break;
        std::string reply = replies_[next++];
        say(reply);
        if (cmd == "DATA" && reply[0] == '3') in_data = true;
      }
    }
    close(c);
  }

  std::vector<std::string> replies_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string received_;
};

TEST_CASE("SMTP client: a whole exchange with dot-stuffing") {
  FakeServer server({"220 fake", "250-fake\r\n250 8BITMIME", "250 ok", "250 ok",
                     "354 go", "250 queued", "221 bye"});
  SmtpTarget t{"127.0.0.1", server.port()};
  std::string data = "Subject: x\n\n.leading dot\r\n.\r\nlast";
  Status s = SendSmtp(t, SmtpMessage{"", {"a@example.org"}, data, {}});
  REQUIRE(s.ok());
  std::string got = server.Received();
  CHECK_THAT(got, Catch::Contains("MAIL FROM:<>\r\n"));
  CHECK_THAT(got, Catch::Contains("RCPT TO:<a@example.org>\r\n"));
  CHECK_THAT(got,
             Catch::Contains(
                 "Subject: x\r\n\r\n..leading dot\r\n..\r\nlast\r\n.\r\n"));
}

TEST_CASE("SMTP client: a message in pieces, line ends across pieces") {
  FakeServer server({"220 fake", "250 hi", "250 ok", "250 ok", "354 go",
                     "250 queued", "221 bye"});
  SmtpTarget t{"127.0.0.1", server.port()};
  // The CR of a CR LF ends one piece and its LF starts the next; a dot
  // starts a piece right after a line end; the last piece has no line end.
  std::string head = "Subject: x\r\n\r\nline one\r";
  SmtpMessage m{"s@example.org",
                {"a@example.org"},
                head,
                {"\n.dot\n", ".", "two\r", "\r\nend"}};
  REQUIRE(SendSmtp(t, m).ok());
  CHECK_THAT(server.Received(),
             Catch::Contains("Subject: x\r\n\r\nline one\r\n..dot\r\n"
                             "..two\r\n\r\nend\r\n.\r\n"));
}

TEST_CASE("SMTP client: refusals, bad addresses, nobody listening") {
  {
    FakeServer server({"220 fake", "250 hi", "250 ok", "550 no such user"});
    Status s = SendSmtp({"127.0.0.1", server.port()},
                        SmtpMessage{"", {"x@example.org"}, "a\r\n", {}});
    CHECK(s.code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(s.message(), Catch::Contains("550 no such user"));
  }
  {
    FakeServer server({"421 busy"});
    Status s = SendSmtp({"127.0.0.1", server.port()},
                        SmtpMessage{"", {"x@example.org"}, "a\r\n", {}});
    CHECK(s.code() == StatusCode::kUnavailable);
  }
  {
    FakeServer server({"garbage"});
    Status s = SendSmtp({"127.0.0.1", server.port()},
                        SmtpMessage{"", {"x@example.org"}, "a\r\n", {}});
    CHECK(s.code() == StatusCode::kUnavailable);
    CHECK_THAT(s.message(), Catch::Contains("malformed reply"));
  }
  CHECK(SendSmtp({"127.0.0.1", 1}, SmtpMessage{"", {"x@example.org"}, "a", {}})
            .code() == StatusCode::kUnavailable);
  CHECK(
      SendSmtp({"127.0.0.1", 1}, SmtpMessage{"a>b", {"x@example.org"}, "a", {}})
          .code() == StatusCode::kInvalidArgument);
  CHECK(SendSmtp({"127.0.0.1", 1}, SmtpMessage{"", {}, "a", {}}).code() ==
        StatusCode::kInvalidArgument);
  CHECK(SendSmtp({"127.0.0.1", 1},
                 SmtpMessage{"", {"x@example.org\r\nRSET"}, "a", {}})
            .code() == StatusCode::kInvalidArgument);
  // White space only inside a quoted local part, which must be closed.
  for (const char* bad : {"john doe@example.org", "\"john doe@example.org",
                          "\"a\\\r\"@example.org", "a\t@example.org"}) {
    INFO(bad);
    CHECK(SendSmtp({"127.0.0.1", 1}, SmtpMessage{"", {bad}, "a", {}}).code() ==
          StatusCode::kInvalidArgument);
  }
}

TEST_CASE("SMTP client: a quoted local part with a space is sent as is") {
  // An address the MTA took ("john doe"@x) must not become a 451 at every
  // retry because we cannot re-inject it.
  FakeServer server({"220 fake", "250 hi", "250 ok", "250 ok", "354 go",
                     "250 queued", "221 bye"});
  Status s = SendSmtp(
      {"127.0.0.1", server.port()},
      SmtpMessage{
          "\"a b\"@example.org", {"\"john doe\"@example.org"}, "x\r\n", {}});
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK_THAT(server.Received(),
             Catch::Contains("MAIL FROM:<\"a b\"@example.org>\r\n") &&
                 Catch::Contains("RCPT TO:<\"john doe\"@example.org>\r\n"));
}

TEST_CASE("direction from authentication, networks and domains") {
  Config config = Config::Defaults();
  config.gateway.internal_domains = {"example.org"};
  Policy policy;
  policy.internal_networks.push_back(*ParseCidr("10.0.0.0/8"));
  struct Case {
    const char* client;
    const char* auth;
    std::vector<std::string> rcpts;
    rules::Direction want;
    bool internal_sender;
  };
  const Case cases[] = {
      {"10.1.1.1", "", {"b@example.net"}, rules::Direction::kOutbound, true},
      {"10.1.1.1", "", {"b@example.org"}, rules::Direction::kInternal, true},
      {"203.0.113.9", "", {"b@example.org"}, rules::Direction::kInbound, false},
      {"203.0.113.9",
       "alice",
       {"b@example.net"},
       rules::Direction::kOutbound,
       true},
      {"203.0.113.9",
       "alice",
       {"b@example.org", "c@example.net"},
       rules::Direction::kOutbound,
       true},
      {"unix", "", {"b@example.net"}, rules::Direction::kInbound, false},
  };
  for (const Case& c : cases) {
    INFO(c.client << " auth=" << c.auth);
    Envelope env;
    env.sender = "a@example.org";
    env.auth_authen = c.auth;
    env.recipients = c.rcpts;
    ConnectionInfo conn;
    conn.client_addr = c.client;
    rules::EnvelopeContext ctx = MakeEnvelopeContext(config, policy, env, conn);
    CHECK(ctx.direction == c.want);
    CHECK(ctx.sender_internal == c.internal_sender);
  }
}

}  // namespace
}  // namespace seal::gateway
