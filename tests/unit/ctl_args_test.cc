// Tests for sealctl's subcommand argument parser and error lines
// (ctl/args.h): options, values, repeats, positional counts, the usage
// error text, and hostile input (control bytes, huge and many arguments).
#include "ctl/args.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace seal::ctl {
namespace {

// "demo" takes -c, --store and --to (values), --json and --raw (flags),
// and one or two positional arguments.
const ArgSpec kDemo{"demo run",
                    "[-c FILE] [--store PATH] [--to A]... [--json] ID [ID]",
                    {"-c", "--store", "--to"},
                    {"--json", "--raw"},
                    1,
                    2};

// Runs `fn` with io.err (and io.out) captured.
template <typename Fn>
std::string CaptureErr(Fn fn) {
  char* buf = nullptr;
  size_t len = 0;
  CommandIo io;
  io.err = open_memstream(&buf, &len);
  io.out = io.err;
  fn(io);
  fclose(io.err);
  std::string s(buf, len);
  free(buf);
  return s;
}

TEST_CASE("ParseArgs: options, values and positional arguments") {
  struct Case {
    std::vector<std::string> argv;
    std::vector<std::string> positional;
    std::string store;  // Value("--store", "-")
    bool json;
  };
  const std::vector<Case> cases = {
      {{"id1"}, {"id1"}, "-", false},
      {{"--json", "id1"}, {"id1"}, "-", true},
      {{"id1", "--json"}, {"id1"}, "-", true},
      {{"--json", "--json", "id1"}, {"id1"}, "-", true},
      {{"--store", "/s.db", "id1"}, {"id1"}, "/s.db", false},
      {{"--store=/s.db", "id1"}, {"id1"}, "/s.db", false},
      {{"--store=", "id1"}, {"id1"}, "", false},
      {{"--store=a=b", "id1"}, {"id1"}, "a=b", false},
      // A value option takes the next argument, whatever it looks like.
      {{"--store", "--json", "id1"}, {"id1"}, "--json", false},
      {{"--store", "-", "id1"}, {"id1"}, "-", false},
      // "-" and "" are positional; after "--" everything is.
      {{"-", ""}, {"-", ""}, "-", false},
      {{"--", "--json", "-c"}, {"--json", "-c"}, "-", false},
      {{"id1", "--", "--"}, {"id1", "--"}, "-", false},
      // The last value of a repeated option wins.
      {{"--store", "a", "--store=b", "id1"}, {"id1"}, "b", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.argv);
    Result<Args> args = ParseArgs(c.argv, kDemo);
    REQUIRE(args.ok());
    CHECK(args->positional() == c.positional);
    CHECK(args->Value("--store", "-") == c.store);
    CHECK(args->Has("--json") == c.json);
    CHECK_FALSE(args->Has("--raw"));
    CHECK_FALSE(args->Has("-c"));
    CHECK(args->Value("-c") == "");
    CHECK(args->Value("-c", "fallback") == "fallback");
  }
}

TEST_CASE("ParseArgs: repeated options keep every value in order") {
  Result<Args> args =
      ParseArgs({"--to", "a@x", "id", "--to=b@x", "--to", "a@x"}, kDemo);
  REQUIRE(args.ok());
  CHECK(args->Values("--to") == std::vector<std::string>{"a@x", "b@x", "a@x"});
  CHECK(args->Value("--to") == "a@x");
  CHECK(args->Values("--store").empty());
  CHECK(args->Values("--nonsense").empty());
  CHECK_FALSE(args->Has("--nonsense"));
}

TEST_CASE("ParseArgs: usage mistakes") {
  struct Case {
    std::vector<std::string> argv;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {{}, "missing argument"},
      {{"--json"}, "missing argument"},
      {{
           "--",
       },
       "missing argument"},
      {{"a", "b", "c"}, "unexpected argument 'c'"},
      {{"a", "b", "--", "-x"}, "unexpected argument '-x'"},
      {{"--bogus", "a"}, "unknown option '--bogus'"},
      {{"a", "-x"}, "unknown option '-x'"},
      // Only long options carry an inline value; flags take none.
      {{"-c=f", "a"}, "unknown option '-c=f'"},
      {{"--json=1", "a"}, "unknown option '--json=1'"},
      {{"--=x", "a"}, "unknown option '--=x'"},
      // Option names match exactly: no prefixes, no case folding.
      {{"--sto", "x", "a"}, "unknown option '--sto'"},
      {{"--JSON", "a"}, "unknown option '--JSON'"},
      {{"a", "--store"}, "option --store needs a value"},
      {{"a", "-c"}, "option -c needs a value"},
      // The first mistake is the one reported.
      {{"--bogus", "a", "b", "c"}, "unknown option '--bogus'"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.argv);
    Result<Args> args = ParseArgs(c.argv, kDemo);
    REQUIRE_FALSE(args.ok());
    CHECK(args.status().code() == StatusCode::kInvalidArgument);
    CHECK(args.status().message() == c.problem);
  }
}

TEST_CASE("ParseArgs: positional counts") {
  ArgSpec none{"none", "", {}, {}, 0, 0};
  CHECK(ParseArgs({}, none).ok());
  CHECK(ParseArgs({"x"}, none).status().message() == "unexpected argument 'x'");
  ArgSpec any{"any", "FILE...", {}, {}, 1, kAnyNumber};
  CHECK(ParseArgs({}, any).status().message() == "missing argument");
  std::vector<std::string> many(10000, "file");
  Result<Args> args = ParseArgs(many, any);
  REQUIRE(args.ok());
  CHECK(args->positional().size() == 10000);
}

TEST_CASE("ParseArgs: oversized and hostile arguments") {
  // A 1 MiB argument, as a value, a positional and an unknown option.
  const std::string big(1 << 20, 'v');
  Result<Args> args = ParseArgs({"--store=" + big, big}, kDemo);
  REQUIRE(args.ok());
  CHECK(args->Value("--store") == big);
  CHECK(args->positional()[0] == big);
  Result<Args> unknown = ParseArgs({"--" + big, "a"}, kDemo);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().size() == big.size() + 19);
  // Bytes that are not text pass through parsing unchanged.
  const std::string odd("\x01\xff\x7f\n", 4);
  args = ParseArgs({"--to", odd, std::string("id\0x", 4)}, kDemo);
  REQUIRE(args.ok());
  CHECK(args->Value("--to") == odd);
  CHECK(args->positional()[0] == std::string("id\0x", 4));
  // Many options, each repeated.
  std::vector<std::string> argv = {"id"};
  for (int i = 0; i < 5000; ++i) argv.push_back("--to=" + std::to_string(i));
  args = ParseArgs(argv, kDemo);
  REQUIRE(args.ok());
  CHECK(args->Values("--to").size() == 5000);
  CHECK(args->Value("--to") == "4999");
}

