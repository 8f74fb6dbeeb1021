// Tests for the milter layer's pure parts: command line, the verdict mapper,
// socket address syntax.
#include <catch2/catch.hpp>

#include "milter/header_wire.h"
#include "milter/options.h"
#include "milter/socket.h"
#include "milter/verdict_mapper.h"

namespace seal::milter {
namespace {

TEST_CASE("command line options") {
  struct Case {
    std::vector<std::string> args;
    bool ok;
    std::string config;
    bool f, e, t, p;
  };
  const Case cases[] = {
      {{}, true, "", false, false, false, false},
      {{"-c", "/etc/x.conf"}, true, "/etc/x.conf", false, false, false, false},
      {{"-c/etc/y.conf", "-f"}, true, "/etc/y.conf", true, false, false, false},
      {{"-fe", "-c", "a"}, true, "a", true, true, false, false},
      {{"-tc", "b"}, true, "b", false, false, true, false},
      {{"-p"}, true, "", false, false, false, true},
      {{"--check-config", "--foreground"}, true, "", true, false, true, false},
      {{"-c"}, false, "", false, false, false, false},
      {{"-x"}, false, "", false, false, false, false},
      {{"--bogus"}, false, "", false, false, false, false},
      {{"stray"}, false, "", false, false, false, false},
      {{"-"}, false, "", false, false, false, false},
  };
  for (const Case& tc : cases) {
    std::string joined;
    for (const auto& a : tc.args) joined += a + " ";
    INFO(joined);
    Result<Options> o = ParseOptions(tc.args);
    REQUIRE(o.ok() == tc.ok);
    if (!tc.ok) continue;
    CHECK(o->config_path == tc.config);
    CHECK(o->foreground == tc.f);
    CHECK(o->log_stderr == tc.e);
    CHECK(o->check_config == tc.t);
    CHECK(o->print_config == tc.p);
  }
  CHECK_THAT(ParseOptions({"-q"}).status().message(),
             Catch::Contains("unknown option '-q'"));
  CHECK(ParseOptions({"-V"})->version);
  CHECK(ParseOptions({"-h"})->help);
}

TEST_CASE("verdict mapper: kinds to libmilter codes") {
  Logger log("test");
  CHECK(MapVerdict(nullptr, Verdict::Continue(), log) == SMFIS_CONTINUE);
  CHECK(MapVerdict(nullptr, Verdict::Accept(), log) == SMFIS_ACCEPT);
  CHECK(MapVerdict(nullptr, Verdict::Tempfail("x"), log) == SMFIS_TEMPFAIL);
  CHECK(MapVerdict(nullptr, Verdict::Reject("552", "5.3.4", "big"), log) ==
        SMFIS_REJECT);
}

TEST_CASE("verdict mapper: replies are consistent with the verdict") {
  struct Case {
    Verdict verdict;
    std::string code, enhanced, text;
  };
  const Case cases[] = {
      {Verdict::Tempfail("try later"), "451", "4.3.0", "try later"},
      {Verdict::Tempfail("t", "421", "4.7.0"), "421", "4.7.0", "t"},
      {Verdict::Reject("552", "5.3.4", "too big"), "552", "5.3.4", "too big"},
      // A tempfail must never carry a 5xx code and vice versa.
      {Verdict::Tempfail("x", "550", "5.7.1"), "451", "4.3.0", "x"},
      {Verdict::Reject("451", "4.3.0", "x"), "550", "5.7.1", "x"},
      // Malformed codes fall back to the class default.
      {Verdict::Reject("55", "5.7", "x"), "550", "5.7.1", "x"},
      {Verdict::Reject("5x0", "5.a.1", "x"), "550", "5.7.1", "x"},
      {Verdict::Reject("554", "5..1", "x"), "554", "5.7.1", "x"},
      {Verdict::Reject("554", "5.7.1.", "x"), "554", "5.7.1", "x"},
      {Verdict::Tempfail(""), "451", "4.3.0",
       "Temporary failure, try again later"},
  };
  for (const Case& tc : cases) {
    INFO(tc.verdict.smtp_code << " " << tc.verdict.enhanced_code);
    Reply r = ReplyFor(tc.verdict);
    CHECK(r.code == tc.code);
    CHECK(r.enhanced == tc.enhanced);
    CHECK(r.text == tc.text);
  }
  CHECK(ReplyFor(Verdict::Accept()).code.empty());
}

TEST_CASE("reply text is sanitised for smfi_setreply") {
  CHECK(SanitizeReplyText("100% sure") == "100%% sure");
  CHECK(SanitizeReplyText("a\r\nb\tc") == "a  b c");
  CHECK(SanitizeReplyText("caf\xc3\xa9") == "caf  ");
  CHECK(SanitizeReplyText(std::string(1000, 'a')).size() == 400);
}

TEST_CASE("socket addresses") {
  struct Case {
    std::string spec;
    bool ok;
    SocketAddress::Kind kind;
    std::string path_or_host;
    int port;
    std::string normalised;
  };
  const Case cases[] = {
      {"unix:/run/s.sock", true, SocketAddress::Kind::kUnix, "/run/s.sock", 0,
       "unix:/run/s.sock"},
      {"local:/run/s.sock", true, SocketAddress::Kind::kUnix, "/run/s.sock", 0,
       "unix:/run/s.sock"},
      {"/run/s.sock", true, SocketAddress::Kind::kUnix, "/run/s.sock", 0,
       "unix:/run/s.sock"},
      {"inet:8891@127.0.0.1", true, SocketAddress::Kind::kInet, "127.0.0.1",
       8891, "inet:8891@127.0.0.1"},
      {"inet:8891", true, SocketAddress::Kind::kInet, "", 8891, "inet:8891"},
      {"inet6:8891@::1", true, SocketAddress::Kind::kInet6, "::1", 8891,
       "inet6:8891@::1"},
      {"unix:relative.sock", false, {}, "", 0, ""},
      {"unix:/" + std::string(200, 'a'), false, {}, "", 0, ""},
      {"inet:0@127.0.0.1", false, {}, "", 0, ""},
      {"inet:70000", false, {}, "", 0, ""},
      {"inet:12a@h", false, {}, "", 0, ""},
      {"inet:12@", false, {}, "", 0, ""},
      {"tcp:12@h", false, {}, "", 0, ""},
      {"", false, {}, "", 0, ""},
  };
  for (const Case& tc : cases) {
    INFO(tc.spec);
    Result<SocketAddress> a = ParseSocketAddress(tc.spec);
    REQUIRE(a.ok() == tc.ok);
    if (!tc.ok) {
      CHECK_THAT(a.status().message(), Catch::StartsWith("milter.socket: "));
      continue;
    }
    CHECK(a->kind == tc.kind);
    if (tc.kind == SocketAddress::Kind::kUnix) {
      CHECK(a->path == tc.path_or_host);
    } else {
      CHECK(a->host == tc.path_or_host);
      CHECK(a->port == tc.port);
    }
    CHECK(a->spec == tc.normalised);
  }
}

TEST_CASE("header values on the wire stay one field") {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", " plain"},
      {"", " "},
      {"a;\r\n\tb", " a;\n\tb"},
      {"a;\n b", " a;\n b"},
      // A break that would start a new field stays a fold.
      {"x\r\nBcc: evil@example.net", " x\n Bcc: evil@example.net"},
      {"x\nBcc: evil@example.net", " x\n Bcc: evil@example.net"},
      // A bare CR and a NUL are not line ends here.
      {"x\rBcc: evil@example.net", " x Bcc: evil@example.net"},
      {std::string("a\0b", 3), " a b"},
      // Breaks at the end go.
      {"value\r\n", " value"},
      {"value\n\n", " value"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK(WireValue(c.in) == c.out);
  }
}

}  // namespace
}  // namespace seal::milter
