// Tests for the Spool (lib/spool.h): memory vs spill, the size cap, reads in
// slices and as a mapped view, and disk-full behaviour through a fake
// FileSystem, a real full tmpfs (as root) and RLIMIT_FSIZE.
#include <dirent.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <csignal>

#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "lib/spool.h"

namespace seal {
namespace {

std::string Pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string ReadAll(Spool& spool, size_t slice) {
  std::string out;
  Status s = spool.ForEachSlice(slice, [&](std::string_view part) {
    CHECK(part.size() <= slice);
    out.append(part);
    return Status::Ok();
  });
  REQUIRE(s.ok());
  return out;
}

size_t EntriesIn(const std::string& dir) {
  size_t n = 0;
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") ++n;
  }
  closedir(d);
  return n;
}

struct TempDir {
  TempDir() {
    char templ[] = "/tmp/sealmilter-spool-test-XXXXXX";
    REQUIRE(mkdtemp(templ) != nullptr);
    path = templ;
  }
  ~TempDir() { rmdir(path.c_str()); }
  std::string path;
};

TEST_CASE("small messages stay in memory") {
  TempDir dir;
  Spool spool({dir.path, 1024, 4096, nullptr});
  REQUIRE(spool.Append("Subject: hi\r\n").ok());
  REQUIRE(spool.Append("\r\nbody\r\n").ok());
  CHECK_FALSE(spool.spilled());
  CHECK(spool.size() == 21);
  CHECK(ReadAll(spool, 4) == "Subject: hi\r\n\r\nbody\r\n");
  Result<SpoolView> view = spool.Map();
  REQUIRE(view.ok());
  CHECK(view->data() == "Subject: hi\r\n\r\nbody\r\n");
}

TEST_CASE("spill over the memory limit keeps every byte, leaves no file") {
  TempDir dir;
  const size_t limit = 1000;
  Spool spool({dir.path, limit, 10 << 20, nullptr});
  std::string expected;
  // Mixed chunk sizes: tiny header-like lines, then big body chunks.
  for (int i = 0; i < 80; ++i) {
    std::string line = "X-Header-" + std::to_string(i) + ": value\r\n";
    expected += line;
    REQUIRE(spool.Append(line).ok());
  }
  CHECK(spool.spilled());
  for (uint32_t i = 0; i < 40; ++i) {
    std::string chunk = Pattern(65536 + i * 13, i);
    expected += chunk;
    REQUIRE(spool.Append(chunk).ok());
  }
  for (int i = 0; i < 100; ++i) {  // small appends after big ones
    expected += "tail\r\n";
    REQUIRE(spool.Append("tail\r\n").ok());
  }
  CHECK(spool.size() == expected.size());
  // The temporary file is unlinked: nothing is visible in the directory.
  CHECK(EntriesIn(dir.path) == 0);
  CHECK(ReadAll(spool, 65536) == expected);
  CHECK(ReadAll(spool, 7) == expected);
  Result<SpoolView> view = spool.Map();
  REQUIRE(view.ok());
  CHECK(view->data() == expected);
  SpoolView moved = std::move(view).value();
  CHECK(moved.data() == expected);
}

TEST_CASE("memory limit zero spills at the first byte") {
  TempDir dir;
  Spool spool({dir.path, 0, 4096, nullptr});
  REQUIRE(spool.Append("a").ok());
  CHECK(spool.spilled());
  CHECK(ReadAll(spool, 10) == "a");
}

TEST_CASE("the size cap refuses the chunk that passes it, and all later ones") {
  TempDir dir;
  Spool spool({dir.path, 100, 1000, nullptr});
  REQUIRE(spool.Append(std::string(600, 'a')).ok());
  REQUIRE(spool.Append(std::string(400, 'b')).ok());  // exactly the cap
  CHECK(spool.size() == 1000);
  Status s = spool.Append("c");
  CHECK(s.code() == StatusCode::kResourceExhausted);
  CHECK_THAT(s.message(), Catch::Contains("spool.max_size (1000 bytes)"));
  CHECK(spool.overflowed());
  CHECK(spool.Append("").code() == StatusCode::kResourceExhausted);
  CHECK(spool.size() == 1000);
  spool.Reset();
  CHECK_FALSE(spool.overflowed());
  CHECK(spool.size() == 0);
  REQUIRE(spool.Append("fresh").ok());
  CHECK(ReadAll(spool, 100) == "fresh");
}

TEST_CASE("a spool directory that does not exist is an I/O error") {
  Spool spool({"/nonexistent/spool", 4, 4096, nullptr});
  REQUIRE(spool.Append("abcd").ok());
  Status s = spool.Append("e");
  CHECK(s.code() == StatusCode::kIoError);
  CHECK_THAT(s.message(), Catch::Contains("cannot create spool file in "
                                          "/nonexistent/spool"));
  // A spool that failed once stays failed: never read with a hole in it.
  CHECK(spool.Append("f").code() == StatusCode::kIoError);
  CHECK(spool.ForEachSlice(10, [](std::string_view) { return Status::Ok(); })
            .code() == StatusCode::kIoError);
  CHECK_FALSE(spool.Map().ok());
}

// A file system whose files accept `capacity` bytes, then fail like ENOSPC.
class FullDisk final : public FileSystem {
 public:
  explicit FullDisk(size_t capacity) : capacity_(capacity) {}
  Result<std::unique_ptr<TempFile>> CreateTempFile(
      const std::string&) override {
    return std::unique_ptr<TempFile>(std::make_unique<File>(capacity_));
  }

