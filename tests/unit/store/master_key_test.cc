// The master key file checks and the AES-256-GCM sealing format
// (lib/store/master_key.h).
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "lib/store/master_key.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::TempDir;

void WriteFile(const std::string& path, const std::string& content,
               mode_t mode) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, content.data(), content.size()) ==
          static_cast<ssize_t>(content.size()));
  REQUIRE(::fchmod(fd, mode) == 0);
  ::close(fd);
}

const std::string kHexKey =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST_CASE("a created key file is 0600, exclusive, and loads") {
  TempDir dir;
  std::string path = dir.File("master.key");
  ::umask(022);
  REQUIRE(CreateMasterKeyFile(path).ok());
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_size == 65);  // 64 hex digits and a newline
  Result<MasterKey> key = LoadMasterKeyFile(path);
  INFO(key.status().ToString());
  REQUIRE(key.ok());
  CHECK(key->id().size() == 16);

  Status again = CreateMasterKeyFile(path);
  CHECK(again.code() == StatusCode::kFailedPrecondition);
  Result<MasterKey> same = LoadMasterKeyFile(path);
  REQUIRE(same.ok());
  CHECK(same->id() == key->id());  // not overwritten

  std::string other = dir.File("other.key");
  REQUIRE(CreateMasterKeyFile(other).ok());
  CHECK(LoadMasterKeyFile(other)->id() != key->id());  // random
}

TEST_CASE("key file modes: group or other access is refused") {
  TempDir dir;
  std::string path = dir.File("master.key");
  struct Case {
    mode_t mode;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {0600, true},  {0400, true},  {0644, false}, {0640, false},
      {0604, false}, {0660, false}, {0606, false}, {0610, false},
  };
  for (const Case& c : cases) {
    INFO("mode " << std::oct << c.mode);
    WriteFile(path, kHexKey + "\n", c.mode);
    Result<MasterKey> key = LoadMasterKeyFile(path);
    CHECK(key.ok() == c.accepted);
    if (!c.accepted) {
      CHECK(key.status().code() == StatusCode::kFailedPrecondition);
      CHECK(key.status().message().find("chmod 600") != std::string::npos);
    }
  }
}

