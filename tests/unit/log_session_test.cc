// Tests for logging (lib/log.h) and the Session/Transaction pass-through path
// (lib/session.h): context binding, sanitising, verdicts on limits.
#include <catch2/catch.hpp>
#include <mutex>
#include <vector>

#include "lib/log.h"
#include "lib/session.h"
#include "tests/unit/capture_log.h"

namespace seal {
namespace {

using testing::CaptureScope;

TEST_CASE("log lines carry context, respect the level, are sanitised") {
  CaptureScope capture;
  Logger log("s7/ABC123");
  log.Info() << "size=" << 42;
  log.Debug() << "not shown";
  log.Warning() << "evil\r\nFake: line\x01";
  Logger("").Error() << "no context";
  REQUIRE(capture.sink->lines.size() == 3);
  CHECK(capture.sink->lines[0] == "info s7/ABC123: size=42");
  CHECK(capture.sink->lines[1] == "warning s7/ABC123: evil??Fake: line?");
  CHECK(capture.sink->lines[2] == "error no context");
  SetLogLevel(LogLevel::kDebug);
  log.Debug() << "shown";
  CHECK(capture.sink->lines.back() == "debug s7/ABC123: shown");
}

TEST_CASE("ParseLogLevel knows the schema's level names") {
  for (std::string_view n : {"error", "warning", "notice", "info", "debug"}) {
    Result<LogLevel> l = ParseLogLevel(n);
    REQUIRE(l.ok());
    CHECK(LogLevelName(*l) == n);
  }
  CHECK_FALSE(ParseLogLevel("loud").ok());
}

Config TestConfig(uint64_t max_size) {
  Config c = Config::Defaults();
  c.spool.directory = "/tmp";
  c.spool.memory_limit = 64;
  c.spool.max_size = max_size;
  return c;
}

TEST_CASE("a message passes unchanged and is logged by queue id") {
  CaptureScope capture;
  SnapshotStore store({"/unused", true}, TestConfig(1 << 20));
  Session session(12, &store);
  REQUIRE(session.BeginMessage("alice@example.com", "").kind ==
          Verdict::Kind::kContinue);
  session.SetQueueId("4XkQ1");
  REQUIRE(session.AddRecipient("bob@example.org").kind ==
          Verdict::Kind::kContinue);
  Transaction* t = session.transaction();
  REQUIRE(t != nullptr);
  CHECK(t->AddHeader("Subject", " hello").kind == Verdict::Kind::kContinue);
  CHECK(t->AddHeader("X-Folded", " a\n\tb").kind == Verdict::Kind::kContinue);
  CHECK(t->EndHeaders().kind == Verdict::Kind::kContinue);
  CHECK(t->AddBody("line one\r\n").kind == Verdict::Kind::kContinue);
  CHECK(t->spool().size() > 0);
  Result<SpoolView> view = t->spool().Map();
  REQUIRE(view.ok());
  CHECK(view->data() ==
        "Subject: hello\r\nX-Folded: a\r\n\tb\r\n\r\nline one\r\n");
  Verdict v = t->End();
  CHECK(v.kind == Verdict::Kind::kAccept);
  session.EndMessage();
  CHECK(session.transaction() == nullptr);
  REQUIRE_FALSE(capture.sink->lines.empty());
  CHECK_THAT(capture.sink->lines.back(),
             Catch::StartsWith("info s12/4XkQ1: passed unchanged: size=45 "
                               "rcpts=1 spilled=no time="));
}

TEST_CASE("the log line tells end-of-message work (eom=) from time=") {
  CaptureScope capture;
  SnapshotStore store({"/unused", true}, TestConfig(1 << 20));
  Session session(3, &store);
  REQUIRE(session.BeginMessage("a@example.com", "").kind ==
          Verdict::Kind::kContinue);
  session.SetQueueId("4XkQ3");
  Transaction* t = session.transaction();
  REQUIRE(t != nullptr);
  CHECK(t->eom_elapsed().count() == 0);  // not at end of message yet
  CHECK(t->AddBody("x\r\n").kind == Verdict::Kind::kContinue);
  t->MarkEndOfMessage();
  CHECK(t->eom_elapsed().count() >= 0);
  CHECK(t->eom_elapsed() <= t->elapsed());  // eom starts after MAIL FROM
  CHECK(t->End().kind == Verdict::Kind::kAccept);
  REQUIRE_FALSE(capture.sink->lines.empty());
  const std::string& line = capture.sink->lines.back();
  INFO(line);
  size_t eom = line.find(" eom=");
  size_t time = line.find(" time=");
  REQUIRE(eom != std::string::npos);
  REQUIRE(time != std::string::npos);
  CHECK(eom < time);  // time= stays last: tools anchor on it
  CHECK(line.substr(line.size() - 2) == "ms");
  session.EndMessage();
}

TEST_CASE("durations in log lines: milliseconds with one decimal") {
  using std::chrono::microseconds;
  CHECK(FormatMillis(microseconds(0)) == "0.0ms");
  CHECK(FormatMillis(microseconds(999)) == "0.9ms");
  CHECK(FormatMillis(microseconds(12345)) == "12.3ms");
  CHECK(FormatMillis(microseconds(60000000)) == "60000.0ms");
}

TEST_CASE("an oversized message is rejected 552 5.3.4, never accepted") {
  CaptureScope capture;
  SnapshotStore store({"/unused", true}, TestConfig(1024));
  Session session(1, &store);
  REQUIRE(session.BeginMessage("a@example.com", "").kind ==
          Verdict::Kind::kContinue);
  Transaction* t = session.transaction();
  REQUIRE(t->EndHeaders().kind == Verdict::Kind::kContinue);
  Verdict v = t->AddBody(std::string(2000, 'x'));
  CHECK(v.kind == Verdict::Kind::kReject);
  CHECK(v.smtp_code == "552");
  CHECK(v.enhanced_code == "5.3.4");
  CHECK(v.text == "Message too big for content inspection");
}

TEST_CASE("a spool failure tempfails 451 4.3.0") {
  CaptureScope capture;
  Config c = TestConfig(1 << 20);
  c.spool.directory = "/nonexistent/dir";
  SnapshotStore store({"/unused", true}, c);
  Session session(2, &store);
  REQUIRE(session.BeginMessage("a@example.com", "").kind ==
          Verdict::Kind::kContinue);
  Verdict v = session.transaction()->AddBody(std::string(100, 'x'));
  CHECK(v.kind == Verdict::Kind::kTempfail);
  CHECK(v.smtp_code == "451");
  CHECK(v.enhanced_code == "4.3.0");
  CHECK_THAT(capture.sink->lines.back(),
             Catch::Contains("cannot create spool file"));
}

TEST_CASE("RCPT without MAIL is refused, not crashed on") {
  SnapshotStore store({"/unused", true}, TestConfig(1 << 20));
  Session session(3, &store);
  CHECK(session.AddRecipient("x@example.com").kind == Verdict::Kind::kTempfail);
}

TEST_CASE("a transaction keeps its snapshot across a reload") {
  SnapshotStore store({"/unused", true}, TestConfig(1 << 20));
  Session session(4, &store);
  REQUIRE(session.BeginMessage("a@example.com", "").kind ==
          Verdict::Kind::kContinue);
  CHECK(session.transaction()->snapshot().generation == 1);
  // Reload fails here (no such file), and the transaction is unaffected.
  CHECK_FALSE(store.Reload().ok());
  CHECK(session.transaction()->snapshot().generation == 1);
}

}  // namespace
}  // namespace seal
