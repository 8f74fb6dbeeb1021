// Tests of sealctl's rules command group (ctl/rules_commands.cc): `rules
// check` on the shipped rules and on broken files (each error with
// file:line), `rules test` on written and golden .eml files (decisions,
// masked samples, opt-outs with and without --auth, JSON), and hostile
// input (missing files, empty directories, binary and oversize files).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ctl/command.h"
#include "tests/unit/sealctl_test_util.h"

namespace seal::ctl {
namespace {

using testing::Captured;
using testing::RunCaptured;
using Files = std::map<std::string, std::string>;  // name -> content

const std::string kShippedRules = std::string(SEAL_SOURCE_ROOT) + "/rules";
const std::string kGoldenMime =
    std::string(SEAL_SOURCE_ROOT) + "/tests/golden/mime";

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/sealctl-rules-test-XXXXXX";
    char* made = mkdtemp(pattern.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string full = path_ + "/" + name;
    std::ofstream f(full, std::ios::binary);
    f << content;
    REQUIRE(f.good());
    return full;
  }
  std::string Mkdir(const std::string& name) const {
    std::string full = path_ + "/" + name;
    REQUIRE(mkdir(full.c_str(), 0700) == 0);
    return full;
  }

 private:
  std::string path_;
};

// An empty configuration file (all defaults), so that a configuration in
// /etc/sealmilter does not change the results.
// Removed when the test program exits.
const std::string& EmptyConfig() {
  struct File {
    File()
        : path("/tmp/sealctl-rules-test-" + std::to_string(getpid()) +
               ".conf") {
      std::ofstream f(path, std::ios::trunc);
    }
    ~File() { unlink(path.c_str()); }
    std::string path;
  };
  static const File file;
  return file.path;
}

// Runs "rules VERB -c EmptyConfig() ARGS...".
Captured RunRules(std::vector<std::string> args) {
  if (args.size() >= 2) {
    args.insert(args.begin() + 2, {"-c", EmptyConfig()});
  }
  return RunCaptured(args);
}

const char kGoodRule[] = R"([[rule]]
id = "good-one"
description = "Finds the word alpha"
scopes = "body"
patterns = '\balpha\b'
action = "encrypt"
)";

// ------------------------------------------------------------ rules check --

TEST_CASE("rules check: the shipped rules are clean") {
  Captured c = RunRules({"rules", "check", "--no-shipped", kShippedRules});
  INFO(c.err);
  CHECK(c.rc == kExitOk);
  CHECK(c.err.empty());
  CHECK_THAT(c.out, Catch::Matches("[0-9]+ rules OK \\([0-9]+ files\\)\n"));
  // The same files named one by one load the same way.
  std::vector<std::string> args = {"rules", "check", "--no-shipped"};
  for (const auto& entry : std::filesystem::directory_iterator(kShippedRules)) {
    if (entry.path().extension() == ".toml") args.push_back(entry.path());
  }
  std::sort(args.begin() + 3, args.end());
  Captured each = RunRules(args);
  CHECK(each.rc == kExitOk);
  CHECK(each.out == c.out);
}

struct CheckCase {
  const char* name;
  Files files;
  int rc;
  std::vector<std::string> err_has;  // "@/" is replaced by the directory
  std::string out_has;
};