TEST_CASE("key file owned by another user is refused") {
  if (::geteuid() != 0) {
    WARN("not root: cannot chown a file to another user; check skipped");
    return;
  }
  struct passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  TempDir dir;
  std::string path = dir.File("master.key");
  WriteFile(path, kHexKey, 0600);
  REQUIRE(::chown(path.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
  Result<MasterKey> key = LoadMasterKeyFile(path);
  REQUIRE_FALSE(key.ok());
  CHECK(key.status().code() == StatusCode::kFailedPrecondition);
  CHECK(key.status().message().find("owned by uid") != std::string::npos);
  CHECK(key.status().message().find("nobody") != std::string::npos);
}

TEST_CASE("key file owners: the running user, root, or the extra owner") {
  if (::geteuid() != 0) {
    WARN("not root: cannot chown a file to another user; check skipped");
    return;
  }
  struct passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  TempDir dir;
  std::string path = dir.File("master.key");
  WriteFile(path, kHexKey, 0600);
  // Root-owned (the running user here): accepted, with or without extra.
  CHECK(LoadMasterKeyFile(path).ok());
  CHECK(LoadMasterKeyFile(path, nobody->pw_uid).ok());
  // Owned by the daemon's final user, read by root before the drop.
  REQUIRE(::chown(path.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
  Result<MasterKey> key = LoadMasterKeyFile(path, nobody->pw_uid);
  INFO(key.status().ToString());
  CHECK(key.ok());
  // Another extra owner does not make nobody's file acceptable, and the
  // message names every owner that would be.
  Result<MasterKey> other = LoadMasterKeyFile(path, nobody->pw_uid + 1);
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().code() == StatusCode::kFailedPrecondition);
  CHECK(other.status().message().find("or root") != std::string::npos);
  // The mode check still applies to an accepted owner.
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  Result<MasterKey> open_mode = LoadMasterKeyFile(path, nobody->pw_uid);
  REQUIRE_FALSE(open_mode.ok());
  CHECK(open_mode.status().message().find("chmod 600") != std::string::npos);
}

TEST_CASE("key file content and type checks") {
  TempDir dir;
  std::string path = dir.File("master.key");
  struct Case {
    const char* name;
    std::string content;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {"hex with newline", kHexKey + "\n", true},
      {"hex without newline", kHexKey, true},
      {"upper-case hex",
       "000102030405060708090A0B0C0D0E0F"
       "101112131415161718191A1B1C1D1E1F",
       true},
      {"32 raw bytes", std::string(32, '\x01'), true},
      {"too short", kHexKey.substr(2), false},
      {"not hex", std::string(64, 'z'), false},
      {"empty", "", false},
      {"two newlines", kHexKey + "\n\n", false},
      {"huge", std::string(100000, 'a'), false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    WriteFile(path, c.content, 0600);
    Result<MasterKey> key = LoadMasterKeyFile(path);
    CHECK(key.ok() == c.accepted);
  }
  // Hex and raw forms of the same key are the same key.
  WriteFile(path, kHexKey, 0600);
  std::string hex_id = LoadMasterKeyFile(path)->id();
  std::string raw;
  for (int i = 0; i < 32; ++i) raw.push_back(static_cast<char>(i));
  WriteFile(path, raw, 0600);
  CHECK(LoadMasterKeyFile(path)->id() == hex_id);

  Result<MasterKey> missing = LoadMasterKeyFile(dir.File("none"));
  CHECK(missing.status().code() == StatusCode::kNotFound);

  std::string link = dir.File("link.key");
  REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
  Result<MasterKey> via_link = LoadMasterKeyFile(link);
  CHECK(via_link.status().code() == StatusCode::kFailedPrecondition);

  std::string subdir = dir.File("dir.key");
  REQUIRE(::mkdir(subdir.c_str(), 0700) == 0);
  CHECK_FALSE(LoadMasterKeyFile(subdir).ok());
}

TEST_CASE("seal and open round trip, bound to the context") {
  MasterKey key = testing::TestMasterKey('k');
  const std::vector<std::string> plaintexts = {"", "x", std::string(1000, 'p'),
                                               std::string("\0\1\2", 3)};
  for (const std::string& plain : plaintexts) {
    Result<std::string> sealed = key.Seal(plain, "fingerprint-a");
    REQUIRE(sealed.ok());
    CHECK(sealed->size() == plain.size() + 1 + 8 + 12 + 16);
    if (plain.size() > 8) {
      CHECK(sealed->find(plain) == std::string::npos);
    }
    Result<SecretBytes> opened = key.Open(*sealed, "fingerprint-a");
    REQUIRE(opened.ok());
    CHECK(opened->view() == plain);

    Result<SecretBytes> wrong_ctx = key.Open(*sealed, "fingerprint-b");
    REQUIRE_FALSE(wrong_ctx.ok());
    CHECK(wrong_ctx.status().code() == StatusCode::kParseError);
  }
  // Two seals of the same text differ (random nonce).
  CHECK(*key.Seal("same", "c") != *key.Seal("same", "c"));
}

TEST_CASE("the wrong master key is a clear error, never garbage") {
  MasterKey right = testing::TestMasterKey('r');
  MasterKey wrong = testing::TestMasterKey('w');
  CHECK(right.id() != wrong.id());
  Result<std::string> sealed = right.Seal("private key bytes", "ctx");
  REQUIRE(sealed.ok());
  Result<SecretBytes> opened = wrong.Open(*sealed, "ctx");
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == StatusCode::kFailedPrecondition);
  CHECK(opened.status().message().find(right.id()) != std::string::npos);
  CHECK(opened.status().message().find(wrong.id()) != std::string::npos);
}

TEST_CASE("every tampered or truncated byte fails authentication") {
  MasterKey key = testing::TestMasterKey('t');
  Result<std::string> sealed = key.Seal("secret material", "ctx");
  REQUIRE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string bad = *sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    Result<SecretBytes> opened = key.Open(bad, "ctx");
    INFO("byte " << i);
    CHECK_FALSE(opened.ok());
  }
  for (size_t n = 0; n < sealed->size(); ++n) {
    CHECK_FALSE(key.Open(sealed->substr(0, n), "ctx").ok());
  }
  CHECK_FALSE(key.Open(*sealed + "x", "ctx").ok());
  CHECK(MasterKey::FromBytes("short").status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seal::store
