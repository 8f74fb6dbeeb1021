// portal/web.h: strict form parsing against malformed and hostile bodies,
// cookies, the client address behind proxies, the security headers.
#include "portal/web.h"

#include <catch2/catch.hpp>
#include <string>

namespace seal::portal {
namespace {

TEST_CASE("web: forms") {
  Result<FormFields> f =
      ParseForm("email=a%40example.org&password=p+w%26d&csrf=x_Y-1");
  REQUIRE(f.ok());
  CHECK(f->at("email") == "a@example.org");
  CHECK(f->at("password") == "p w&d");
  CHECK(f->at("csrf") == "x_Y-1");
  Result<FormFields> empty = ParseForm("");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  Result<FormFields> flag = ParseForm("remember&&x=");
  REQUIRE(flag.ok());
  CHECK(flag->at("remember").empty());
  CHECK(flag->at("x").empty());
  Result<FormFields> utf8 = ParseForm("name=J%C3%BCrgen");
  REQUIRE(utf8.ok());
  CHECK(utf8->at("name") == "Jürgen");

  struct Bad {
    std::string body;
    StatusCode code;
  };
  const std::vector<Bad> bad = {
      {"a=%4", StatusCode::kInvalidArgument},
      {"a=%", StatusCode::kInvalidArgument},
      {"a=%zz", StatusCode::kInvalidArgument},
      {"a=1&a=2", StatusCode::kInvalidArgument},
      {"=value", StatusCode::kInvalidArgument},
      {"a%20b=1", StatusCode::kInvalidArgument},
      {"a=%C3%28", StatusCode::kInvalidArgument},
      {"a=%ED%A0%80", StatusCode::kInvalidArgument},  // a surrogate
      {"a=" + std::string(70000, 'x'), StatusCode::kResourceExhausted},
      {std::string(100, 'n') + "=1", StatusCode::kResourceExhausted},
      {std::string(300000, 'x'), StatusCode::kResourceExhausted},
  };
  for (const Bad& b : bad) {
    INFO(b.body.substr(0, 30));
    Result<FormFields> r = ParseForm(b.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == b.code);
    CHECK_THAT(r.status().message(), !Catch::Contains("xxxxxxxx"));
  }
  std::string many;
  for (int i = 0; i < 40; ++i) many += "f" + std::to_string(i) + "=1&";
  CHECK(ParseForm(many).status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("web: cookies") {
  auto c = ParseCookies("sid=abc; pre=\"q\";bad name=1; =x; sid=second; e=");
  CHECK(c.at("sid") == "abc");
  CHECK(c.at("pre") == "q");
  CHECK(c.at("e").empty());
  CHECK(c.count("bad name") == 0);
  CHECK(ParseCookies("").empty());
  CHECK(ParseCookies(";;;").empty());

  Result<std::string> set = SetCookie("sid", "AbC-_9", {3600, true});
  REQUIRE(set.ok());
  CHECK(*set ==
        "sid=AbC-_9; Path=/; HttpOnly; SameSite=Lax; Secure; "
        "Max-Age=3600");
  Result<std::string> session = SetCookie("sid", "v", {-1, false});
  REQUIRE(session.ok());
  CHECK(*session == "sid=v; Path=/; HttpOnly; SameSite=Lax");
  CHECK_FALSE(SetCookie("sid", "a;b", {}).ok());
  CHECK_FALSE(SetCookie("sid", "a\r\nSet-Cookie: x=y", {}).ok());
  CHECK_FALSE(SetCookie("", "v", {}).ok());
  CHECK_FALSE(SetCookie("s d", "v", {}).ok());
}

TEST_CASE("web: the client address behind trusted proxies") {
  Result<gateway::Cidr> proxy = gateway::ParseCidr("127.0.0.1");
  Result<gateway::Cidr> lan = gateway::ParseCidr("10.0.0.0/8");
  REQUIRE(proxy.ok());
  REQUIRE(lan.ok());
  const std::vector<gateway::Cidr> trusted = {*proxy, *lan};
  // No proxies trusted: the peer, whatever the header says.
  CHECK(ClientAddress("198.51.100.1", "203.0.113.9", {}) == "198.51.100.1");
  // The peer is not a proxy: the header is the client's own invention.
  CHECK(ClientAddress("198.51.100.1", "203.0.113.9", trusted) ==
        "198.51.100.1");
  CHECK(ClientAddress("127.0.0.1", "203.0.113.9", trusted) == "203.0.113.9");
  // A client that sends its own X-Forwarded-For: the proxies append, so
  // the rightmost untrusted hop counts.
  CHECK(ClientAddress("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.2.3", trusted) ==
        "203.0.113.9");
  CHECK(ClientAddress("127.0.0.1", "2001:db8::5", trusted) == "2001:db8::5");
  // Garbage ends the walk at the last trusted hop.
  CHECK(ClientAddress("127.0.0.1", "<script>, 10.1.2.3", trusted) ==
        "10.1.2.3");
  CHECK(ClientAddress("127.0.0.1", "", trusted) == "127.0.0.1");
}

TEST_CASE("web: repeated request headers are one list") {
  std::map<std::string, std::string> h;
  AddRequestHeader(h, "Cookie", "a=1");
  AddRequestHeader(h, "cookie", "b=2");
  CHECK(h["cookie"] == "a=1; b=2");
  // A proxy that adds its own X-Forwarded-For line after the client's
  // forged one: the proxy's hop stays the rightmost.
  AddRequestHeader(h, "X-Forwarded-For", "9.9.9.9");
  AddRequestHeader(h, "X-Forwarded-For", "203.0.113.9");
  CHECK(h["x-forwarded-for"] == "9.9.9.9, 203.0.113.9");
  Result<gateway::Cidr> proxy = gateway::ParseCidr("127.0.0.1");
  REQUIRE(proxy.ok());
  CHECK(ClientAddress("127.0.0.1", h["x-forwarded-for"], {*proxy}) ==
        "203.0.113.9");
  AddRequestHeader(h, "Host", "x");
  CHECK(h.count("host") == 1);
}

TEST_CASE("web: security headers") {
  auto find = [](const auto& h, const std::string& name) {
    for (const auto& [n, v] : h) {
      if (n == name) return v;
    }
    return std::string("(none)");
  };
  auto plain = SecurityHeaders(false);
  CHECK_THAT(find(plain, "Content-Security-Policy"),
             Catch::Contains("frame-ancestors 'none'"));
  CHECK_THAT(find(plain, "Content-Security-Policy"),
             !Catch::Contains("unsafe-inline"));
  // release.js calls the API of its own origin, and nothing else.
  CHECK_THAT(find(plain, "Content-Security-Policy"),
             Catch::Contains("connect-src 'self'"));
  CHECK(find(plain, "Strict-Transport-Security") == "(none)");
  CHECK(find(plain, "Cross-Origin-Opener-Policy") == "same-origin");
  CHECK(find(plain, "Cache-Control") == "no-store");
  auto tls = SecurityHeaders(true, true);
  CHECK_THAT(find(tls, "Strict-Transport-Security"),
             Catch::Contains("max-age="));
  CHECK(find(tls, "Cross-Origin-Opener-Policy") == "unsafe-none");
}

}  // namespace
}  // namespace seal::portal