TEST_CASE("rules check: broken files are reported with file:line") {
  const std::vector<CheckCase> cases = {
      {"good file",
       {{"10-good.toml", kGoodRule}},
       kExitOk,
       {},
       "1 rule OK (1 file)\n"},
      {"bad regular expression",
       {{"10-bad.toml", R"([[rule]]
id = "bad-re"
description = "d"
scopes = "body"
patterns = '(unclosed'
action = "encrypt"
)"}},
       kExitFailure,
       {"@/10-bad.toml:5:12: bad regular expression: missing ): (unclosed "
        "(rule 'bad-re')\n",
        "rules check: 1 error\n"},
       ""},
      {"unknown key",
       {{"10-key.toml", std::string(kGoodRule) + "colour = \"red\"\n"}},
       kExitFailure,
       {"@/10-key.toml:7:1: unknown key 'colour' in a rule"},
       ""},
      {"duplicate id across files",
       {{"10-good.toml", kGoodRule}, {"20-again.toml", kGoodRule}},
       kExitFailure,
       {"@/20-again.toml:2:6: duplicate rule id 'good-one' (first defined at "
        "@/10-good.toml:1:1)"},
       ""},
      {"wrong type",
       {{"10-type.toml", std::string(kGoodRule) + "min_count = \"two\"\n"}},
       kExitFailure,
       {"@/10-type.toml:7:13: 'min_count' must be an integer, not string"},
       ""},
      {"TOML syntax error",
       {{"10-syntax.toml", "[[rule]\nid = \"x\"\n"}},
       kExitFailure,
       {"@/10-syntax.toml:1:8: "},
       ""},
      {"one error per broken file, all of them",
       {{"10-a.toml", "[[rule]\n"},
        {"20-good.toml", kGoodRule},
        {"30-b.toml", "[[rule]]\nid = 7\n"}},
       kExitFailure,
       {"@/10-a.toml:1:", "@/30-b.toml:2:6: 'id' must be a string",
        "rules check: 2 errors\n"},
       ""},
      {"override of an unknown rule",
       {{"10-o.toml", "[[override]]\nid = \"nope\"\nenabled = false\n"}},
       kExitFailure,
       {"@/10-o.toml:1:1: override of unknown rule 'nope'"},
       ""},
      {"empty directory",
       {},
       kExitFailure,
       {"no rule files found in @\n"},
       "holds no *.toml files"},
  };
  for (const CheckCase& tc : cases) {
    SECTION(tc.name) {
      TempDir dir;
      for (const auto& [name, text] : tc.files) dir.Write(name, text);
      Captured c = RunRules({"rules", "check", "--no-shipped", dir.path()});
      INFO("out: " << c.out << "\nerr: " << c.err);
      CHECK(c.rc == tc.rc);
      for (std::string want : tc.err_has) {
        for (size_t at; (at = want.find('@')) != std::string::npos;) {
          want.replace(at, 1, dir.path());
        }
        CHECK_THAT(c.err, Catch::Contains(want));
      }
      if (tc.rc == kExitOk) CHECK(c.err.empty());
      CHECK_THAT(c.out, Catch::Contains(tc.out_has));
    }
  }
}

TEST_CASE("rules check: arguments") {
  CHECK(RunRules({"rules", "check", "--frobnicate"}).rc == kExitUsage);
  CHECK(RunRules({"rules", "check", "-c"}).rc == kExitUsage);
  Captured missing = RunRules({"rules", "check", "/nonexistent/sealctl-rules"});
  CHECK(missing.rc == kExitFailure);
  CHECK_THAT(missing.err,
             Catch::Contains("cannot read rules from /nonexistent/sealctl-rules"
                             ": No such file or directory"));
  // A broken file next to the shipped ones: the shipped ones still count.
  TempDir dir;
  std::string dup = dir.Write("dup.toml", R"([[rule]]
id = "us-ssn"
description = "d"
scopes = "body"
patterns = 'x{2}'
action = "encrypt"
)");
  Captured c = RunRules({"rules", "check", "--no-shipped", kShippedRules, dup});
  CHECK(c.rc == kExitFailure);
  CHECK_THAT(c.err, Catch::Contains(dup + ":2:6: duplicate rule id 'us-ssn'"));
}

// ------------------------------------------------------------- rules test --

const char kSsnMessage[] =
    "From: alice@example.com\n"
    "To: bob@example.org\n"
    "Subject: numbers\n"
    "\n"
    "Here it is: 123-45-6789 as agreed.\n";

const char kHashSubject[] =
    "From: alice@example.com\n"
    "Subject: Re: # budget\n"
    "\n"
    "See the attachment.\n";

// encrypt-if-possible (a keyword) plus a [noenc] opt-out tag.
const char kOptOut[] =
    "From: alice@example.com\n"
    "Subject: [noenc] minutes\n"
    "\n"
    "This message is confidential.\n";

const char kPlainMessage[] =
    "From: alice@example.com\n"
    "Subject: lunch\n"
    "\n"
    "Noon at the usual place?\n";

struct TestCase {
  const char* name;
  std::string message;
  std::vector<std::string> options;
  std::vector<std::string> out_has;
  std::vector<std::string> out_lacks;
};

TEST_CASE("rules test: decisions, samples and notes") {
  const std::vector<TestCase> cases = {
      {"SSN in the body: encrypt, masked sample",
       kSsnMessage,
       {"--from", "alice@example.com", "--to", "bob@example.org"},
       {"recipient bob@example.org: encrypt, profile default, not signed\n",
        "    fired: us-ssn (encrypt, profile default) in body, part 1 "
        "text/plain: sample '***-**-6789', count 1\n",
        "envelope: from alice@example.com, not authenticated, direction "
        "outbound, sender internal\n"},
       {"123-45", "12345", "Here it is"}},
      {"SSN inbound: why not",
       kSsnMessage,
       {"--direction", "inbound"},
       {"recipient (none given): none (deliver unchanged), not signed\n",
        "    why not: us-ssn: a pattern matched, but direction is inbound, "
        "the rule wants outbound\n"},
       {"fired: us-ssn", "123-45"}},
      {"'#' subject after Re:",
       kHashSubject,
       {},
       {": encrypt, profile default",
        "fired: subject-hash (encrypt, profile default) in subject, header "
        "Subject: sample 'Re: #', count 1\n"},
       {"budget"}},
      {"opt-out without --auth is ignored",
       kOptOut,
       {},
       {": encrypt-if-possible, profile default, not signed\n",
        "fired: subject-tag-noenc (no-encrypt)",
        "note: opt-out no-encrypt rule 'subject-tag-noenc' ignored: the "
        "sender is not authenticated\n"},
       {"honoured", "minutes"}},
      {"opt-out with --auth is honoured",
       kOptOut,
       {"--auth", "alice"},
       {"authenticated as alice",
        ": none (deliver unchanged), not signed, no-encrypt opt-out "
        "honoured\n",
        "fired: keyword-confidential (encrypt-if-possible, profile default) "
        "in body"},
       {"ignored"}},
      {"opt-out from an inbound sender is ignored even with --auth",
       kOptOut,
       {"--auth=alice", "--direction=inbound"},
       {"ignored: the sender is not internal"},
       {"honoured"}},
      {"nothing fires",
       kPlainMessage,
       {"--to", "a@example.org", "--to", "b@example.net"},
       {"recipient a@example.org: none (deliver unchanged), not signed\n",
        "recipient b@example.net: none (deliver unchanged), not signed\n",
        "1 message classified, 0 failed\n"},
       {"fired:", "why not:", "Noon"}},
  };
  for (const TestCase& tc : cases) {
    SECTION(tc.name) {
      TempDir dir;
      std::string eml = dir.Write("m.eml", tc.message);
      std::vector<std::string> args = {"rules", "test", "--no-shipped",
                                       "--rules", kShippedRules};
      args.insert(args.end(), tc.options.begin(), tc.options.end());
      args.push_back(eml);
      Captured c = RunRules(args);
      INFO("out: " << c.out << "\nerr: " << c.err);
      CHECK(c.rc == kExitOk);
      CHECK(c.err.empty());
      CHECK_THAT(c.out, Catch::Contains(eml + ":\n"));
      for (const std::string& want : tc.out_has) {
        CHECK_THAT(c.out, Catch::Contains(want));
      }
      for (const std::string& unwanted : tc.out_lacks) {
        CHECK_THAT(c.out, !Catch::Contains(unwanted));
      }
    }
  }
}

TEST_CASE("rules test: the direction as the daemon finds it") {
  TempDir dir;
  std::string eml = dir.Write("m.eml", kPlainMessage);
  std::string conf = dir.Write("sealmilter.conf",
                               "[gateway]\n"
                               "internal_domains = [\"example.org\"]\n"
                               "internal_networks = [\"192.0.2.0/24\"]\n");
  struct Case {
    std::vector<std::string> options;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{"--to", "bob@example.org"}, "direction internal, sender internal"},
      {{"--to", "bob@example.org", "--to", "carol@example.net"},
       "direction outbound, sender internal"},
      {{"--client", "198.51.100.7", "--to", "bob@example.org"},
       "direction inbound, sender external"},
      {{"--client", "192.0.2.9", "--to", "carol@example.net"},
       "direction outbound, sender internal"},
      {{"--auth", "alice", "--client", "198.51.100.7", "--to",
        "carol@example.net"},
       "direction outbound, sender internal"},
      {{"--client", "192.0.2.9", "--direction", "inbound"},
       "direction inbound, sender external"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"rules", "test",   "-c",
                                     conf,    "--from", "alice@example.org"};
    args.insert(args.end(), c.options.begin(), c.options.end());
    args.push_back(eml);
    Captured r = RunRules(args);
    INFO("out: " << r.out << "\nerr: " << r.err);
    CHECK(r.rc == kExitOk);
    CHECK_THAT(r.out, Catch::Contains(c.want));
  }
  Captured empty = RunRules({"rules", "test", "--client=", eml});
  CHECK(empty.rc == kExitUsage);
  CHECK_THAT(empty.err, Catch::Contains("--client needs an address"));
}

