// milter/readiness.h against a listener played by the test: the probe
// negotiates and quits when answered, and fails clearly (never hangs) when
// the listener closes, answers nonsense, never answers or is cancelled;
// an inet listener on every address is reached over loopback.
#include "milter/readiness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace seal::milter {
namespace {

using std::chrono::milliseconds;

// A listening unix socket in a fresh directory; removed on destruction.
struct UnixListener {
  std::string dir;
  std::string path;
  int fd = -1;

  UnixListener() {
    char tmpl[] = "/tmp/seal-readiness-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir + "/s.sock";
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path.data(), path.size());
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
    REQUIRE(listen(fd, 4) == 0);
  }
  ~UnixListener() {
    if (fd >= 0) close(fd);
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
  SocketAddress Address() const {
    SocketAddress a;
    a.kind = SocketAddress::Kind::kUnix;
    a.path = path;
    a.spec = "unix:" + path;
    return a;
  }
};

std::string ReadExactly(int fd, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, out.data() + got, n - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

std::string Packet(char command, const std::string& data) {
  uint32_t len = htonl(static_cast<uint32_t>(1 + data.size()));
  std::string p(reinterpret_cast<const char*>(&len), 4);
  p.push_back(command);
  return p + data;
}

// Accepts one connection and checks the probe's option negotiation;
// returns the accepted fd.
int AcceptNegotiation(int listen_fd) {
  int c = accept(listen_fd, nullptr, nullptr);
  REQUIRE(c >= 0);
  std::string optneg = ReadExactly(c, 4 + 1 + 12);
  REQUIRE(optneg.size() == 17);
  CHECK(optneg.substr(0, 5) == std::string("\0\0\0\x0dO", 5));
  return c;
}

TEST_CASE("readiness probe: an answered negotiation is followed by QUIT") {
  UnixListener l;
  Result<ReadinessProbe> probe = ReadinessProbe::Connect(l.Address());
  REQUIRE(probe.ok());
  std::string after;
  std::thread listener([&] {
    int c = AcceptNegotiation(l.fd);
    std::string reply(12, '\0');
    std::string p = Packet('O', reply);
    REQUIRE(write(c, p.data(), p.size()) == static_cast<ssize_t>(p.size()));
    after = ReadExactly(c, 5);
    CHECK(ReadExactly(c, 1).empty());  // then closed
    close(c);
  });
  Status s = probe->Await(milliseconds(10000));
  listener.join();
  INFO(s.message());
  CHECK(s.ok());
  CHECK(after == std::string("\0\0\0\x01Q", 5));
}

TEST_CASE("readiness probe: failures are clear and prompt") {
  UnixListener l;
  Result<ReadinessProbe> probe = ReadinessProbe::Connect(l.Address());
  REQUIRE(probe.ok());

  SECTION("closed without an answer") {
    std::thread listener([&] { close(AcceptNegotiation(l.fd)); });
    Status s = probe->Await(milliseconds(10000));
    listener.join();
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("closed the connection"));
  }
  SECTION("another command") {
    std::thread listener([&] {
      int c = AcceptNegotiation(l.fd);
      std::string p = Packet('r', "");
      REQUIRE(write(c, p.data(), p.size()) == 5);
      ReadExactly(c, 1);
      close(c);
    });
    Status s = probe->Await(milliseconds(10000));
    listener.join();
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("answered with command"));
  }
  SECTION("no answer: a timeout") {
    auto start = std::chrono::steady_clock::now();
    Status s = probe->Await(milliseconds(300));
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("did not answer"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  }
  SECTION("cancelled from another thread") {
    std::thread canceller([&] {
      std::this_thread::sleep_for(milliseconds(100));
      probe->Cancel();
    });
    Status s = probe->Await(milliseconds(60000));
    canceller.join();
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("stopped during start-up"));
  }
  SECTION("cancelled before waiting") {
    probe->Cancel();
    Status s = probe->Await(milliseconds(60000));
    CHECK_FALSE(s.ok());
  }
}

TEST_CASE("readiness probe: nothing listening is a connect error") {
  SocketAddress a;
  a.kind = SocketAddress::Kind::kUnix;
  a.path = "/nonexistent-dir-for-seal-test/s.sock";
  Result<ReadinessProbe> probe = ReadinessProbe::Connect(a);
  CHECK_FALSE(probe.ok());
  CHECK_THAT(probe.status().message(), Catch::Contains(a.path));
  a.path = std::string(200, 'x');
  CHECK_FALSE(ReadinessProbe::Connect(a).ok());
}

TEST_CASE("readiness probe: an inet listener on every address via loopback") {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  socklen_t len = sizeof sin;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) == 0);
  REQUIRE(listen(fd, 4) == 0);
  SocketAddress a;
  a.kind = SocketAddress::Kind::kInet;
  a.port = ntohs(sin.sin_port);
  for (const char* host : {"", "127.0.0.1", "[127.0.0.1]", "localhost"}) {
    a.host = host;
    INFO("host '" << host << "'");
    Result<ReadinessProbe> probe = ReadinessProbe::Connect(a);
    INFO((probe.ok() ? "" : probe.status().message()));
    REQUIRE(probe.ok());
    std::thread listener([&] {
      int c = AcceptNegotiation(fd);
      std::string p = Packet('O', std::string(12, '\0'));
      REQUIRE(write(c, p.data(), p.size()) == 17);
      ReadExactly(c, 5);
      close(c);
    });
    Status s = probe->Await(milliseconds(10000));
    listener.join();
    CHECK(s.ok());
  }
  close(fd);
}

}  // namespace
}  // namespace seal::milter
