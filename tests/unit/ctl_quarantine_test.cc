// sealctl quarantine list|show|release|delete against a store in a
// temporary directory and, for release, a one-shot SMTP listener on
// 127.0.0.1 standing in for gateway.reinject. Release re-runs the rules of
// the configuration: a quarantine rule is approved, a reject rule still
// refuses (and the record stays held), an unreachable listener leaves it
// held. Malformed ids, unknown ids, bad options and a missing store give
// clear errors and the documented exit codes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/store/open_store.h"
#include "lib/store/store.h"
#include "tests/unit/sealctl_test_util.h"

namespace seal::ctl {
namespace {

using testing::Captured;
using testing::RunCaptured;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/sealctl-quar-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

// A one-shot SMTP listener on 127.0.0.1 that accepts one message and keeps
// what the client sent.
class FakeListener {
 public:
  FakeListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 1);
  }
  ~FakeListener() {
    if (thread_.joinable()) {
      shutdown(fd_, SHUT_RDWR);
      thread_.join();
    }
    close(fd_);
  }
  void Start() {
    thread_ = std::thread([this] { Serve(); });
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
    auto say = [&](const char* s) {
      std::string line = std::string(s) + "\r\n";
      (void)!write(c, line.data(), line.size());
    };
    say("220 fake");
    std::string buf;
    char tmp[4096];
    bool in_data = false;
    for (;;) {
      ssize_t n = read(c, tmp, sizeof tmp);
      if (n <= 0) break;
      buf.append(tmp, static_cast<size_t>(n));
      received_.append(tmp, static_cast<size_t>(n));
      bool quit = false;
      for (;;) {
        if (in_data) {
          size_t end = buf.find("\r\n.\r\n");
          if (end == std::string::npos) break;
          buf.erase(0, end + 5);
          in_data = false;
          say("250 queued");
          continue;
        }
        size_t nl = buf.find("\r\n");
        if (nl == std::string::npos) break;
        std::string cmd = buf.substr(0, nl);
        buf.erase(0, nl + 2);
        if (cmd == "DATA") {
          say("354 go");
          in_data = true;
        } else if (cmd == "QUIT") {
          say("221 bye");
          quit = true;
          break;
        } else {
          say("250 ok");
        }
      }
      if (quit) break;
    }
    close(c);
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string received_;
};

constexpr const char* kRules = R"(
[[rule]]
id = "test-hold"
description = "held for review"
scopes = "body"
patterns = 'HOLD-ME'
action = "quarantine"

[[rule]]
id = "test-refuse"
description = "never sent"
scopes = "body"
patterns = 'REFUSE-ME'
action = "reject"
)";

// A store, rules and a configuration naming them and the listener.
struct Env {
  TempDir dir;
  std::string conf = dir.File("sealmilter.conf");
  std::string db = dir.File("store.db");

  explicit Env(int reinject_port) {
    WriteFile(dir.File("rules.toml"), kRules);
    std::string conf_text = "[spool]\ndirectory = \"" + dir.path() +
                            "\"\n[rules]\nshipped = false\npaths = [\"" +
                            dir.File("rules.toml") + "\"]\n[store]\npath = \"" +
                            db + "\"\n";
    if (reinject_port > 0) {
      conf_text +=
          "[gateway]\nreinject = \"127.0.0.1:" + std::to_string(reinject_port) +
          "\"\n";
    }
    WriteFile(conf, conf_text);
    store::StoreOptions o;
    o.path = db;
    auto opened = store::OpenStore(o);
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }

  std::string Put(const std::string& message,
                  std::vector<std::string> rcpts = {"bob@example.org"}) {
    store::QuarantineRecord info;
    info.queue_id = "4Q1";
    info.sender = "alice@example.com";
    info.recipients = std::move(rcpts);
    info.auth_user = "alice";
    info.client_addr = "192.0.2.1";
    info.reason = "content policy (test-hold)";
    auto put = store->PutQuarantine(message, info);
    REQUIRE(put.ok());
    return put->id;
  }