TEST_CASE("rules test: per-recipient decisions from --rules files") {
  TempDir dir;
  std::string rules = dir.Write("law.toml", R"([[rule]]
id = "law-firm"
description = "Always encrypt to counsel"
action = "encrypt"
profile = "legal"
when = { recipient_domains = "lawfirm.example" }
)");
  std::string eml = dir.Write("m.eml", kPlainMessage);
  Captured c =
      RunRules({"rules", "test", "--no-shipped", "--rules", rules, "--to",
                "x@lawfirm.example", "--to", "y@example.org", eml});
  INFO(c.out << c.err);
  CHECK(c.rc == kExitOk);
  CHECK_THAT(c.out, Catch::Contains("rules: 1 enabled of 1, from 1 file\n"));
  CHECK_THAT(c.out,
             Catch::Contains("  recipient x@lawfirm.example: encrypt, profile "
                             "legal, not signed\n"
                             "    fired: law-firm (encrypt, profile legal) on "
                             "conditions alone\n"
                             "  recipient y@example.org: none"));
}

TEST_CASE("rules test --json parses and carries the same decision") {
  TempDir dir;
  std::string ssn = dir.Write("a-ssn.eml", kSsnMessage);
  std::string opt = dir.Write("b-optout.eml", kOptOut);
  Captured c = RunRules({"rules", "test", "--json", "--no-shipped", "--rules",
                         kShippedRules, "--auth", "alice", "--to",
                         "bob@example.org", dir.path()});
  INFO(c.out << c.err);
  CHECK(c.rc == kExitOk);
  CHECK_THAT(c.out, !Catch::Contains("123-45"));
  nlohmann::json root = nlohmann::json::parse(c.out);  // throws if invalid
  CHECK(root["failed"] == 0);
  CHECK(root["envelope"]["authenticated"] == true);
  CHECK(root["envelope"]["auth_user"] == "alice");
  CHECK(root["envelope"]["direction"] == "outbound");
  REQUIRE(root["messages"].size() == 2);

  const nlohmann::json& m0 = root["messages"][0];
  CHECK(m0["file"] == ssn);
  CHECK(m0["ok"] == true);
  REQUIRE(m0["decisions"].size() == 1);
  const nlohmann::json& d0 = m0["decisions"][0];
  CHECK(d0["recipient"] == "bob@example.org");
  CHECK(d0["action"] == "encrypt");
  CHECK(d0["profile"] == "default");
  CHECK(d0["sign"] == false);
  REQUIRE(d0["fired"].size() == 1);
  CHECK(d0["fired"][0]["rule"] == "us-ssn");
  CHECK(d0["fired"][0]["scope"] == "body");
  CHECK(d0["fired"][0]["origin"] == "part 1 text/plain");
  CHECK(d0["fired"][0]["sample"] == "***-**-6789");
  CHECK(d0["fired"][0]["count"] == 1);

  const nlohmann::json& m1 = root["messages"][1];
  CHECK(m1["file"] == opt);
  const nlohmann::json& d1 = m1["decisions"][0];
  CHECK(d1["action"] == "none");
  CHECK(d1["no_encrypt_honoured"] == true);
}

