// Tests for config loading and the schema (lib/config.h, lib/config_schema.h):
// good values, every way a config file can be wrong, hostile input.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <set>

#include "lib/config.h"
#include "lib/config_schema.h"
#include "lib/snapshot.h"

namespace seal {
namespace {

std::string TempPath(const std::string& name) {
  return "/tmp/sealmilter-config-test-" + std::to_string(getpid()) + "-" + name;
}

TEST_CASE("every schema default parses and keys are unique") {
  std::set<std::string_view> keys;
  for (const KeyDef& def : Schema()) {
    INFO(def.key);
    CHECK(keys.insert(def.key).second);
    CHECK(def.key.find('.') != std::string_view::npos);
    CHECK_FALSE(def.doc.empty());
    Result<Value> v = ParseValueText(def, def.default_value);
    CHECK(v.ok());
    if (v.ok()) {
      // Rendering and parsing again is stable (used by sealmilter -p).
      Result<Config> c = ParseConfig(
          "[" + std::string(def.key.substr(0, def.key.find('.'))) + "]\n" +
              std::string(def.key.substr(def.key.find('.') + 1)) + " = " +
              RenderValue(def, *v) + "\n",
          "roundtrip");
      REQUIRE(c.ok());
      CHECK(def.get(*c) == *v);
    }
  }
}

TEST_CASE("defaults are what the schema says") {
  Config c = Config::Defaults();
  CHECK(c.source == "(embedded defaults)");
  CHECK(c.milter.socket == "unix:/run/sealmilter/sealmilter.sock");
  CHECK(c.milter.socket_mode == 0660);
  CHECK(c.milter.user == "sealmilter");
  CHECK(c.milter.timeout_seconds == 300);
  CHECK(c.spool.memory_limit == 1024 * 1024);
  CHECK(c.spool.max_size == 64ull * 1024 * 1024);
  CHECK(c.log.level == "info");
}

TEST_CASE("a complete config is read with units") {
  Result<Config> c = ParseConfig(R"(
# comment
[milter]
socket = "inet:8891@127.0.0.1"
socket_mode = "0600"
user = ""
timeout = "2m"
backlog = 50

[spool]
directory = "/tmp"
memory_limit = "512K"
max_size = "1G"

[log]
level = "debug"
facility = "local3"
)",
                                 "good.conf");
  REQUIRE(c.ok());
  CHECK(c->source == "good.conf");
  CHECK(c->milter.socket == "inet:8891@127.0.0.1");
  CHECK(c->milter.socket_mode == 0600);
  CHECK(c->milter.user.empty());
  CHECK(c->milter.timeout_seconds == 120);
  CHECK(c->milter.backlog == 50);
  CHECK(c->spool.memory_limit == 512 * 1024);
  CHECK(c->spool.max_size == 1024ull * 1024 * 1024);
  CHECK(c->log.facility == "local3");
  // Keys not given keep their defaults.
  CHECK(c->milter.group.empty());
}

TEST_CASE("sizes, durations and modes accept their spellings") {
  struct Case {
    std::string text;
    std::string key;
    int64_t want;
  };
  const Case cases[] = {
      {"max_size = 2048", "spool.max_size", 2048},
      {"max_size = \"4k\"", "spool.max_size", 4096},
      {"max_size = \"3MiB\"", "spool.max_size", 3 << 20},
      {"max_size = \"2GB\"", "spool.max_size", int64_t{2} << 30},
      {"memory_limit = 0", "spool.memory_limit", 0},
  };
  for (const Case& tc : cases) {
    INFO(tc.text);
    Result<Config> c = ParseConfig("[spool]\n" + tc.text + "\n", "t");
    REQUIRE(c.ok());
    CHECK(std::get<int64_t>(FindKey(tc.key)->get(*c)) == tc.want);
  }
  const Case milter_cases[] = {
      {"timeout = 30", "milter.timeout", 30},
      {"timeout = \"45s\"", "milter.timeout", 45},
      {"timeout = \"1h\"", "milter.timeout", 3600},
      {"timeout = \"1d\"", "milter.timeout", 86400},
      {"socket_mode = 0o640", "milter.socket_mode", 0640},
      {"socket_mode = \"660\"", "milter.socket_mode", 0660},
  };
  for (const Case& tc : milter_cases) {
    INFO(tc.text);
    Result<Config> c = ParseConfig("[milter]\n" + tc.text + "\n", "t");
    REQUIRE(c.ok());
    CHECK(std::get<int64_t>(FindKey(tc.key)->get(*c)) == tc.want);
  }
}

TEST_CASE("bad configs fail with file:line:column and a clear reason") {
  struct Case {
    std::string text;
    std::string want;  // substring of the error message
    StatusCode code;
  };
  const Case cases[] = {
      // Unknown keys, with and without a suggestion.
      {"[milter]\nsockt = \"x\"\n",
       "bad.conf:2:1: unknown key 'milter.sockt' (did you mean "
       "'milter.socket'?)",
       StatusCode::kInvalidArgument},
      {"[nonsense]\nfoo = 1\n",
       "bad.conf:1:2: unknown section [nonsense] (sections: [milter] [spool] "
       "[log] [rules] [mime] [gateway] [store] [envelope] [portal] [inbound] "
       "[ca])",
       StatusCode::kInvalidArgument},
      {"[inbound]\ntag_encrypted = \"[a]\\r\\nBcc: x@y\"\n",
       "inbound.tag_encrypted: value must be a single line",
       StatusCode::kInvalidArgument},
      {"[milter]\nsocket = \"x\"\n[milter.extra]\n",
       "unknown section [milter.extra]", StatusCode::kInvalidArgument},
      {"socket = \"x\"\n", "did you mean 'milter.socket'?",
       StatusCode::kInvalidArgument},
      {"milter = 3\n", "bad.conf:1:1: 'milter' must be a table ([milter])",
       StatusCode::kInvalidArgument},
      {"[milter.socket]\nx = 1\n", "milter.socket: expected string, got table",
       StatusCode::kInvalidArgument},
      // Wrong types.
      {"[milter]\nsocket = 5\n",
       "bad.conf:2:1: milter.socket: expected string, got integer",
       StatusCode::kInvalidArgument},
      {"[milter]\nbacklog = \"10\"\n",
       "milter.backlog: expected integer, got string",
       StatusCode::kInvalidArgument},
      {"[milter]\nbacklog = 1.5\n",
       "milter.backlog: expected integer, got floating-point number",
       StatusCode::kInvalidArgument},
      {"[milter]\nuser = [\"a\"]\n", "milter.user: expected string, got array",
       StatusCode::kInvalidArgument},
      {"[log]\nlevel = true\n", "log.level: expected enum, got boolean",
       StatusCode::kInvalidArgument},
      // Bad values.
      {"[log]\nlevel = \"loud\"\n",
       "log.level: \"loud\" is not one of: error warning notice info debug",
       StatusCode::kInvalidArgument},
      {"[spool]\nmax_size = \"12 MB\"\n", "is not a size",
       StatusCode::kInvalidArgument},
      {"[spool]\nmax_size = \"-5M\"\n", "is not a size",
       StatusCode::kInvalidArgument},
      {"[spool]\nmax_size = -5\n", "spool.max_size: value -5 is out of range",
       StatusCode::kInvalidArgument},
      {"[spool]\nmax_size = \"99999999999999999999G\"\n", "is not a size",
       StatusCode::kInvalidArgument},
      {"[spool]\nmax_size = \"9000000000G\"\n", "is out of range",
       StatusCode::kInvalidArgument},
      {"[spool]\nmax_size = 10\n", "out of range (1024..",
       StatusCode::kInvalidArgument},
      {"[milter]\ntimeout = \"5 minutes\"\n", "is not a duration",
       StatusCode::kInvalidArgument},
      {"[milter]\ntimeout = 0\n", "out of range (1..86400)",
       StatusCode::kInvalidArgument},
      {"[milter]\nsocket_mode = \"0999\"\n", "is not an octal file mode",
       StatusCode::kInvalidArgument},
      {"[milter]\nsocket_mode = \"07777\"\n", "is not an octal file mode",
       StatusCode::kInvalidArgument},
      {"[milter]\nbacklog = 70000\n", "out of range (1..65535)",
       StatusCode::kInvalidArgument},
      // Broken TOML.
      {"[milter\nsocket = 1\n", "bad.conf:1:", StatusCode::kParseError},
      {"[milter]\nsocket = \"unterminated\n",
       "bad.conf:2:", StatusCode::kParseError},
      {"[milter]\nsocket = \"a\"\nsocket = \"b\"\n",
       "bad.conf:3:", StatusCode::kParseError},
      {std::string("[milter]\nuser = \"a\0b\"\n", 22), "NUL byte",
       StatusCode::kParseError},
      {"\xff\xfe[milter]\n", "bad.conf:1:", StatusCode::kParseError},
  };
  for (const Case& tc : cases) {
    INFO(tc.text);
    Result<Config> c = ParseConfig(tc.text, "bad.conf");
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.status().message(), Catch::Contains(tc.want));
    CHECK(c.status().code() == tc.code);
  }
}

