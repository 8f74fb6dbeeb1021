// What the gateway answers when a message cannot be fully inspected: the
// [mime] limits of the configuration reach the MIME adapter (MimeLimitsOf
// in the Policy), a message beyond a structural limit is rejected with
// 554 5.6.0 and a warning naming the limit, a content limit cuts text
// ("truncated=yes") without refusing mail unless rules.on_truncated says
// otherwise for outbound mail, and a rule engine that cannot decide (RE2
// out of DFA memory) makes a tempfail, never a pass or a 5xx.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/config.h"
#include "lib/gateway/policy.h"
#include "lib/gateway/process.h"
#include "lib/log.h"
#include "lib/rules/compiled_rules.h"
#include "lib/rules/rule_files.h"
#include "lib/snapshot.h"
#include "tests/unit/capture_log.h"
#include "tests/unit/rules/failing_matcher.h"

namespace seal::gateway {
namespace {

using testing::CaptureScope;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/seal-mimelim-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
  }
  ~TempDir() {
    unlink((dir_ + "/rules.toml").c_str());
    unlink((dir_ + "/sealmilter.conf").c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

// A daemon on `conf_text` (a sealmilter.conf) with one rule that asks for
// a reject when the body says REJECT-ME: a message the adapter cuts short
// is accepted only because the rule never saw the word.
struct Daemon {
  Daemon(const TempDir& dir, const std::string& conf_text) {
    std::ofstream(dir.path() + "/rules.toml") << R"(
[[rule]]
id = "stop"
description = "stop"
scopes = "body"
patterns = 'REJECT-ME'
action = "reject"
)";
    std::ofstream(dir.path() + "/sealmilter.conf") << conf_text;
    Result<Config> config =
        LoadConfig(ConfigSource{dir.path() + "/sealmilter.conf", true});
    INFO(config.status().ToString());
    REQUIRE(config.ok());
    config->rules.shipped = false;
    config->rules.paths = {dir.path() + "/rules.toml"};
    config->spool.directory = dir.path();
    auto policy = BuildPolicy(*config);
    INFO(policy.status().ToString());
    REQUIRE(policy.ok());
    snapshot = std::make_shared<Snapshot>();
    snapshot->config = *config;
    snapshot->policy = *policy;
  }
  Outcome Run(const std::string& raw,
              const std::string& client_addr = "192.0.2.9",
              const Services& services = Services()) {
    Transaction t(snapshot, Logger("s1/4M1"));
    t.envelope().sender = "alice@example.com";
    t.envelope().recipients = {"bob@example.org"};
    REQUIRE(t.spool().Append(raw).ok());
    ConnectionInfo c;
    c.client_addr = client_addr;
    return ProcessMessage(t, c, services);
  }
  std::shared_ptr<Snapshot> snapshot;
};

// A multipart/mixed message with `parts` text parts (parts + 1 entities).
std::string Multipart(int parts, const std::string& last_text) {
  std::string m =
      "Subject: s\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int i = 0; i < parts; ++i) {
    m += "--b\r\nContent-Type: text/plain\r\n\r\n";
    m += i + 1 == parts ? last_text : "part " + std::to_string(i);
    m += "\r\n";
  }
  return m + "--b--\r\n";
}

// `levels` nested multiparts around one text part.
std::string Nested(int levels) {
  std::string head = "Subject: s\r\nMIME-Version: 1.0\r\n";
  std::string tail;
  for (int i = 0; i < levels; ++i) {
    const std::string b = "b" + std::to_string(i);
    head += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" +
            b + "\r\n";
    tail = "\r\n--" + b + "--\r\n" + tail;
  }
  return head + "Content-Type: text/plain\r\n\r\nhello" + tail;
}

TEST_CASE("MimeLimitsOf: the [mime] keys and rules.max_scan_bytes") {
  Result<Config> defaults = ParseConfig("", "test");
  REQUIRE(defaults.ok());
  mime::MimeLimits d = MimeLimitsOf(*defaults);
  CHECK(d.max_depth == 20);
  CHECK(d.max_parts == 500);
  CHECK(d.max_header_bytes == 256 * 1024);
  CHECK(d.max_header_field_bytes == 64 * 1024);
  CHECK(d.max_decoded_bytes == 32u << 20);
  // The extractor's text cap is the engine's, so neither stops first.
  CHECK(d.max_scan_bytes == 32u << 20);

  Result<Config> set = ParseConfig(
      "[mime]\nmax_depth = 3\nmax_parts = 7\nmax_header_bytes = \"2K\"\n"
      "max_header_field_bytes = 300\nmax_part_bytes = \"4K\"\n"
      "[rules]\nmax_scan_bytes = \"64M\"\n",
      "test");
  INFO(set.status().ToString());
  REQUIRE(set.ok());
  mime::MimeLimits s = MimeLimitsOf(*set);
  CHECK(s.max_depth == 3);
  CHECK(s.max_parts == 7);
  CHECK(s.max_header_bytes == 2048);
  CHECK(s.max_header_field_bytes == 300);
  CHECK(s.max_decoded_bytes == 4096);
  CHECK(s.max_scan_bytes == 64u << 20);
  // Untouched limits keep the adapter's own defaults (a Config{} built in
  // code has zeros).
  CHECK(MimeLimitsOf(Config{}).max_parts == mime::MimeLimits().max_parts);

  for (const char* bad :
       {"[mime]\nmax_depth = 0\n", "[mime]\nmax_depth = 101\n",
        "[mime]\nmax_parts = 0\n", "[mime]\nmax_parts = \"many\"\n",
        "[mime]\nmax_header_bytes = \"100\"\n",
        "[mime]\nmax_part_bytes = \"17G\"\n", "[mime]\nmax_nesting = 3\n"}) {
    INFO(bad);
    Result<Config> c = ParseConfig(bad, "test");
    CHECK_FALSE(c.ok());
    CHECK_THAT(c.status().message(), Catch::Contains("test:"));
  }
}

TEST_CASE("ProcessMessage: too many parts or too deep is a clear reject") {
  CaptureScope capture;
  TempDir dir;
  Daemon strict(dir, "[mime]\nmax_parts = 5\nmax_depth = 3\n");
  Daemon relaxed(dir, "");

  // 4 text parts + the container = 5 entities: inspected; 5 + 1: refused.
  Outcome ok = strict.Run(Multipart(4, "fine"));
  CHECK(ok.verdict.kind == Verdict::Kind::kAccept);
  Outcome over = strict.Run(Multipart(5, "fine"));
  CHECK(over.verdict.kind == Verdict::Kind::kReject);
  CHECK(over.verdict.smtp_code == "554");
  CHECK(over.verdict.enhanced_code == "5.6.0");
  CHECK_THAT(over.verdict.text, Catch::Contains("too complex"));
  CHECK(over.plan.empty());
  const std::string log = capture.sink->All();
  CHECK_THAT(log, Catch::Contains("reason=structure-too-complex"));
  CHECK_THAT(log, Catch::Contains("more than 5"));
  // The default limits inspect the same message (and find the rule's word).
  CHECK(relaxed.Run(Multipart(5, "fine")).verdict.kind ==
        Verdict::Kind::kAccept);
  CHECK(relaxed.Run(Multipart(5, "REJECT-ME")).verdict.smtp_code == "550");

  CHECK(strict.Run(Nested(3)).verdict.kind == Verdict::Kind::kAccept);
  Outcome deep = strict.Run(Nested(4));
  CHECK(deep.verdict.kind == Verdict::Kind::kReject);
  CHECK(deep.verdict.enhanced_code == "5.6.0");
  CHECK(relaxed.Run(Nested(4)).verdict.kind == Verdict::Kind::kAccept);
}

TEST_CASE("ProcessMessage: a header block over mime.max_header_bytes") {
  CaptureScope capture;
  TempDir dir;
  Daemon strict(dir, "[mime]\nmax_header_bytes = \"1K\"\n");
  std::string raw = "Subject: s\r\n";
  for (int i = 0; i < 40; ++i)
    raw += "X-Filler: " + std::string(40, 'x') + "\r\n";
  raw += "\r\nbody\r\n";
  Outcome out = strict.Run(raw);
  CHECK(out.verdict.kind == Verdict::Kind::kReject);
  CHECK(out.verdict.enhanced_code == "5.6.0");
  CHECK_THAT(capture.sink->All(), Catch::Contains("header block larger"));
}

TEST_CASE("ProcessMessage: mime.max_part_bytes cuts text, refuses nothing") {
  CaptureScope capture;
  TempDir dir;
  Daemon strict(dir, "[mime]\nmax_part_bytes = \"1K\"\n");
  const std::string late =
      "Subject: s\r\n\r\n" + std::string(3000, 'a') + " REJECT-ME\r\n";
  Outcome cut = strict.Run(late);
  // The word is past the part's 1K: not seen, said in the log line.
  CHECK(cut.verdict.kind == Verdict::Kind::kAccept);
  CHECK_THAT(capture.sink->All(), Catch::Contains("truncated=yes"));
  const std::string early =
      "Subject: s\r\n\r\nREJECT-ME " + std::string(3000, 'a') + "\r\n";
  CHECK(strict.Run(early).verdict.kind == Verdict::Kind::kReject);
}

TEST_CASE("ProcessMessage: RE2 out of DFA memory is a tempfail") {
  CaptureScope capture;
  TempDir dir;
  Daemon d(dir, "");
  // The same rules, with a body matcher that fails as RE2 does.
  Result<rules::RuleList> list =
      rules::LoadRulePaths({dir.path() + "/rules.toml"});
  REQUIRE(list.ok());
  auto failing =
      rules::CompileRules(std::move(*list), rules::EngineOptions(),
                          rules::testing::OutOfMemoryIn(Scope::kBody));
  REQUIRE(failing.ok());
  auto policy = std::make_shared<Policy>(*d.snapshot->policy);
  policy->rules = *failing;
  d.snapshot->policy = policy;
  for (const char* body : {"hello", "REJECT-ME"}) {
    INFO(body);
    Outcome out = d.Run(std::string("Subject: s\r\n\r\n") + body + "\r\n");
    CHECK(out.verdict.kind == Verdict::Kind::kTempfail);
    CHECK(out.verdict.smtp_code == "451");
    CHECK(out.verdict.enhanced_code == "4.3.0");
    CHECK(out.plan.empty());
  }
  const std::string log = capture.sink->All();
  CHECK_THAT(log, Catch::Contains("tempfailed: "));
  CHECK_THAT(log, Catch::Contains("reason=cannot-decide"));
  CHECK_THAT(log, Catch::Contains("ran out of DFA memory"));
}

// Outbound mail (the client 192.0.2.9 is internal, bob@example.org is not)
// whose text is cut at mime.max_part_bytes, under each rules.on_truncated.
std::string CutConfig(const std::string& on_truncated,
                      const std::string& quarantine = "store") {
  return "[rules]\non_truncated = \"" + on_truncated +
         "\"\n[mime]\nmax_part_bytes = \"1K\"\n"
         "[gateway]\ninternal_domains = [\"example.com\"]\n"
         "internal_networks = [\"192.0.2.0/24\"]\nquarantine = \"" +
         quarantine + "\"\n";
}

const std::string kCutMessage =
    "Subject: s\r\n\r\n" + std::string(3000, 'a') + "\r\n";

TEST_CASE("ProcessMessage: rules.on_truncated on outbound mail") {
  SECTION("classify: delivered as found (the default)") {
    CaptureScope capture;
    TempDir dir;
    Daemon d(dir, CutConfig("classify"));
    CHECK(d.Run(kCutMessage).verdict.kind == Verdict::Kind::kAccept);
    CHECK_THAT(capture.sink->All(), Catch::Contains("truncated=yes"));
    CHECK_THAT(capture.sink->All(),
               !Catch::Contains("rules=rules.on_truncated"));
  }
  SECTION("reject: refused like a reject rule") {
    CaptureScope capture;
    TempDir dir;
    Daemon d(dir, CutConfig("reject"));
    Outcome o = d.Run(kCutMessage);
    CHECK(o.verdict.kind == Verdict::Kind::kReject);
    CHECK(o.verdict.smtp_code == "550");
    CHECK_THAT(capture.sink->All(), Catch::Contains("rules.on_truncated"));
  }
  SECTION("encrypt: never in clear (no certificate, no store: tempfail)") {
    CaptureScope capture;
    TempDir dir;
    Daemon d(dir, CutConfig("encrypt"));
    Outcome o = d.Run(kCutMessage);
    CHECK(o.verdict.kind == Verdict::Kind::kTempfail);
    CHECK_THAT(capture.sink->All(),
               Catch::Contains("text not all classified: rules.on_truncated "
                               "= encrypt"));
  }
  SECTION("quarantine: held by the MTA") {
    CaptureScope capture;
    TempDir dir;
    Daemon d(dir, CutConfig("quarantine", "mta"));
    Outcome o = d.Run(kCutMessage);
    CHECK_THAT(capture.sink->All(), Catch::Contains("quarantine=mta"));
    CHECK_THAT(capture.sink->All(), Catch::Contains("quarantined"));
    CHECK(o.verdict.kind == Verdict::Kind::kAccept);
    CHECK_THAT(o.plan.quarantine, Catch::Contains("content policy"));
  }
  SECTION("quarantine, then released by an administrator: delivered") {
    CaptureScope capture;
    TempDir dir;
    Daemon d(dir, CutConfig("quarantine", "mta"));
    Services released;
    released.quarantine_released = true;
    Outcome o = d.Run(kCutMessage, "192.0.2.9", released);
    CHECK(o.verdict.kind == Verdict::Kind::kAccept);
    CHECK(o.plan.quarantine.empty());  // not held a second time
  }
  SECTION("a message that was read whole is not touched") {
    CaptureScope capture;
    TempDir dir;
    Daemon d(dir, CutConfig("reject"));
    CHECK(d.Run("Subject: s\r\n\r\nshort\r\n").verdict.kind ==
          Verdict::Kind::kAccept);
  }
  SECTION("inbound mail is not touched") {
    CaptureScope capture;
    TempDir dir;
    Daemon d(dir, CutConfig("reject"));
    CHECK(d.Run(kCutMessage, "198.51.100.7").verdict.kind ==
          Verdict::Kind::kAccept);
  }
}

}  // namespace
}  // namespace seal::gateway
