// portal/key_release.h: the browser gets back exactly the content key; the
// wrap is bound to the envelope and the browser key; bad points refused.
#include "portal/key_release.h"

#include <catch2/catch.hpp>
#include <string>

namespace seal::portal {
namespace {

const std::string kKey(32, '\x5a');
const std::string kId = "0123456789abcdef0123456789abcdef";

TEST_CASE("key release: the browser unwraps the content key") {
  auto browser = NewBrowserKeyPair();
  REQUIRE(browser.ok());
  Result<WrappedRelease> w = WrapForBrowser(browser->second, kId, kKey);
  REQUIRE(w.ok());
  CHECK(w->portal_public.size() == kP256PointBytes);
  CHECK(w->iv.size() == 12);
  CHECK(w->wrapped.size() == 48);
  CHECK(w->wrapped.find(kKey) == std::string::npos);
  Result<std::string> k =
      UnwrapAsBrowser(browser->first, browser->second, kId, *w);
  REQUIRE(k.ok());
  CHECK(*k == kKey);
  // Each release uses a fresh portal key.
  Result<WrappedRelease> w2 = WrapForBrowser(browser->second, kId, kKey);
  REQUIRE(w2.ok());
  CHECK(w2->portal_public != w->portal_public);
}

TEST_CASE("key release: bound to the envelope and to the browser key") {
  auto browser = NewBrowserKeyPair();
  auto thief = NewBrowserKeyPair();
  REQUIRE(browser.ok());
  REQUIRE(thief.ok());
  Result<WrappedRelease> w = WrapForBrowser(browser->second, kId, kKey);
  REQUIRE(w.ok());
  CHECK_FALSE(UnwrapAsBrowser(thief->first, thief->second, kId, *w).ok());
  CHECK_FALSE(UnwrapAsBrowser(browser->first, browser->second,
                              "ffffffffffffffffffffffffffffffff", *w)
                  .ok());
  WrappedRelease tampered = *w;
  tampered.wrapped[5] ^= 1;
  CHECK_FALSE(
      UnwrapAsBrowser(browser->first, browser->second, kId, tampered).ok());
  WrappedRelease swapped = *w;
  swapped.portal_public = thief->second;
  CHECK_FALSE(
      UnwrapAsBrowser(browser->first, browser->second, kId, swapped).ok());
}

TEST_CASE("key release: malformed browser keys and arguments") {
  auto browser = NewBrowserKeyPair();
  REQUIRE(browser.ok());
  std::string off_curve = browser->second;
  off_curve[64] ^= 1;  // y no longer matches x
  std::string compressed = browser->second.substr(0, 33);
  compressed[0] = '\x02';
  std::string zeros(65, '\0');
  zeros[0] = '\x04';
  for (const std::string& bad :
       {off_curve, compressed, zeros, std::string(), std::string(65, '\x04'),
        std::string(200, 'x')}) {
    Result<WrappedRelease> w = WrapForBrowser(bad, kId, kKey);
    CHECK(w.status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(WrapForBrowser(browser->second, kId, "short").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(WrapForBrowser(browser->second, "", kKey).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seal::portal
