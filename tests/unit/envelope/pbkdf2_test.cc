// PBKDF2-HMAC-SHA256 (lib/envelope/crypto.h Pbkdf2Sha256): sealmilter's own
// iteration loop must give exactly OpenSSL's PKCS5_PBKDF2_HMAC bytes, for
// every password length around the HMAC block size (hashed keys above 64
// bytes), empty passwords and salts, output lengths that end inside a
// block, and the published RFC 7914 vectors; bad parameters are refused.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <string>

#include "lib/envelope/crypto.h"

namespace seal::envelope {
namespace {

std::string Reference(const std::string& password, const std::string& salt,
                      uint32_t iterations, size_t length) {
  std::string out(length, '\0');
  REQUIRE(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                            reinterpret_cast<const unsigned char*>(salt.data()),
                            static_cast<int>(salt.size()),
                            static_cast<int>(iterations), EVP_sha256(),
                            static_cast<int>(length),
                            reinterpret_cast<unsigned char*>(out.data())) == 1);
  return out;
}

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

TEST_CASE("PBKDF2: RFC 7914 vector", "[pbkdf2]") {
  auto one = Pbkdf2Sha256("passwd", "salt", 1, 64);
  REQUIRE(one.ok());
  CHECK(Hex(*one) ==
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
}

TEST_CASE("PBKDF2: same bytes as OpenSSL", "[pbkdf2]") {
  for (size_t plen : {0u, 1u, 31u, 32u, 55u, 63u, 64u, 65u, 100u, 200u}) {
    for (size_t slen : {0u, 1u, 16u, 64u, 100u}) {
      Result<std::string> password =
          plen == 0 ? Result<std::string>(std::string()) : RandomBytes(plen);
      Result<std::string> salt =
          slen == 0 ? Result<std::string>(std::string()) : RandomBytes(slen);
      REQUIRE(password.ok());
      REQUIRE(salt.ok());
      for (uint32_t iterations : {1u, 2u, 3u, 1000u}) {
        for (size_t length : {1u, 16u, 32u, 33u, 64u, 97u}) {
          auto got = Pbkdf2Sha256(*password, *salt, iterations, length);
          REQUIRE(got.ok());
          INFO("password " << plen << " salt " << slen << " iterations "
                           << iterations << " length " << length);
          CHECK(Hex(*got) ==
                Hex(Reference(*password, *salt, iterations, length)));
        }
      }
    }
  }
  // The envelope's own parameters once (600,000 iterations).
  auto got =
      Pbkdf2Sha256("k7m2x9qp3hfdw8ra6tncejv4", "0123456789abcdef", 600000, 32);
  REQUIRE(got.ok());
  CHECK(*got ==
        Reference("k7m2x9qp3hfdw8ra6tncejv4", "0123456789abcdef", 600000, 32));
}

TEST_CASE("PBKDF2: parameters out of range are refused", "[pbkdf2]") {
  CHECK(!Pbkdf2Sha256("p", "s", 0, 32).ok());
  CHECK(!Pbkdf2Sha256("p", "s", 1, 1025).ok());
}

}  // namespace
}  // namespace seal::envelope
