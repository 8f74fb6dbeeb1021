// Tests for Snapshot reload (lib/snapshot.h): a good reload publishes a new
// generation, a broken file keeps the old one, in-flight holders keep theirs,
// restart-only keys are reported.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "lib/snapshot.h"

namespace seal {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
}

TEST_CASE("reload swaps, keeps in-flight snapshots, survives a broken file") {
  std::string path =
      "/tmp/sealmilter-snapshot-test-" + std::to_string(getpid()) + ".conf";
  Write(path, "[log]\nlevel = \"info\"\n");
  ConfigSource source{path, true};
  Result<Config> initial = LoadConfig(source);
  REQUIRE(initial.ok());
  SnapshotStore store(source, *initial);
  std::shared_ptr<const Snapshot> first = store.Current();
  CHECK(first->generation == 1);

  Write(path, "[log]\nlevel = \"debug\"\n[milter]\nsocket = \"inet:9@h\"\n");
  Result<ReloadReport> r = store.Reload();
  REQUIRE(r.ok());
  CHECK(r->generation == 2);
  CHECK(r->needs_restart == std::vector<std::string>{"milter.socket"});
  std::shared_ptr<const Snapshot> second = store.Current();
  CHECK(second->generation == 2);
  CHECK(second->config.log.level == "debug");
  CHECK(second->config.milter.socket == first->config.milter.socket);
  // The holder of the first snapshot still sees the old values.
  CHECK(first->config.log.level == "info");

  Write(path, "[log]\nlevel = \"debug\"\nbogus = 1\n");
  Result<ReloadReport> bad = store.Reload();
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(),
             Catch::Contains(path + ":3:1: unknown key 'log.bogus'"));
  CHECK(store.Current() == second);

  Write(path, "[spool]\nmemory_limit = \"2M\"\nmax_size = \"1M\"\n");
  Result<ReloadReport> invalid = store.Reload();
  REQUIRE_FALSE(invalid.ok());
  CHECK_THAT(invalid.status().message(), Catch::Contains("memory_limit"));
  CHECK(store.Current() == second);

  std::remove(path.c_str());
  Result<ReloadReport> gone = store.Reload();
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.status().code() == StatusCode::kNotFound);
  CHECK(store.Current() == second);
}

TEST_CASE("concurrent readers during reloads always see a whole snapshot") {
  std::string path =
      "/tmp/sealmilter-snapshot-race-" + std::to_string(getpid()) + ".conf";
  Write(path, "[spool]\nmax_size = 4096\nmemory_limit = 4096\n");
  ConfigSource source{path, true};
  Result<Config> initial = LoadConfig(source);
  REQUIRE(initial.ok());
  SnapshotStore store(source, *initial);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!stop.load()) {
      auto s = store.Current();
      // Written together below; a torn snapshot would disagree.
      if (s->config.spool.max_size != s->config.spool.memory_limit) ++torn;
    }
  });
  for (int i = 0; i < 200; ++i) {
    int n = 4096 + i;
    Write(path, "[spool]\nmax_size = " + std::to_string(n) +
                    "\nmemory_limit = " + std::to_string(n) + "\n");
    REQUIRE(store.Reload().ok());
  }
  stop = true;
  reader.join();
  CHECK(torn.load() == 0);
  CHECK(store.Current()->generation == 201);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace seal