 private:
  class File final : public TempFile {
   public:
    explicit File(size_t capacity) : capacity_(capacity) {}
    Status Append(std::string_view data) override {
      size_t room = capacity_ - bytes_.size();
      bytes_.append(data.substr(0, std::min(room, data.size())));
      if (data.size() > room) {
        return ErrnoError("cannot write spool file", ENOSPC);
      }
      return Status::Ok();
    }
    Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
      if (offset >= bytes_.size()) return size_t{0};
      size_t got = std::min(n, bytes_.size() - static_cast<size_t>(offset));
      bytes_.copy(buf, got, static_cast<size_t>(offset));
      return got;
    }
    int fd() const override { return -1; }

   private:
    size_t capacity_;
    std::string bytes_;
  };
  size_t capacity_;
};

TEST_CASE("disk full while spooling is an error that sticks") {
  FullDisk fs(200 * 1024);
  Spool spool({"/unused", 1024, 10 << 20, &fs});
  Status s;
  size_t appended = 0;
  for (int i = 0; i < 100 && s.ok(); ++i) {
    s = spool.Append(std::string(10000, 'x'));
    if (s.ok()) appended += 10000;
  }
  CHECK(s.code() == StatusCode::kIoError);
  CHECK_THAT(s.message(), Catch::Contains("No space left on device"));
  CHECK(spool.size() == appended);
  CHECK(spool.Append("x").code() == StatusCode::kIoError);
  CHECK_THAT(spool.Append("x").message(),
             Catch::Contains("spool unusable after a write error"));
}