TEST_CASE("rules test on the golden MIME corpus") {
  Captured c =
      RunRules({"rules", "test", "--no-shipped", "--rules", kShippedRules,
                "--from", "alice@example.com", kGoldenMime});
  INFO(c.err);
  // The depth and part-count bombs cannot be classified; the rest can.
  CHECK(c.rc == kExitFailure);
  CHECK_THAT(c.err, Catch::Contains("malformed_huge_part_count.eml: cannot "
                                    "classify: message has more than 500 "
                                    "MIME parts (the daemon would reject "
                                    "this message: 554 5.6.0, see the [mime] "
                                    "limits)\n"));
  CHECK_THAT(c.err, Catch::Contains("malformed_depth_bomb.eml: cannot "
                                    "classify: MIME nesting deeper than 20"));
  CHECK_THAT(c.out, Catch::Contains("/sample_simple_text.eml:\n"));
  CHECK_THAT(c.out, Catch::Contains("/sample_japanese.eml:\n"));
  CHECK_THAT(c.out, Catch::Contains(
                        "  mime warning: part 1: invalid characters in base64"
                        "\n"));
  CHECK_THAT(c.out, Catch::Contains(" failed\n"));
  // The card number in sample_simple_text.eml is shown masked only.
  CHECK_THAT(c.out, Catch::Contains("sample '**** **** **** 1111'"));
  CHECK_THAT(c.out, !Catch::Contains("4111"));
}

