// Tests for sealctl's dispatch and config commands (ctl/).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "ctl/command.h"
#include "tests/unit/sealctl_test_util.h"

namespace seal::ctl {
namespace {

using testing::Captured;

Captured Run(std::vector<std::string> args) {
  return testing::RunCaptured(args);
}

TEST_CASE("sealctl usage and unknown commands") {
  Captured none = Run({});
  CHECK(none.rc == kExitUsage);
  CHECK_THAT(none.err, Catch::Contains("config check [-c FILE]"));
  CHECK(Run({"--help"}).rc == kExitOk);
  CHECK(Run({"version"}).out ==
        std::string("sealctl ") + SEALMILTER_VERSION + "\n");
  Captured bad = Run({"config", "frobnicate"});
  CHECK(bad.rc == kExitUsage);
  CHECK_THAT(bad.err, Catch::Contains("unknown command 'config frobnicate'"));
  CHECK(Run({"config"}).rc == kExitUsage);
  CHECK(Run({"config", "check", "-x"}).rc == kExitUsage);
  CHECK(Run({"config", "keys", "extra"}).rc == kExitUsage);
}

TEST_CASE("sealctl config check / show / keys") {
  std::string path = "/tmp/sealctl-test-" + std::to_string(getpid()) + ".conf";
  {
    std::ofstream f(path);
    f << "[spool]\nmax_size = \"2M\"\n";
  }
  Captured ok = Run({"config", "check", "-c", path});
  CHECK(ok.rc == kExitOk);
  CHECK(ok.out == "configuration OK (" + path + ")\n");

  Captured show = Run({"config", "show", "-c", path});
  CHECK(show.rc == kExitOk);
  CHECK_THAT(show.out, Catch::Contains("max_size = 2097152\n"));

  {
    std::ofstream f(path, std::ios::trunc);
    f << "[spool]\nmax_sise = \"2M\"\n";
  }
  Captured bad = Run({"config", "check", "-c", path});
  CHECK(bad.rc == kExitConfig);
  CHECK(bad.err == path +
                       ":2:1: unknown key 'spool.max_sise' (did you mean "
                       "'spool.max_size'?)\n");
  std::remove(path.c_str());

  Captured missing = Run({"config", "check", "-c", path});
  CHECK(missing.rc == kExitConfig);
  CHECK_THAT(missing.err, Catch::Contains("No such file or directory"));

  // Like sealmilter -t: the rules and templates the configuration names
  // are loaded too.
  const std::string dir = "/tmp/sealctl-test-" + std::to_string(getpid());
  REQUIRE(mkdir(dir.c_str(), 0700) == 0);
  std::ofstream(dir + "/bad.toml") << "[[rule]]\nid = \"x\"\npatterns = '('\n";
  std::ofstream(path, std::ios::trunc)
      << "[rules]\nshipped = false\npaths = [\"" << dir << "/bad.toml\"]\n";
  Captured bad_rule = Run({"config", "check", "-c", path});
  CHECK(bad_rule.rc == kExitConfig);
  CHECK_THAT(bad_rule.err, Catch::Contains(dir + "/bad.toml"));
  CHECK(bad_rule.out.empty());
  std::ofstream(dir + "/passphrase.txt") << "{{passphrase}}\n";
  std::ofstream(path, std::ios::trunc)
      << "[envelope]\ntemplates = \"" << dir
      << "\"\npassphrase = \"per-recipient\"\n";
  Captured old_template = Run({"config", "check", "-c", path});
  CHECK(old_template.rc == kExitConfig);
  CHECK_THAT(old_template.err, Catch::Contains("{{=personal_passphrases}}"));
  for (const char* f : {"/bad.toml", "/passphrase.txt"}) {
    std::remove((dir + f).c_str());
  }
  rmdir(dir.c_str());
  std::remove(path.c_str());

  Captured keys = Run({"config", "keys"});
  CHECK(keys.rc == kExitOk);
  CHECK_THAT(keys.out, Catch::Contains("milter.socket "));
  CHECK_THAT(keys.out, Catch::Contains("spool.max_size "));
}

}  // namespace
}  // namespace seal::ctl
