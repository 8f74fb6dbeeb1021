// Portal key file tests (lib/envelope/portal_key.h): a table of malformed
// files with the line each error names, duplicate ids, bad base64, wrong
// key lengths, oversized files, the mode check on load, rollover (first key
// current, older keys found) and Format → Parse round trips.
#include "lib/envelope/portal_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "lib/envelope/base64.h"

namespace seal::envelope {
namespace {

std::string Key(char fill) { return std::string(32, fill); }

std::string Line(const std::string& id, const std::string& key) {
  return std::string(kPortalKeyTag) + " " + id + " " + Base64Encode(key) + "\n";
}

class TempFile {
 public:
  explicit TempFile(const std::string& text, mode_t mode = 0600) {
    char tmpl[] = "/tmp/portal_key_test_XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    path_ = tmpl;
    REQUIRE(write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size()));
    close(fd);
    REQUIRE(chmod(path_.c_str(), mode) == 0);
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_CASE("ParsePortalKeys accepts comments, blank lines and CRLF",
          "[portal_key]") {
  std::string text = "# header\n\n   \n" + Line("k1", Key('a')) +
                     "  # indented comment\r\n" + Line("old.key-2_x", Key('b'));
  text.insert(text.find("old") - 1, "\t");  // tabs separate fields too
  auto ring = ParsePortalKeys(text);
  REQUIRE(ring.ok());
  REQUIRE(ring->keys().size() == 2);
  CHECK(ring->current().key_id == "k1");
  CHECK(ring->current().key == Key('a'));
  const PortalKey* old = ring->Find("old.key-2_x");
  REQUIRE(old != nullptr);
  CHECK(old->key == Key('b'));
  CHECK(ring->Find("k3") == nullptr);
  CHECK(ring->Find("") == nullptr);
}

TEST_CASE("ParsePortalKeys rejects malformed files naming the line",
          "[portal_key]") {
  const std::string tag(kPortalKeyTag);
  const std::string good = Line("k1", Key('a'));
  struct Row {
    std::string text;
    std::string expect;  // substring of the message
  } rows[] = {
      {"", "no key"},
      {"# only a comment\n\n", "no key"},
      {"sealportal-key-v2 k1 " + Base64Encode(Key('a')) + "\n", "line 1:"},
      {good + "garbage\n", "line 2:"},
      {tag + " k1\n", "line 1: expected 3 fields"},
      {tag + " k1 " + Base64Encode(Key('a')) + " extra\n", "3 fields"},
      {good + Line("k1", Key('b')), "line 2: key id k1 appears twice"},
      {tag + " k1 !!!notbase64!!!\n", "line 1: key is not valid base64"},
      {tag + " k1 " + Base64Encode(Key('a')) + "=\n", "base64"},
      {Line("k1", std::string(31, 'a')), "32 bytes, not 31"},
      {Line("k1", std::string(33, 'a')), "32 bytes, not 33"},
      {Line("k1", ""), "3 fields"},
      {Line("bad/id", Key('a')), "line 1: key id"},
      {Line("bad\xc3\xa9id", Key('a')), "key id"},
      {Line(std::string(65, 'k'), Key('a')), "1..64"},
      {good + "\n\n" + tag + "\n", "line 4:"},
  };
  for (const Row& row : rows) {
    INFO(row.text);
    auto ring = ParsePortalKeys(row.text);
    REQUIRE_FALSE(ring.ok());
    CHECK_THAT(ring.status().message(), Catch::Contains(row.expect));
  }
}

TEST_CASE("ParsePortalKeys caps the text at 64 KiB", "[portal_key]") {
  std::string text = Line("k1", Key('a'));
  text += std::string(64 * 1024, '#');
  auto ring = ParsePortalKeys(text);
  REQUIRE_FALSE(ring.ok());
  CHECK(ring.status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("PortalKeyRing::Make checks ids and lengths", "[portal_key]") {
  CHECK_FALSE(PortalKeyRing::Make({}).ok());
  CHECK_FALSE(PortalKeyRing::Make({{"k1", Key('a')}, {"k1", Key('b')}}).ok());
  CHECK_FALSE(PortalKeyRing::Make({{"k1", "short"}}).ok());
  CHECK_FALSE(PortalKeyRing::Make({{"", Key('a')}}).ok());
  CHECK_FALSE(PortalKeyRing::Make({{"a b", Key('a')}}).ok());
  auto ring = PortalKeyRing::Make({{"k2", Key('b')}, {"k1", Key('a')}});
  REQUIRE(ring.ok());
  CHECK(ring->current().key_id == "k2");
  REQUIRE(ring->Find("k1") != nullptr);
}

TEST_CASE("Format then Parse gives the same ring; rollover keeps old keys",
          "[portal_key]") {
  auto first = GeneratePortalKey("");
  REQUIRE(first.ok());
  CHECK(first->key.size() == 32);
  CHECK(first->key_id.size() == 18);  // k + YYYYMMDD + - + 8 hex
  CHECK(first->key_id[0] == 'k');
  auto ring = PortalKeyRing::Make({*first});
  REQUIRE(ring.ok());
  std::string text = FormatPortalKeys(*ring);
  CHECK(text.find(first->key) == std::string::npos);  // not raw
  auto back = ParsePortalKeys(text);
  REQUIRE(back.ok());
  REQUIRE(back->keys().size() == 1);
  CHECK(back->current().key_id == first->key_id);
  CHECK(back->current().key == first->key);

  // Rollover: a new current key first, the old one kept.
  auto second = GeneratePortalKey("rot-2");
  REQUIRE(second.ok());
  CHECK(second->key != first->key);
  std::vector<PortalKey> keys{*second};
  for (const PortalKey& k : back->keys()) keys.push_back(k);
  auto rolled = PortalKeyRing::Make(keys);
  REQUIRE(rolled.ok());
  auto reparsed = ParsePortalKeys(FormatPortalKeys(*rolled));
  REQUIRE(reparsed.ok());
  CHECK(reparsed->current().key_id == "rot-2");
  const PortalKey* old = reparsed->Find(first->key_id);
  REQUIRE(old != nullptr);
  CHECK(old->key == first->key);
}

TEST_CASE("GeneratePortalKey checks a given id", "[portal_key]") {
  CHECK_FALSE(GeneratePortalKey("no spaces").ok());
  CHECK_FALSE(GeneratePortalKey(std::string(65, 'a')).ok());
  auto a = GeneratePortalKey("");
  auto b = GeneratePortalKey("");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->key_id != b->key_id);
}

TEST_CASE("LoadPortalKeyFile checks mode, type and size", "[portal_key]") {
  const std::string text = Line("k1", Key('a'));
  {
    TempFile f(text, 0600);
    auto ring = LoadPortalKeyFile(f.path());
    REQUIRE(ring.ok());
    CHECK(ring->current().key == Key('a'));
  }
  {
    TempFile f(text, 0400);
    CHECK(LoadPortalKeyFile(f.path()).ok());
  }
  for (mode_t mode :
       {mode_t{0640}, mode_t{0604}, mode_t{0620}, mode_t{0602}, mode_t{0644}}) {
    INFO(mode);
    TempFile f(text, mode);
    auto ring = LoadPortalKeyFile(f.path());
    REQUIRE_FALSE(ring.ok());
    CHECK(ring.status().code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(ring.status().message(), Catch::Contains("chmod 600"));
  }
  {
    auto ring = LoadPortalKeyFile("/nonexistent/portal.key");
    REQUIRE_FALSE(ring.ok());
    CHECK(ring.status().code() == StatusCode::kNotFound);
  }
  {
    TempFile f(text, 0600);
    std::string link = f.path() + ".link";
    REQUIRE(symlink(f.path().c_str(), link.c_str()) == 0);
    auto ring = LoadPortalKeyFile(link);
    unlink(link.c_str());
    REQUIRE_FALSE(ring.ok());
    CHECK_THAT(ring.status().message(), Catch::Contains("symbolic link"));
  }
  {
    char dir[] = "/tmp/portal_key_dir_XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    REQUIRE(chmod(dir, 0700) == 0);
    auto ring = LoadPortalKeyFile(dir);
    rmdir(dir);
    CHECK_FALSE(ring.ok());
  }
  {
    TempFile f(text + std::string(70 * 1024, '#'), 0600);
    auto ring = LoadPortalKeyFile(f.path());
    REQUIRE_FALSE(ring.ok());
    CHECK(ring.status().code() == StatusCode::kResourceExhausted);
  }
  {
    TempFile f("sealportal-key-v1 k1 AAAA\n", 0600);
    auto ring = LoadPortalKeyFile(f.path());
    REQUIRE_FALSE(ring.ok());
    CHECK_THAT(ring.status().message(), Catch::Contains(f.path()));
    CHECK_THAT(ring.status().message(), Catch::Contains("line 1"));
  }
}

}  // namespace
}  // namespace seal::envelope