  Captured Ctl(std::vector<std::string> args) {
    args.push_back("-c");
    args.push_back(conf);
    return RunCaptured(args);
  }

  std::unique_ptr<store::Store> store;
};

const std::string kHeld =
    "Subject: review\r\nFrom: alice@example.com\r\n\r\nplease HOLD-ME\r\n";

TEST_CASE("sealctl quarantine list, show and delete") {
  Env env(0);
  std::string a = env.Put(kHeld);
  std::string b = env.Put(kHeld, {"x@example.org", "y@example.org"});

  Captured list = env.Ctl({"quarantine", "list"});
  REQUIRE(list.rc == kExitOk);
  CHECK_THAT(list.out, Catch::StartsWith("ID "));
  CHECK_THAT(list.out, Catch::Contains(a));
  CHECK_THAT(list.out, Catch::Contains(b));
  CHECK_THAT(list.out, Catch::Contains("x@example.org,y@example.org"));
  CHECK_THAT(list.out, Catch::Contains("content policy (test-hold)"));
  CHECK(list.out.find("HOLD-ME") == std::string::npos);  // no content

  Captured json = env.Ctl({"quarantine", "list", "--json"});
  REQUIRE(json.rc == kExitOk);
  CHECK_THAT(json.out, Catch::Contains("\"id\": \"" + a + "\""));
  CHECK_THAT(json.out, Catch::Contains("\"state\": \"held\""));
  CHECK(json.out.find("HOLD-ME") == std::string::npos);

  Captured show = env.Ctl({"quarantine", "show", a});
  REQUIRE(show.rc == kExitOk);
  CHECK_THAT(show.out, Catch::Contains("alice@example.com"));
  CHECK_THAT(show.out,
             Catch::Contains("size         " + std::to_string(kHeld.size())));
  CHECK(show.out.find("HOLD-ME") == std::string::npos);
  Captured raw = env.Ctl({"quarantine", "show", "--raw", a});
  REQUIRE(raw.rc == kExitOk);
  CHECK(raw.out == kHeld);

  Captured del = env.Ctl({"quarantine", "delete", a});
  REQUIRE(del.rc == kExitOk);
  CHECK(env.Ctl({"quarantine", "delete", a}).rc == kExitFailure);
  Captured gone = env.Ctl({"quarantine", "show", "--raw", a});
  CHECK(gone.rc == kExitFailure);
  CHECK_THAT(gone.err, Catch::Contains("deleted"));
  Captured held = env.Ctl({"quarantine", "list"});
  CHECK(held.out.find(a) == std::string::npos);
  Captured deleted = env.Ctl({"quarantine", "list", "--state", "deleted"});
  CHECK_THAT(deleted.out, Catch::Contains(a));
  CHECK(deleted.out.find(b) == std::string::npos);
  Captured all =
      env.Ctl({"quarantine", "list", "--state", "all", "--limit", "1"});
  REQUIRE(all.rc == kExitOk);
  CHECK_THAT(all.out, Catch::Contains(b));  // newest first
  CHECK(all.out.find(a) == std::string::npos);
}

