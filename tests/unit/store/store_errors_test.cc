// Failure modes of the SQLite store: missing, corrupt, locked, not a regular
// file, world-writable. Each is a clear Status, never a crash.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>

#include "lib/store/open_store.h"
#include "lib/store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::CertSpec;
using testing::MakeCert;
using testing::OptionsFor;
using testing::TempDir;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

void Overwrite(const std::string& path, off_t offset, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, data.data(), data.size(), offset) ==
          static_cast<ssize_t>(data.size()));
  ::close(fd);
}

TEST_CASE("a missing database: created, or kNotFound when not allowed") {
  TempDir dir;
  StoreOptions options = OptionsFor(dir.File("absent.db"));
  options.create_if_missing = false;
  Result<std::unique_ptr<Store>> s = OpenStore(options);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kNotFound);
  CHECK(::access(options.path.c_str(), F_OK) != 0);

  options.path = dir.File("no/such/dir/store.db");
  options.create_if_missing = true;
  s = OpenStore(options);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kNotFound);

  options.path = dir.File("created.db");
  s = OpenStore(options);
  REQUIRE(s.ok());
  CHECK((*s)->backend() == "sqlite");

  options.path = "";
  CHECK(OpenStore(options).status().code() == StatusCode::kInvalidArgument);
  options.path = "postgresql://db/seal";
  CHECK(OpenStore(options).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a file of garbage is a parse error, not a crash") {
  TempDir dir;
  for (size_t size : {1u, 100u, 4096u, 65536u}) {
    INFO(size << " bytes");
    std::string path = dir.File("garbage" + std::to_string(size) + ".db");
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    REQUIRE(fd >= 0);
    std::string bytes = RandomBytes(size, static_cast<uint32_t>(size));
    REQUIRE(::write(fd, bytes.data(), bytes.size()) ==
            static_cast<ssize_t>(bytes.size()));
    ::close(fd);
    Result<std::unique_ptr<Store>> s = OpenStore(OptionsFor(path));
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == StatusCode::kParseError);
    CHECK(s.status().message().find(path) != std::string::npos);
  }
}

TEST_CASE("a database damaged after its header fails cleanly") {
  // Destroy everything after page 1 (the schema tables go), or only the
  // second half of the file (certificate pages go, the schema survives).
  for (bool keep_half : {false, true}) {
    INFO((keep_half ? "second half destroyed" : "all but page 1 destroyed"));
    TempDir dir;
    std::string path = dir.File("damaged.db");
    {
      auto store = testing::OpenFresh(path);
      CertSpec spec;
      spec.san_emails = {"kim@example.com"};
      for (int i = 0; i < 120; ++i) {
        REQUIRE(
            store->PutCertificate(MakeCert(spec).der, CertSource::kHarvested)
                .ok());
      }
    }  // the last connection checkpoints the WAL into the file
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    REQUIRE(st.st_size > 16384);
    off_t from = keep_half ? st.st_size / 2 / 4096 * 4096 : 4096;
    Overwrite(path, from,
              RandomBytes(static_cast<size_t>(st.st_size - from), 7));

    Result<std::unique_ptr<Store>> s = OpenStore(OptionsFor(path));
    if (!s.ok()) {
      CHECK(s.status().code() == StatusCode::kParseError);
      CHECK_FALSE(keep_half);
      continue;
    }
    Result<std::vector<CertificateRecord>> all =
        (*s)->CertificatesFor("kim@example.com");
    REQUIRE_FALSE(all.ok());
    CHECK(all.status().code() == StatusCode::kParseError);
    CHECK(all.status().message().find("damaged") != std::string::npos);
    CHECK_FALSE((*s)->ListCertificates().ok());
  }
}

TEST_CASE("a lock held beyond the busy timeout is kUnavailable") {
  TempDir dir;
  std::string path = dir.File("locked.db");
  StoreOptions options = OptionsFor(path);
  options.busy_timeout_ms = 200;
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(options);
  REQUIRE(opened.ok());
  SqliteStore& store = **opened;
  testing::TestCert cert = MakeCert(CertSpec{});

  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) ==
          SQLITE_OK);

  auto start = std::chrono::steady_clock::now();
  Result<CertificateRecord> put =
      store.PutCertificate(cert.der, CertSource::kImported);
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(put.ok());
  CHECK(put.status().code() == StatusCode::kUnavailable);
  CHECK(put.status().message().find("lock") != std::string::npos);
  CHECK(waited >= std::chrono::milliseconds(150));

  // Readers are not blocked by a writer (WAL).
  CHECK(store.ListCertificates().ok());
  // A second process opening the database while it is locked waits, then
  // reports kUnavailable as well.
  StoreOptions second = options;
  Result<std::unique_ptr<SqliteStore>> s2 = SqliteStore::Open(second);
  if (!s2.ok()) CHECK(s2.status().code() == StatusCode::kUnavailable);

  REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(other);
  CHECK(store.PutCertificate(cert.der, CertSource::kImported).ok());
}

TEST_CASE("opening a fresh database while another holds the lock") {
  TempDir dir;
  std::string path = dir.File("fresh-locked.db");
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  REQUIRE(sqlite3_exec(other, "PRAGMA journal_mode=WAL; BEGIN IMMEDIATE",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  StoreOptions options = OptionsFor(path);
  options.busy_timeout_ms = 100;
  Result<std::unique_ptr<SqliteStore>> s = SqliteStore::Open(options);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kUnavailable);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  CHECK(SqliteStore::Open(options).ok());
}

TEST_CASE("not a regular file, or writable by everyone, is refused") {
  TempDir dir;
  std::string subdir = dir.File("a-directory");
  REQUIRE(::mkdir(subdir.c_str(), 0700) == 0);
  CHECK(OpenStore(OptionsFor(subdir)).status().code() ==
        StatusCode::kFailedPrecondition);

  std::string path = dir.File("open.db");
  testing::OpenFresh(path).reset();
  REQUIRE(::chmod(path.c_str(), 0666) == 0);
  Result<std::unique_ptr<Store>> s = OpenStore(OptionsFor(path));
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kFailedPrecondition);
  CHECK(s.status().message().find("chmod 600") != std::string::npos);
}

}  // namespace
}  // namespace seal::store