TEST_CASE("UsageError and ParseOrUsage print the problem and the usage") {
  std::string err = CaptureErr([](CommandIo& io) {
    CHECK(UsageError(kDemo, "--limit wants a positive number", io) ==
          kExitUsage);
  });
  CHECK(err ==
        "sealctl demo run: --limit wants a positive number\n"
        "usage: sealctl demo run [-c FILE] [--store PATH] [--to A]... "
        "[--json] ID [ID]\n");

  err = CaptureErr([](CommandIo& io) {
    CHECK_FALSE(ParseOrUsage({"--bogus"}, kDemo, io).has_value());
  });
  CHECK(err ==
        "sealctl demo run: unknown option '--bogus'\n"
        "usage: sealctl demo run [-c FILE] [--store PATH] [--to A]... "
        "[--json] ID [ID]\n");

  // Nothing is printed for a good command line.
  err = CaptureErr([](CommandIo& io) {
    std::optional<Args> args = ParseOrUsage({"--json", "x"}, kDemo, io);
    REQUIRE(args.has_value());
    CHECK(args->positional() == std::vector<std::string>{"x"});
  });
  CHECK(err.empty());

  // Control bytes from the command line cannot reach the terminal.
  err = CaptureErr([](CommandIo& io) {
    CHECK_FALSE(
        ParseOrUsage({"--\x1b[2J\r\nforged: ok", "a"}, kDemo, io).has_value());
  });
  CHECK(err.find('\x1b') == std::string::npos);
  CHECK(err.find('\r') == std::string::npos);
  CHECK_THAT(err, Catch::StartsWith("sealctl demo run: unknown option "
                                    "'--?[2J??forged: ok'\nusage: "));
}

TEST_CASE("Fail prints one printable line and returns the code") {
  std::string err = CaptureErr([](CommandIo& io) {
    CHECK(Fail(io, "certs show", NotFoundError("no certificate abc")) ==
          kExitFailure);
    CHECK(Fail(io, "certs show", InvalidArgumentError("bad\nline\x7f"),
               kExitConfig) == kExitConfig);
  });
  CHECK(err ==
        "sealctl certs show: no certificate abc\n"
        "sealctl certs show: bad?line?\n");
}

TEST_CASE("ConfigSourceFrom: -c names a required file") {
  Result<Args> none = ParseArgs({"id"}, kDemo);
  REQUIRE(none.ok());
  ConfigSource def = ConfigSourceFrom(*none);
  CHECK(def.path == ConfigSource().path);
  CHECK_FALSE(def.required);

  Result<Args> given = ParseArgs({"-c", "/etc/x.conf", "id"}, kDemo);
  REQUIRE(given.ok());
  ConfigSource c = ConfigSourceFrom(*given);
  CHECK(c.path == "/etc/x.conf");
  CHECK(c.required);

  Result<Args> twice = ParseArgs({"-c", "a", "-c", "b", "id"}, kDemo);
  REQUIRE(twice.ok());
  CHECK(ConfigSourceFrom(*twice).path == "b");
}

TEST_CASE("Printable") {
  CHECK(Printable("") == "");
  CHECK(Printable("plain text, UTF-8: \xc3\xa9") ==
        "plain text, UTF-8: \xc3\xa9");
  CHECK(Printable(std::string("a\0b\tc\x1f\x20\x7f\x80", 9)) == "a?b?c? ?\x80");
}

}  // namespace
}  // namespace seal::ctl