TEST_CASE("hostile configs: oversized and deeply nested") {
  std::string huge(kMaxConfigFileBytes + 1, '#');
  Result<Config> c = ParseConfig(huge, "huge.conf");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == StatusCode::kResourceExhausted);
  CHECK_THAT(c.status().message(), Catch::Contains("more than the limit"));

  std::string nested =
      "x = " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  Result<Config> n = ParseConfig(nested, "nested.conf");
  REQUIRE_FALSE(n.ok());  // either the parser's nesting limit or unknown key

  std::string long_key(100000, 'k');
  Result<Config> k = ParseConfig(long_key + " = 1\n", "long.conf");
  REQUIRE_FALSE(k.ok());
  CHECK_THAT(k.status().message(), Catch::Contains("unknown key"));
}

TEST_CASE("config files: missing, not regular, readable") {
  Result<Config> missing = LoadConfigFile("/nonexistent/sealmilter.conf");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message() ==
        "cannot open config file /nonexistent/sealmilter.conf: No such file "
        "or directory");

  Result<Config> dir = LoadConfigFile("/tmp");
  REQUIRE_FALSE(dir.ok());
  CHECK_THAT(dir.status().message(), Catch::Contains("not a regular file"));

  std::string path = TempPath("ok.conf");
  {
    std::ofstream f(path);
    f << "[log]\nlevel = \"debug\"\n";
  }
  Result<Config> ok = LoadConfigFile(path);
  REQUIRE(ok.ok());
  CHECK(ok->log.level == "debug");
  CHECK(ok->source == path);
  std::remove(path.c_str());
}