uint64_t BytesUsed(const std::string& dir) {
  struct statvfs st {};
  REQUIRE(statvfs(dir.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.f_blocks - st.f_bfree) * st.f_frsize;
}

// A 64 KiB tmpfs on a fresh directory; unmounted when destroyed. Mounting
// needs root (CAP_SYS_ADMIN): `mounted` is false otherwise.
struct SmallTmpfs {
  SmallTmpfs() {
    if (geteuid() != 0) return;
    mounted = mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=64k") == 0;
  }
  ~SmallTmpfs() {
    if (mounted) umount2(dir.path.c_str(), MNT_DETACH);
  }
  TempDir dir;
  bool mounted = false;
};

TEST_CASE(
    "a real full file system: an I/O error naming the spool, no file "
    "left behind, the space given back") {
  SmallTmpfs fs;
  if (!fs.mounted) {
    WARN("not run: mounting a tmpfs needs root");
    return;
  }
  const std::string& dir = fs.dir.path;
  uint64_t used_before = BytesUsed(dir);
  {
    Spool spool({dir, 1024, 10 << 20, nullptr});
    Status s;
    size_t appended = 0;
    // Header-sized and body-sized appends, as libmilter delivers them.
    for (int i = 0; i < 1000 && s.ok(); ++i) {
      std::string chunk = i % 2 ? Pattern(20000, static_cast<uint32_t>(i))
                                : "X-Line: value\r\n";
      s = spool.Append(chunk);
      if (s.ok()) appended += chunk.size();
    }
    CHECK(s.code() == StatusCode::kIoError);
    CHECK_THAT(s.message(), Catch::Contains("spool.directory " + dir));
    CHECK_THAT(s.message(), Catch::Contains("No space left on device"));
    CHECK(appended < 64 * 1024);
    CHECK(spool.size() == appended);
    // Sticky: never read with a hole in it.
    CHECK(spool.Append("x").code() == StatusCode::kIoError);
    CHECK_FALSE(spool.Map().ok());
    CHECK(spool.ForEachSlice(10, [](std::string_view) { return Status::Ok(); })
              .code() == StatusCode::kIoError);
    CHECK(EntriesIn(dir) == 0);  // the file was never visible by name
    CHECK(BytesUsed(dir) > used_before);
    // Reset gives the space back, and the spool works again.
    spool.Reset();
    CHECK(BytesUsed(dir) == used_before);
    std::string small = Pattern(30000, 99);
    REQUIRE(spool.Append(small).ok());
    CHECK(spool.spilled());
    CHECK(ReadAll(spool, 4096) == small);
  }
  CHECK(BytesUsed(dir) == used_before);
  CHECK(EntriesIn(dir) == 0);
}

TEST_CASE("a spill that fails at once (file size limit) names the spool") {
  // RLIMIT_FSIZE makes write(2) fail with EFBIG on any file system, without
  // root; SIGXFSZ is ignored meanwhile so the test process survives.
  TempDir dir;
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  struct sigaction ignore {
  }, old_action{};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(sigaction(SIGXFSZ, &ignore, &old_action) == 0);
  rlimit small = old;
  small.rlim_cur = 4096;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  Status big, after;
  {
    // The first write is the spill of the 7000 bytes held in memory.
    Spool spool({dir.path, 7000, 1 << 20, nullptr});
    REQUIRE(spool.Append(std::string(7000, 'a')).ok());
    big = spool.Append(std::string(1000, 'b'));
    after = spool.Append("c");
  }
  setrlimit(RLIMIT_FSIZE, &old);
  sigaction(SIGXFSZ, &old_action, nullptr);
  CHECK(big.code() == StatusCode::kIoError);
  CHECK_THAT(big.message(), Catch::Contains("spool.directory " + dir.path +
                                            ": cannot write spool file"));
  CHECK_THAT(big.message(), Catch::Contains("File too large"));
  CHECK(after.code() == StatusCode::kIoError);
  CHECK(EntriesIn(dir.path) == 0);
}

TEST_CASE("a fake file without a descriptor is still mappable") {
  FullDisk fs(1 << 20);
  Spool spool({"/unused", 10, 1 << 20, &fs});
  std::string data = Pattern(100000, 7);
  REQUIRE(spool.Append(data).ok());
  Result<SpoolView> view = spool.Map();
  REQUIRE(view.ok());
  CHECK(view->data() == data);
  SpoolView moved = std::move(view).value();
  CHECK(moved.data() == data);
}

TEST_CASE("ForEachSlice stops at the first error and returns it") {
  TempDir dir;
  Spool spool({dir.path, 1 << 20, 1 << 20, nullptr});
  REQUIRE(spool.Append(std::string(100, 'a')).ok());
  int calls = 0;
  Status s = spool.ForEachSlice(10, [&](std::string_view) {
    ++calls;
    return calls == 3 ? UnavailableError("stop") : Status::Ok();
  });
  CHECK(calls == 3);
  CHECK(s.message() == "stop");
  CHECK(spool.ForEachSlice(0, [](std::string_view) { return Status::Ok(); })
            .code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seal
