// The secure envelope's passphrase slot costs one PBKDF2-HMAC-SHA256 of
// 600,000 iterations (lib/envelope/key_slots.cc): the largest CPU cost of
// the milter under load (bench/README.md). This measures the envelope's
// derivation (seal::envelope::Pbkdf2Sha256, two SHA-256 block transforms
// per iteration from precomputed HMAC states) against OpenSSL's
// PKCS5_PBKDF2_HMAC, which it replaced, after checking that both give the
// same bytes (RFC 7914 section 11 vector, random passwords, salts, lengths
// and iteration counts). Prints ms per derivation and the ratio OpenSSL
// time / our time. Not a test: exits 0 unless the two disagree.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "lib/envelope/crypto.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string OpenSslPbkdf2(const std::string& password, const std::string& salt,
                          uint32_t iterations, size_t length) {
  std::string out(length, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(length),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return "";
  }
  return out;
}

std::string Ours(const std::string& password, const std::string& salt,
                 uint32_t iterations, size_t length) {
  seal::Result<std::string> r =
      seal::envelope::Pbkdf2Sha256(password, salt, iterations, length);
  return r.ok() ? *r : std::string();
}

std::string Hex(const std::string& s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

double Ms(const std::function<void()>& fn) {
  auto start = Clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

}  // namespace

int main() {
  // RFC 7914 section 11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1).
  const std::string want =
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783";
  if (Hex(OpenSslPbkdf2("passwd", "salt", 1, 64)) != want ||
      Hex(Ours("passwd", "salt", 1, 64)) != want) {
    fprintf(stderr, "pbkdf2_bench: RFC 7914 vector mismatch\n");
    return 1;
  }
  for (int round = 0; round < 200; ++round) {
    unsigned char r[220];
    RAND_bytes(r, sizeof r);
    // Passwords up to 150 bytes (longer than a block: hashed first), salts
    // of 0..63 bytes, 1..500 iterations, 1..100 bytes of output.
    const std::string password(reinterpret_cast<char*>(r) + 70, r[0] % 151);
    const std::string salt(reinterpret_cast<char*>(r) + 4, r[1] % 64);
    const uint32_t iterations =
        1 + static_cast<uint32_t>(r[2] | r[3] << 8) % 500;
    const size_t length = 1 + r[68] % 100;
    if (OpenSslPbkdf2(password, salt, iterations, length) !=
        Ours(password, salt, iterations, length)) {
      fprintf(stderr, "pbkdf2_bench: ours and OpenSSL disagree\n");
      return 1;
    }
  }
  const std::string password = "abcd-efgh-ijkm-npqr-stuv-wxyz";  // generated
  const std::string salt(16, 's');
  constexpr uint32_t kIterations = 600000;
  constexpr int kRounds = 7;
  std::vector<double> ours, openssl, ratio;
  for (int round = 0; round < kRounds; ++round) {
    double o = 0, r = 0;
    auto run_ours = [&] {
      o = Ms([&] { Ours(password, salt, kIterations, 32); });
    };
    auto run_openssl = [&] {
      r = Ms([&] { OpenSslPbkdf2(password, salt, kIterations, 32); });
    };
    if (round % 2 == 0) {
      run_ours();
      run_openssl();
    } else {
      run_openssl();
      run_ours();
    }
    ours.push_back(o);
    openssl.push_back(r);
    ratio.push_back(r / o);
  }
  std::sort(ours.begin(), ours.end());
  std::sort(openssl.begin(), openssl.end());
  std::sort(ratio.begin(), ratio.end());
  printf("PBKDF2-HMAC-SHA256, %u iterations, %d rounds, ms (best):\n",
         kIterations, kRounds);
  printf("  OpenSSL PKCS5_PBKDF2_HMAC     %7.1f (%7.1f)\n",
         openssl[kRounds / 2], openssl.front());
  printf(
      "  seal::envelope::Pbkdf2Sha256  %7.1f (%7.1f)  ratio %.2f "
      "(%.2f..%.2f)\n",
      ours[kRounds / 2], ours.front(), ratio[kRounds / 2], ratio.front(),
      ratio.back());
  return 0;
}