TEST_CASE("LoadConfig: optional default path falls back to embedded defaults") {
  Result<Config> c = LoadConfig({"/nonexistent/sealmilter.conf", false});
  REQUIRE(c.ok());
  CHECK(c->source == "(embedded defaults)");
  Result<Config> r = LoadConfig({"/nonexistent/sealmilter.conf", true});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kNotFound);
}

TEST_CASE("ValidateConfig checks relations between keys") {
  Config c = Config::Defaults();
  CHECK(ValidateConfig(c).ok());
  c.spool.memory_limit = c.spool.max_size + 1;
  CHECK_THAT(ValidateConfig(c).message(),
             Catch::Contains("spool.memory_limit"));
  c = Config::Defaults();
  c.spool.directory = "relative/dir";
  CHECK_THAT(ValidateConfig(c).message(), Catch::Contains("absolute path"));
  c = Config::Defaults();
  c.milter.chroot = "jail";
  CHECK_THAT(ValidateConfig(c).message(), Catch::Contains("milter.chroot"));
}

TEST_CASE("RenderConfig output parses back to the same config") {
  Result<Config> c = ParseConfig(
      "[milter]\nuser = \"we\\\"ird\"\nsocket_mode = \"0600\"\n[spool]\n"
      "max_size = \"5M\"\n",
      "in.conf");
  REQUIRE(c.ok());
  std::string text = RenderConfig(*c);
  CHECK_THAT(text, Catch::Contains("socket_mode = \"0600\""));
  Result<Config> again = ParseConfig(text, "rendered");
  REQUIRE(again.ok());
  for (const KeyDef& def : Schema()) {
    INFO(def.key);
    CHECK(def.get(*again) == def.get(*c));
  }
}