TEST_CASE("rules test: hostile and broken input") {
  TempDir dir;
  std::string good = dir.Write("good.eml", kPlainMessage);
  std::string empty_dir = dir.Mkdir("empty");
  dir.Write("empty/readme.txt", "not a message\n");
  std::string binary =
      dir.Write("binary.eml", std::string("\x7f"
                                          "ELF\x02\x01\x01\0\0\0\0\0",
                                          12) +
                                  std::string(4000, '\xff'));
  std::string text = dir.Write("text.eml", "just some words\nno headers\n");
  std::string oversize = dir.path() + "/oversize.eml";
  {
    std::ofstream f(oversize);
    f << "Subject: big\n\n";
  }
  // Sparse: the size check must come before reading.
  REQUIRE(truncate(oversize.c_str(), (64 << 20) + 1) == 0);

  Captured c = RunRules({"rules", "test", "--no-shipped", "--rules",
                         kShippedRules, dir.path() + "/missing.eml", empty_dir,
                         binary, text, oversize, good});
  INFO("out: " << c.out << "\nerr: " << c.err);
  CHECK(c.rc == kExitFailure);
  CHECK_THAT(c.err, Catch::Contains("cannot read " + dir.path() +
                                    "/missing.eml: No such file or directory"
                                    "\n"));
  CHECK_THAT(c.err, Catch::Contains(empty_dir +
                                    ": no *.eml files in this directory\n"));
  CHECK_THAT(c.err,
             Catch::Contains(binary + ": not a mail message (the first line "
                                      "is not a header field)\n"));
  CHECK_THAT(c.err, Catch::Contains(text + ": not a mail message"));
  CHECK_THAT(c.err, Catch::Contains(oversize + ": message is 67108865 bytes, "
                                               "more than the daemon accepts"));
  // Keeps going: the good message after the bad ones is classified.
  CHECK_THAT(c.out, Catch::Contains(good + ":\n  message: "));
  CHECK_THAT(c.out, Catch::Contains("1 message classified, 5 failed\n"));

  // JSON reports the same errors per file.
  Captured j = RunRules({"rules", "test", "--json", "--no-shipped", "--rules",
                         kShippedRules, binary, good});
  CHECK(j.rc == kExitFailure);
  nlohmann::json root = nlohmann::json::parse(j.out);
  CHECK(root["failed"] == 1);
  CHECK(root["messages"][0]["ok"] == false);
  CHECK(root["messages"][0]["error"] ==
        binary + ": not a mail message (the first line is not a header field)");
  CHECK(root["messages"][1]["ok"] == true);
}

TEST_CASE("rules test: text beyond the MIME scan cap is reported") {
  TempDir dir;
  std::string body;
  const std::string line = "nothing to see here, just filler text\n";
  while (body.size() <= 2048) body += line;
  std::string eml = dir.Write(
      "late.eml", "Subject: big\n\n" + body + "ssn 123-45-6789 at the end\n");
  const std::string capped =
      dir.Write("capped.conf", "[rules]\nmax_scan_bytes = \"1K\"\n");
  Captured c = RunCaptured({"rules", "test", "-c", capped, "--no-shipped",
                            "--rules", kShippedRules, eml});
  INFO(c.err);
  CHECK(c.rc == kExitOk);
  CHECK_THAT(c.out, Catch::Contains("(truncated: some text was not "
                                    "classified)\n"));
  CHECK_THAT(c.out, Catch::Contains("  note: the MIME scan cap cut the "
                                    "message text"));
  CHECK_THAT(c.out, !Catch::Contains("us-ssn"));
  CHECK_THAT(RunRules({"rules", "test", eml}).out,
             Catch::Contains("fired: us-ssn"));
}

