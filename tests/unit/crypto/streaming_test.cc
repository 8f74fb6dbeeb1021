// Large messages stream: a 20 MB entity is encrypted, signed, signed and
// encrypted, verified and decrypted while the process's peak resident
// memory grows by much less than the message (or, where OpenSSL's CMS
// parser must hold the ciphertext, by a small multiple of it, never 10x).
// Runs as its own executable so other tests' allocations do not blur the
// peak. Peak RSS is reset through /proc/self/clear_refs (Linux >= 4.0).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "lib/crypto/base64.h"
#include "lib/crypto/bio_adapters.h"
#include "lib/crypto/decrypt.h"
#include "lib/crypto/encrypt.h"
#include "lib/crypto/sign.h"
#include "lib/crypto/verify.h"
#include "tests/unit/crypto/test_pki.h"
#include "tests/unit/sanitizers.h"

namespace seal::crypto {
namespace {

using testing::SampleEntity;
using testing::TestPki;

constexpr size_t kMessage = 20u << 20;

// kB from /proc/self/status, or -1.
long StatusKb(const char* field) {  // NOLINT(runtime/int)
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      return std::stol(line.substr(std::string(field).size()));
    }
  }
  return -1;
}

bool ResetPeak() {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0) return false;
  bool ok = write(fd, "5", 1) == 1;
  close(fd);
  return ok;
}

// Runs `fn` and returns the growth of peak RSS over the RSS before, bytes.
template <typename F>
double PeakGrowth(F&& fn) {
  if (!ResetPeak()) return -1;
  long before = StatusKb("VmRSS:");  // NOLINT(runtime/int)
  fn();
  long peak = StatusKb("VmHWM:");  // NOLINT(runtime/int)
  return static_cast<double>(peak - before) * 1024.0;
}

void CheckBound(const char* what, double growth, double bound) {
  if (growth < 0) {
    WARN("cannot reset peak RSS here; " << what << " not measured");
    return;
  }
#ifdef SEAL_ASAN
  // ASan's allocator keeps freed memory in quarantine: only catch gross
  // copies there.
  bound = 10.0 * kMessage;
#endif
  INFO(what << ": peak RSS grew by " << growth / 1e6 << " MB (bound "
            << bound / 1e6 << " MB)");
  CHECK(growth < bound);
  std::printf("%-28s peak RSS growth %7.1f MB for a %zu MB message\n", what,
              growth / 1e6, kMessage >> 20);
}

// A sink that drops bytes but records how they arrived.
struct CountingSink {
  uint64_t bytes = 0;
  uint64_t calls = 0;
  ByteSink sink() {
    return [this](std::string_view s) {
      bytes += s.size();
      ++calls;
      return Status::Ok();
    };
  }
};

TEST_CASE("a 20 MB message streams through every operation", "[streaming]") {
  const auto& pki = TestPki();
  const std::string entity = SampleEntity(kMessage);
  const Signer signer{pki.alice.pair(), {pki.intermediate.cert}};

  // Outputs kept for the inbound direction, produced outside measurement.
  std::string encrypted;
  encrypted.reserve(entity.size() * 14 / 10);
  REQUIRE(
      EncryptEntity(entity, {{pki.bob.cert}}, {}, StringSink(&encrypted)).ok());
  std::string signed_msg;
  signed_msg.reserve(entity.size() + 10000);
  REQUIRE(SignEntity(entity, signer, {}, StringSink(&signed_msg)).ok());

  SECTION("encrypt") {
    CountingSink out;
    double g = PeakGrowth([&] {
      REQUIRE(EncryptEntity(entity, {{pki.bob.cert}}, {}, out.sink()).ok());
    });
    CheckBound("encrypt (CBC)", g, kMessage / 4.0);
    CHECK(out.bytes > entity.size() * 4 / 3);
    CHECK(out.bytes / out.calls > 16 * 1024);  // slices, not lines
  }
  SECTION("encrypt GCM") {
    CountingSink out;
    EncryptOptions options;
    options.cipher = ContentCipher::kAes256Gcm;
    double g = PeakGrowth([&] {
      REQUIRE(
          EncryptEntity(entity, {{pki.carol.cert}}, options, out.sink()).ok());
    });
    CheckBound("encrypt (GCM, EC)", g, kMessage / 4.0);
  }
  SECTION("sign") {
    CountingSink out;
    double g = PeakGrowth(
        [&] { REQUIRE(SignEntity(entity, signer, {}, out.sink()).ok()); });
    CheckBound("sign", g, kMessage / 4.0);
  }
  SECTION("sign and encrypt") {
    CountingSink out;
    double g = PeakGrowth([&] {
      REQUIRE(SignAndEncryptEntity(entity, signer, {}, {{pki.bob.cert}}, {},
                                   out.sink())
                  .ok());
    });
    CheckBound("sign+encrypt", g, kMessage / 4.0);
  }
  SECTION("verify") {
    Result<ParsedEntity> p = SplitEntity(signed_msg);
    REQUIRE(p.ok());
    double g = PeakGrowth([&] {
      Result<VerifyResult> r =
          VerifyEntity(p->ref(), *pki.trust, VerifyOptions{});
      REQUIRE(r.ok());
      CHECK(r->status == SignatureStatus::kValid);
    });
    CheckBound("verify (detached)", g, kMessage / 4.0);
  }
  SECTION("decrypt") {
    Result<ParsedEntity> p = SplitEntity(encrypted);
    REQUIRE(p.ok());
    CountingSink out;
    double g = PeakGrowth([&] {
      Result<DecryptResult> r =
          DecryptEntity(p->ref(), {pki.bob.pair()}, out.sink());
      REQUIRE(r.ok());
    });
    CHECK(out.bytes == entity.size());
    // Only the CMS skeleton goes to OpenSSL; the ciphertext streams.
    CheckBound("decrypt", g, kMessage / 4.0);
  }
  SECTION("verify opaque signed-data") {
    // Made with OpenSSL's streaming signer, as another agent would.
    BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
    CmsPtr cms(CMS_sign(pki.bob.cert.get(), pki.bob.key.get(), nullptr,
                        in.get(), CMS_BINARY | CMS_STREAM));
    REQUIRE(cms);
    std::string der;
    Result<SinkBio> sink = SinkBio::Create(StringSink(&der));
    REQUIRE(sink.ok());
    REQUIRE(i2d_CMS_bio_stream(sink->bio(), cms.get(), in.get(),
                               CMS_BINARY | CMS_STREAM) == 1);
    cms.reset();
    in.reset();
    std::string opaque =
        "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        Base64EncodeLines(der);
    der.clear();
    der.shrink_to_fit();
    Result<ParsedEntity> p = SplitEntity(opaque);
    REQUIRE(p.ok());
    CountingSink out;
    ByteSink content = out.sink();
    double g = PeakGrowth([&] {
      Result<VerifyResult> r =
          VerifyEntity(p->ref(), *pki.trust, VerifyOptions{}, &content);
      REQUIRE(r.ok());
      INFO(r->reason);
      CHECK(r->status == SignatureStatus::kValid);
    });
    CHECK(out.bytes == entity.size());
    CheckBound("verify (opaque)", g, kMessage / 4.0);
  }
}

}  // namespace
}  // namespace seal::crypto