TEST_CASE("CarryNonReloadable keeps restart-only keys and names them") {
  Config running = Config::Defaults();
  Config next = Config::Defaults();
  next.milter.socket = "inet:1@127.0.0.1";  // needs a restart
  next.log.level = "debug";                 // reloadable
  next.spool.max_size = 2048;               // reloadable
  std::vector<std::string> not_applied;
  CarryNonReloadable(running, next, not_applied);
  CHECK(not_applied == std::vector<std::string>{"milter.socket"});
  CHECK(next.milter.socket == running.milter.socket);
  CHECK(next.log.level == "debug");
  CHECK(next.spool.max_size == 2048);
}

TEST_CASE("SuggestKey finds near misses only") {
  CHECK(SuggestKey("milter.sockett") == "milter.socket");
  CHECK(SuggestKey("spool.max-size") == "spool.max_size");
  CHECK(SuggestKey("backlog") == "milter.backlog");
  CHECK(SuggestKey("completely.unrelated.thing").empty());
}

}  // namespace
}  // namespace seal

namespace seal {
namespace {

TEST_CASE("list keys: TOML arrays of strings, defaults, rendering") {
  Config d = Config::Defaults();
  CHECK(d.gateway.internal_networks ==
        std::vector<std::string>{"127.0.0.0/8", "::1/128"});
  CHECK(d.gateway.internal_domains.empty());
  CHECK(d.rules.paths == std::vector<std::string>{"/etc/sealmilter/rules.d"});

  Result<Config> c = ParseConfig(
      "[gateway]\ninternal_domains = [\"example.com\", \".example.com\"]\n"
      "[rules]\npaths = []\n",
      "list.conf");
  REQUIRE(c.ok());
  CHECK(c->gateway.internal_domains ==
        std::vector<std::string>{"example.com", ".example.com"});
  CHECK(c->rules.paths.empty());
  std::string rendered = RenderConfig(*c);
  CHECK_THAT(rendered, Catch::Contains("internal_domains = [\"example.com\", "
                                       "\".example.com\"]"));
  // What RenderConfig writes parses back to the same values.
  Result<Config> again = ParseConfig(rendered, "rendered.conf");
  REQUIRE(again.ok());
  CHECK(again->gateway.internal_domains == c->gateway.internal_domains);
  CHECK(again->rules.paths.empty());

  struct Bad {
    std::string text, want;
  };
  const Bad bad[] = {
      {"[gateway]\ninternal_domains = \"example.com\"\n",
       "expected list, got string"},
      {"[gateway]\ninternal_domains = [1, 2]\n",
       "list items must be strings, got integer"},
      {"[gateway]\ninternal_domains = [\"\"]\n", "must not be empty"},
      {"[gateway]\ninternal_domains = [\"a\\nb\"]\n", "single-line"},
      {"[gateway]\ninternal_domains = [[\"a\"]]\n", "got array"},
      {"[gateway]\non_failure = \"pass\"\n", "is not one of: tempfail reject"},
  };
  for (const Bad& b : bad) {
    INFO(b.text);
    Result<Config> r = ParseConfig(b.text, "bad.conf");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("bad.conf:2:"));
    CHECK_THAT(r.status().message(), Catch::Contains(b.want));
  }
}

}  // namespace
}  // namespace seal