TEST_CASE("rules test: rules.on_truncated as the daemon applies it") {
  TempDir dir;
  std::string body;
  const std::string line = "nothing to see here, just filler text\n";
  while (body.size() <= 2048) body += line;
  std::string eml = dir.Write("late.eml", "Subject: big\n\n" + body);
  const std::string conf = dir.Write(
      "encrypt.conf",
      "[rules]\nmax_scan_bytes = \"1K\"\non_truncated = \"encrypt\"\n");
  Captured c = RunCaptured({"rules", "test", "-c", conf, "--no-shipped",
                            "--rules", kShippedRules, eml});
  INFO(c.err);
  CHECK(c.rc == kExitOk);
  CHECK_THAT(c.out, Catch::Contains("recipient (none given): encrypt, "
                                    "profile default"));
  CHECK_THAT(c.out, Catch::Contains("    fired: rules.on_truncated (encrypt, "
                                    "profile default): some text was not "
                                    "classified\n"));
  // Inbound mail is left alone, and so is a message read whole.
  Captured in =
      RunCaptured({"rules", "test", "-c", conf, "--no-shipped", "--rules",
                   kShippedRules, "--direction", "inbound", eml});
  CHECK_THAT(in.out, Catch::Contains("none (deliver unchanged)"));
  std::string small = dir.Write("small.eml", "Subject: s\n\nshort\n");
  Captured whole = RunCaptured({"rules", "test", "-c", conf, "--no-shipped",
                                "--rules", kShippedRules, small});
  CHECK_THAT(whole.out, !Catch::Contains("rules.on_truncated"));
  // A value the schema does not know is a configuration error.
  const std::string bad =
      dir.Write("bad.conf", "[rules]\non_truncated = \"deliver\"\n");
  Captured b = RunCaptured({"rules", "test", "-c", bad, eml});
  CHECK(b.rc == kExitConfig);
  CHECK_THAT(b.err, Catch::Contains("on_truncated"));
}

TEST_CASE("rules test: the default scan cap is rules.max_scan_bytes (32M)") {
  // The MIME adapter once stopped at its own 16M whatever the config said.
  TempDir dir;
  std::string body;
  const std::string line = "nothing to see here, just filler text\n";
  while (body.size() <= (16u << 20)) body += line;
  std::string eml = dir.Write(
      "big.eml", "Subject: big\n\n" + body + "ssn 123-45-6789 at the end\n");
  Captured c = RunRules(
      {"rules", "test", "--no-shipped", "--rules", kShippedRules, eml});
  INFO(c.err);
  CHECK(c.rc == kExitOk);
  CHECK_THAT(c.out, Catch::Contains("fired: us-ssn"));
  CHECK_THAT(c.out, !Catch::Contains("truncated"));
}

TEST_CASE("rules test: usage and rule errors") {
  TempDir dir;
  std::string eml = dir.Write("m.eml", kPlainMessage);
  struct UsageCase {
    std::vector<std::string> args;
    std::string err_has;
  };
  const std::vector<UsageCase> usage = {
      {{}, "no message given"},
      {{"--frob", eml}, "unknown option '--frob'"},
      {{"--direction", "sideways", eml}, "unknown direction 'sideways'"},
      {{eml, "--to"}, "--to needs a value"},
      {{"--to=", eml}, "--to needs an address"},
      {{"--auth=", eml}, "--auth needs a user name"},
  };
  for (const UsageCase& u : usage) {
    std::vector<std::string> args = {"rules", "test"};
    args.insert(args.end(), u.args.begin(), u.args.end());
    Captured c = RunRules(args);
    INFO(u.err_has);
    CHECK(c.rc == kExitUsage);
    CHECK_THAT(c.err, Catch::Contains(u.err_has));
    CHECK(c.out.empty());
  }

  std::string broken = dir.Write("broken.toml", "[[rule]\n");
  Captured c = RunRules({"rules", "test", "--rules", broken, eml});
  CHECK(c.rc == kExitConfig);
  CHECK_THAT(c.err, Catch::StartsWith(broken + ":1:8: "));
  CHECK(c.out.empty());

  Captured none =
      RunRules({"rules", "test", "--rules", dir.path() + "/no-such-dir", eml});
  CHECK(none.rc == kExitConfig);
  CHECK_THAT(none.err, Catch::Contains("No such file or directory"));

  std::string empty = dir.Mkdir("norules");
  Captured no_files =
      RunRules({"rules", "test", "--no-shipped", "--rules", empty, eml});
  CHECK(no_files.rc == kExitConfig);
  CHECK_THAT(no_files.err, Catch::Contains("no rule files found in " + empty));

  Captured bad_conf =
      RunCaptured({"rules", "test", "-c", dir.path() + "/missing.conf", eml});
  CHECK(bad_conf.rc == kExitConfig);
  CHECK_THAT(bad_conf.err, Catch::Contains("No such file or directory"));
}

