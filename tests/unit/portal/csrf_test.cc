// portal/csrf.h: tokens bound to purpose and session, base64url strictness,
// random tokens.
#include "portal/csrf.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

namespace seal::portal {
namespace {

TEST_CASE("csrf: a token is good only for its purpose and binding") {
  REQUIRE_FALSE(CsrfGuard::Create("short").ok());
  Result<CsrfGuard> g = CsrfGuard::Create(std::string(32, 's'));
  REQUIRE(g.ok());
  std::string t = g->Token("reply", "session-1");
  CHECK(g->Check(t, "reply", "session-1"));
  CHECK_FALSE(g->Check(t, "revoke", "session-1"));
  CHECK_FALSE(g->Check(t, "reply", "session-2"));
  CHECK_FALSE(g->Check("", "reply", "session-1"));
  CHECK_FALSE(g->Check(t, "reply", ""));
  CHECK_FALSE(g->Check(t.substr(1), "reply", "session-1"));
  std::string flipped = t;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  CHECK_FALSE(g->Check(flipped, "reply", "session-1"));
  // '|' cannot be used to move text between purpose and binding.
  CHECK_FALSE(g->Check(g->Token("a|b", "c"), "a|b", "c"));
  // Another deployment's secret: other tokens.
  Result<CsrfGuard> other = CsrfGuard::Create(std::string(32, 'o'));
  REQUIRE(other.ok());
  CHECK_FALSE(other->Check(t, "reply", "session-1"));
  // Two guards with one secret (two portal hosts) agree.
  Result<CsrfGuard> twin = CsrfGuard::Create(std::string(32, 's'));
  REQUIRE(twin.ok());
  CHECK(twin->Check(t, "reply", "session-1"));
}

TEST_CASE("csrf: base64url round trips and refuses other text") {
  for (size_t n = 0; n < 40; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes += static_cast<char>(i * 37 + n);
    std::string enc = Base64Url(bytes);
    CHECK(enc.find_first_of("+/=") == std::string::npos);
    Result<std::string> dec = FromBase64Url(enc);
    REQUIRE(dec.ok());
    CHECK(*dec == bytes);
  }
  CHECK_FALSE(FromBase64Url("ab+c").ok());
  CHECK_FALSE(FromBase64Url("abc=").ok());
  CHECK_FALSE(FromBase64Url("a").ok());
  CHECK_FALSE(FromBase64Url("ab\ncd").ok());
  CHECK_FALSE(FromBase64Url("AB").ok());  // non-zero unused bits
  CHECK(FromBase64Url("AA").ok());
}

TEST_CASE("csrf: random tokens are long and distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string t = RandomToken();
    CHECK(t.size() == 43);  // 32 bytes
    seen.insert(t);
  }
  CHECK(seen.size() == 200);
  CHECK(RandomToken(1).size() >= 22);  // never under 16 bytes
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace seal::portal