namespace seal {
namespace {

TEST_CASE("[portal] keys: defaults, units and ranges") {
  Config d = Config::Defaults();
  CHECK(d.portal.url.empty());
  CHECK(d.portal.key_file == "/etc/sealmilter/portal.key");
  CHECK(d.portal.security == "medium");
  CHECK(d.portal.listen == "127.0.0.1:8480");
  CHECK(d.portal.trusted_proxies.empty());
  CHECK(d.portal.mail_from.empty());
  CHECK(d.portal.smtp == "127.0.0.1:25");
  CHECK(d.portal.session_seconds == 30 * 60);
  CHECK(d.portal.token_seconds == 24 * 3600);
  CHECK(d.portal.lockout_failures == 5);
  CHECK(d.portal.lockout_seconds == 15 * 60);
  CHECK(d.portal.secure_cookies);
  CHECK(d.portal.max_upload == 40ull * 1024 * 1024);
  CHECK(d.envelope.sender_options);
  CHECK(d.envelope.reply);
  CHECK(d.envelope.reply_all);
  CHECK(d.envelope.forward);
  CHECK_FALSE(d.envelope.read_receipt);
  CHECK_FALSE(d.envelope.js_free);

  Result<Config> c = ParseConfig(R"(
[envelope]
sender_options = false
forward = false
read_receipt = true
js_free = true
[portal]
url = "https://secure.example.com/portal"
key_file = "/srv/portal.key"
security = "high"
listen = "0.0.0.0:9000"
trusted_proxies = ["10.0.0.0/8", "192.0.2.1/32"]
mail_from = "portal@example.com"
smtp = "127.0.0.1:2525"
session = "1h"
token_lifetime = "2d"
lockout_failures = 3
lockout = 600
secure_cookies = false
max_upload = "1M"
)",
                                 "portal.conf");
  REQUIRE(c.ok());
  CHECK(c->portal.url == "https://secure.example.com/portal");
  CHECK(c->portal.key_file == "/srv/portal.key");
  CHECK(c->portal.security == "high");
  CHECK(c->portal.listen == "0.0.0.0:9000");
  CHECK(c->portal.trusted_proxies ==
        std::vector<std::string>{"10.0.0.0/8", "192.0.2.1/32"});
  CHECK(c->portal.mail_from == "portal@example.com");
  CHECK(c->portal.smtp == "127.0.0.1:2525");
  CHECK(c->portal.session_seconds == 3600);
  CHECK(c->portal.token_seconds == 2 * 86400);
  CHECK(c->portal.lockout_failures == 3);
  CHECK(c->portal.lockout_seconds == 600);
  CHECK_FALSE(c->portal.secure_cookies);
  CHECK(c->portal.max_upload == 1024 * 1024);
  CHECK_FALSE(c->envelope.sender_options);
  CHECK_FALSE(c->envelope.forward);
  CHECK(c->envelope.read_receipt);
  CHECK(c->envelope.js_free);
}

TEST_CASE("[portal] bad values are refused") {
  struct Row {
    const char* text;
    const char* expect;
  } rows[] = {
      {"[portal]\nsecurity = \"low\"\n", "security"},
      {"[portal]\nlockout_failures = 0\n", "lockout_failures"},
      {"[portal]\nlockout_failures = 101\n", "lockout_failures"},
      {"[portal]\nsession = \"10s\"\n", "session"},
      {"[portal]\nmax_upload = \"5G\"\n", "max_upload"},
      {"[portal]\nsecure_cookies = \"yes\"\n", "secure_cookies"},
      {"[portal]\nurl = \"ftp://x.example\"\n", "http:// or https://"},
      {"[portal]\nurl = \"secure.example.com\"\n", "http:// or https://"},
      {"[portal]\nurl = \"https://secure.example.com/\"\n", "must not end"},
      {"[portal]\nurl = \"https://secure.example.com/p/\"\n", "'/'"},
      {"[portal]\nurl = \"https://\"\n", "no host"},
      {"[portal]\nurl = \"https:///path\"\n", "no host"},
      {"[portal]\nurl = \"https://a b.example\"\n", "not allowed"},
      {"[portal]\nurl = \"https://x.example/?q=1\"\n", "not allowed"},
      {"[portal]\nurl = \"https://x.example/\\\"><script>\"\n", "not allowed"},
      {"[portal]\nurl = \"https://x.example\"\nkey_file = \"\"\n",
       "portal.key_file must be set"},
      {"[envelope]\njs_free = true\n", "envelope.js_free needs portal.url"},
      {"[portal]\nurl = \"http://secure.example.com\"\n", "localhost only"},
  };
  for (const Row& row : rows) {
    INFO(row.text);
    Result<Config> c = ParseConfig(row.text, "bad.conf");
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.status().message(), Catch::Contains(row.expect));
    CHECK_THAT(c.status().message(), Catch::Contains("bad.conf"));
  }
  Result<Config> ok =
      ParseConfig("[portal]\nurl = \"http://127.0.0.1:8480\"\n", "ok.conf");
  CHECK(ok.ok());
}

}  // namespace
}  // namespace seal