// --------------------------------------- the rules the configuration names --

TEST_CASE("rules check/test use the built-in rules and rules.paths") {
  TempDir dir;
  const std::string local = dir.Mkdir("rules.d");
  dir.Write("rules.d/50-local.toml",
            "[[override]]\nid = \"us-ssn\"\nmin_count = 2\n");
  const std::string conf =
      dir.Write("sealmilter.conf", "[rules]\npaths = [\"" + local + "\"]\n");
  const std::string eml = dir.Write("m.eml", kSsnMessage);

  // The built-in rules are the files of rules/, so they count the same.
  Captured source = RunRules({"rules", "check", "--no-shipped", kShippedRules});
  REQUIRE(source.rc == kExitOk);
  const std::string count = source.out.substr(0, source.out.find(" rules OK"));

  Captured c = RunCaptured({"rules", "check", "-c", conf});
  INFO(c.out << c.err);
  CHECK(c.rc == kExitOk);
  CHECK(c.out == count + " rules OK (built-in rules and 1 file)\n");

  // Explicit paths replace rules.paths, on top of the built-in rules ...
  Captured explicit_local = RunRules({"rules", "check", local});
  CHECK(explicit_local.out == c.out);
  // ... which an override needs.
  Captured alone = RunRules({"rules", "check", "--no-shipped", local});
  CHECK(alone.rc == kExitFailure);
  CHECK_THAT(alone.err,
             Catch::Contains(local + "/50-local.toml:1:1: override of "
                                     "unknown rule 'us-ssn'"));
  // Built-in rules plus the source files: every id twice.
  Captured twice = RunRules({"rules", "check", kShippedRules});
  CHECK(twice.rc == kExitFailure);
  CHECK_THAT(twice.err,
             Catch::Contains("duplicate rule id 'us-ssn' (first defined at "
                             "(built-in)/30-us-identifiers.toml:"));

  // rules test follows the override: one SSN is not enough any more.
  Captured t = RunCaptured({"rules", "test", "-c", conf, eml});
  INFO(t.out << t.err);
  CHECK(t.rc == kExitOk);
  CHECK_THAT(t.out, Catch::Contains("from built-in rules and 1 file\n"));
  CHECK_THAT(t.out, Catch::Contains("    why not: us-ssn: found 1 distinct "
                                    "valid match, min_count is 2\n"));
  CHECK_THAT(t.out, !Catch::Contains("123-45"));

  // The built-in rules decide as the source files do.
  Captured builtin = RunRules({"rules", "test", eml});
  Captured files = RunRules(
      {"rules", "test", "--no-shipped", "--rules", kShippedRules, eml});
  CHECK(builtin.rc == kExitOk);
  auto body = [](const std::string& out) {
    return out.substr(out.find(".eml:"));
  };
  CHECK(body(builtin.out) == body(files.out));
  CHECK_THAT(builtin.out, Catch::Contains("fired: us-ssn"));

  // The [mime] limits of the configuration apply: two parts are too many.
  const std::string two_parts = dir.Write(
      "two.eml",
      "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
      "boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n"
      "--b--\r\n");
  const std::string strict =
      dir.Write("strict.conf", "[mime]\nmax_parts = 2\n");
  Captured limited = RunCaptured({"rules", "test", "-c", strict, two_parts});
  CHECK(limited.rc == kExitFailure);
  CHECK_THAT(limited.err,
             Catch::Contains("two.eml: cannot classify: message has more "
                             "than 2 MIME parts (the daemon would reject"));
  CHECK(RunRules({"rules", "test", two_parts}).rc == kExitOk);

  // No rules at all.
  const std::string none =
      dir.Write("none.conf", "[rules]\nshipped = false\npaths = []\n");
  Captured empty = RunCaptured({"rules", "check", "-c", none});
  CHECK(empty.rc == kExitFailure);
  CHECK_THAT(empty.err, Catch::Contains("(rules.paths is empty)"));
}

}  // namespace
}  // namespace seal::ctl
