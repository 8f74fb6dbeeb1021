// portal/passwords.h: argon2id round trips, wrong and malformed input,
// the new-password rules, rehash detection.
#include "portal/passwords.h"

#include <catch2/catch.hpp>
#include <string>

namespace seal::portal {
namespace {

TEST_CASE("passwords: hash and verify") {
  const HashCost cost = MinimumCost();
  Result<std::string> h = HashPassword("correct horse battery", cost);
  REQUIRE(h.ok());
  CHECK_THAT(*h, Catch::StartsWith("$argon2id$v=19$"));
  CHECK(VerifyPassword(*h, "correct horse battery"));
  CHECK_FALSE(VerifyPassword(*h, "correct horse batterY"));
  CHECK_FALSE(VerifyPassword(*h, ""));
  // The same password hashes differently each time (random salt).
  Result<std::string> again = HashPassword("correct horse battery", cost);
  REQUIRE(again.ok());
  CHECK(*again != *h);
  // Non-ASCII passwords are bytes like any other.
  Result<std::string> u = HashPassword("pässwörd-日本語-123", cost);
  REQUIRE(u.ok());
  CHECK(VerifyPassword(*u, "pässwörd-日本語-123"));
  CHECK_FALSE(VerifyPassword(*u, "passwort-日本語-123"));
}

TEST_CASE("passwords: malformed or foreign hashes never verify") {
  const std::string pw = "correct horse battery";
  for (const std::string& bad :
       {std::string(), std::string("$argon2id$"),
        std::string("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"),
        std::string("$2y$10$abcdefghijklmnopqrstuu5Xx"), std::string(4096, 'a'),
        std::string("$argon2id$v=19$m=99999999999,t=1,p=1$AAAA$AAAA"),
        std::string("plain text password")}) {
    INFO(bad.substr(0, 40));
    CHECK_FALSE(VerifyPassword(bad, pw));
    CHECK(NeedsRehash(bad, MinimumCost()));
  }
  // A password over the cap is refused, not truncated.
  CHECK(HashPassword(std::string(kMaxPasswordBytes + 1, 'x'), MinimumCost())
            .status()
            .code() == StatusCode::kInvalidArgument);
}

TEST_CASE("passwords: rehash when the cost went up") {
  Result<std::string> weak =
      HashPassword("correct horse battery", MinimumCost());
  REQUIRE(weak.ok());
  CHECK_FALSE(NeedsRehash(*weak, MinimumCost()));
  HashCost more = MinimumCost();
  more.passes += 1;
  CHECK(NeedsRehash(*weak, more));
}

TEST_CASE("passwords: the rules for a new password") {
  CHECK(CheckNewPassword("long enough pass", "a@example.org").ok());
  CHECK(CheckNewPassword("short", "a@example.org").code() ==
        StatusCode::kInvalidArgument);
  CHECK(CheckNewPassword(std::string(kMaxPasswordBytes + 1, 'x'), "").code() ==
        StatusCode::kInvalidArgument);
  CHECK(CheckNewPassword("with a\nnewline inside", "").code() ==
        StatusCode::kInvalidArgument);
  CHECK(CheckNewPassword("with a \x7f delete char", "").code() ==
        StatusCode::kInvalidArgument);
  CHECK(CheckNewPassword("bad utf8 \xc3\x28 here!", "").code() ==
        StatusCode::kInvalidArgument);
  CHECK(CheckNewPassword("overlong \xc0\xaf slash!", "").code() ==
        StatusCode::kInvalidArgument);
  CHECK(CheckNewPassword("Alice@Example.org", "alice@example.org").code() ==
        StatusCode::kInvalidArgument);
  Status s = CheckNewPassword("tiny", "");
  CHECK_THAT(s.message(), !Catch::Contains("tiny"));  // never echoed
}

TEST_CASE("passwords: the dummy hash verifies nothing and is stable") {
  const std::string& d = DummyHash(MinimumCost());
  CHECK_THAT(d, Catch::StartsWith("$argon2id$"));
  CHECK(&d == &DummyHash(MinimumCost()));
  CHECK_FALSE(VerifyPassword(d, "correct horse battery"));
}

}  // namespace
}  // namespace seal::portal