TEST_CASE("sealctl quarantine: bad input gets clear errors") {
  Env env(0);
  std::string id = env.Put(kHeld);
  struct Case {
    std::vector<std::string> args;
    int rc;
    const char* err;
  };
  const std::vector<Case> cases = {
      {{"quarantine", "show", "nothex!"}, kExitFailure, "16 hex digits"},
      {{"quarantine", "show", "0123"}, kExitFailure, "16 hex digits"},
      {{"quarantine", "show", "0123456789abcdef"},
       kExitFailure,
       "no quarantined message"},
      {{"quarantine", "release", "0123456789abcdef"},
       kExitFailure,
       "no quarantined message"},
      {{"quarantine", "delete", "'; DROP TABLE--"},
       kExitFailure,
       "16 hex digits"},
      {{"quarantine", "show"}, kExitUsage, "missing argument"},
      {{"quarantine", "show", id, id}, kExitUsage, "unexpected argument"},
      {{"quarantine", "show", "--raw", "--json", id}, kExitUsage, "exclude"},
      {{"quarantine", "list", "--state", "frozen"},
       kExitUsage,
       "unknown quarantine state"},
      {{"quarantine", "list", "--limit", "-3"}, kExitUsage, "positive number"},
      {{"quarantine", "list", "--limit", "x"}, kExitUsage, "positive number"},
      {{"quarantine", "list", "--bogus"}, kExitUsage, "unknown option"},
      {{"quarantine", "list", "--store", "/nonexistent/q.db"},
       kExitConfig,
       "does not exist"},
  };
  for (const Case& c : cases) {
    Captured r = env.Ctl(c.args);
    INFO(c.args[1] << " " << (c.args.size() > 2 ? c.args[2] : ""));
    CHECK(r.rc == c.rc);
    CHECK_THAT(r.err, Catch::Contains(c.err));
  }
  // Release needs somewhere to re-inject to.
  Captured nowhere = env.Ctl({"quarantine", "release", id});
  CHECK(nowhere.rc == kExitConfig);
  CHECK_THAT(nowhere.err, Catch::Contains("gateway.reinject"));
  CHECK(env.store->GetQuarantine(id)->state == store::QuarantineState::kHeld);
}

TEST_CASE("sealctl quarantine release re-injects and marks released") {
  FakeListener listener;
  Env env(listener.port());
  std::string id = env.Put(kHeld, {"bob@example.org", "carol@example.org"});
  listener.Start();
  Captured r = env.Ctl({"quarantine", "release", id});
  INFO(r.err);
  REQUIRE(r.rc == kExitOk);
  CHECK_THAT(r.out, Catch::Contains("released " + id));
  std::string got = listener.Received();
  CHECK_THAT(got, Catch::Contains("MAIL FROM:<alice@example.com>"));
  CHECK_THAT(got, Catch::Contains("RCPT TO:<bob@example.org>"));
  CHECK_THAT(got, Catch::Contains("RCPT TO:<carol@example.org>"));
  CHECK_THAT(got, Catch::Contains(kHeld + ".\r\n"));

  auto rec = env.store->GetQuarantine(id);
  REQUIRE(rec.ok());
  CHECK(rec->state == store::QuarantineState::kReleased);
  CHECK_THAT(rec->handled_by, Catch::StartsWith("sealctl "));
  Captured again = env.Ctl({"quarantine", "release", id});
  CHECK(again.rc == kExitFailure);
  CHECK_THAT(again.err, Catch::Contains("already released"));
}

TEST_CASE("sealctl quarantine release: a policy reject keeps it held") {
  FakeListener listener;  // never started: nothing may connect
  Env env(listener.port());
  std::string id = env.Put("Subject: x\r\n\r\nHOLD-ME and REFUSE-ME\r\n");
  Captured r = env.Ctl({"quarantine", "release", id});
  CHECK(r.rc == kExitFailure);
  CHECK_THAT(r.err, Catch::Contains("550"));
  CHECK_THAT(r.err, Catch::Contains("stays held"));
  CHECK(env.store->GetQuarantine(id)->state == store::QuarantineState::kHeld);
}

TEST_CASE("sealctl quarantine release: no listener keeps it held") {
  int port = 0;
  {
    FakeListener closed;  // bound, then closed: the port refuses
    port = closed.port();
  }
  Env env(port);
  std::string id = env.Put(kHeld);
  Captured r = env.Ctl({"quarantine", "release", id});
  CHECK(r.rc == kExitFailure);
  CHECK_THAT(r.err, Catch::Contains("cannot re-inject"));
  CHECK(env.store->GetQuarantine(id)->state == store::QuarantineState::kHeld);
}

}  // namespace
}  // namespace seal::ctl
