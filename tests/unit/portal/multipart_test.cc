// sealportal's strict multipart/form-data parser (portal/multipart.h) and
// the bounded in-memory store of JS-free uploads (portal/pending_store.h):
// well-formed forms as browsers send them, and malformed, oversized and
// hostile bodies, each refused with an error and never a crash or a guess.
#include <catch2/catch.hpp>
#include <string>

#include "portal/multipart.h"
#include "portal/pending_store.h"

namespace seal::portal {
namespace {

constexpr std::string_view kType =
    "multipart/form-data; boundary=----sealtestB";

std::string Part(std::string_view name, std::string_view value) {
  return "------sealtestB\r\nContent-Disposition: form-data; name=\"" +
         std::string(name) + "\"\r\n\r\n" + std::string(value) + "\r\n";
}

std::string Body(
    std::initializer_list<std::pair<std::string, std::string>> fields) {
  std::string b;
  for (const auto& [k, v] : fields) b += Part(k, v);
  return b + "------sealtestB--\r\n";
}

TEST_CASE("Multipart: a form as the envelope page posts it", "[multipart]") {
  std::string ct(1000, 'A');
  ct += "\r\n\r\n--not-a-boundary\r\n";  // bytes inside a value stay
  auto f = ParseMultipartForm(
      kType, Body({{"envelope", "{\"format\":\"x\"}"},
                   {"ciphertext", ct},
                   {"envelope_id", "0123456789abcdef0123456789abcdef"}}));
  REQUIRE(f.ok());
  CHECK(f->size() == 3);
  CHECK(f->at("envelope") == "{\"format\":\"x\"}");
  CHECK(f->at("ciphertext") == ct);
  CHECK(f->at("envelope_id") == "0123456789abcdef0123456789abcdef");
  // Quoted boundary, other parameters, case of the type.
  auto q = ParseMultipartForm(
      "Multipart/Form-Data; charset=utf-8; boundary=\"----sealtestB\"",
      Body({{"a", "1"}}));
  REQUIRE(q.ok());
  CHECK(q->at("a") == "1");
  // An empty value is a value.
  auto e = ParseMultipartForm(kType, Body({{"a", ""}}));
  REQUIRE(e.ok());
  CHECK(e->at("a").empty());
}

TEST_CASE("Multipart: malformed and hostile bodies are refused",
          "[multipart]") {
  const std::string good = Body({{"a", "1"}});
  struct Case {
    const char* what;
    std::string type;
    std::string body;
  };
  const Case cases[] = {
      {"not multipart", "application/x-www-form-urlencoded", good},
      {"no boundary", "multipart/form-data", good},
      {"empty boundary", "multipart/form-data; boundary=\"\"", good},
      {"unterminated quote", "multipart/form-data; boundary=\"abc", good},
      {"no closing delimiter", std::string(kType), Part("a", "1")},
      {"truncated in a part", std::string(kType),
       good.substr(0, good.size() / 2)},
      {"empty body", std::string(kType), ""},
      {"other boundary", std::string(kType),
       "--other\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
       "--other--\r\n"},
      {"repeated name", std::string(kType), Body({{"a", "1"}, {"a", "2"}})},
      {"no disposition", std::string(kType),
       "------sealtestB\r\nContent-Type: text/plain\r\n\r\n1\r\n"
       "------sealtestB--\r\n"},
      {"not form-data", std::string(kType),
       "------sealtestB\r\nContent-Disposition: attachment; name=\"a\"\r\n"
       "\r\n1\r\n------sealtestB--\r\n"},
      {"no name", std::string(kType),
       "------sealtestB\r\nContent-Disposition: form-data\r\n\r\n1\r\n"
       "------sealtestB--\r\n"},
      {"headers without end", std::string(kType),
       "------sealtestB\r\nContent-Disposition: form-data; name=\"a\"\r\n"
       "1\r\n------sealtestB--\r\n"},
      {"huge part header", std::string(kType),
       "------sealtestB\r\nContent-Disposition: form-data; name=\"a\"\r\n"
       "X-Pad: " +
           std::string(100000, 'x') + "\r\n\r\n1\r\n------sealtestB--\r\n"},
      {"long name", std::string(kType), Body({{std::string(500, 'n'), "1"}})},
      {"too many parts", std::string(kType),
       Body({{"a", "1"},
             {"b", "1"},
             {"c", "1"},
             {"d", "1"},
             {"e", "1"},
             {"f", "1"},
             {"g", "1"},
             {"h", "1"},
             {"i", "1"}})},
      {"NUL and junk", std::string(kType),
       std::string("\0\0\xff\xfe--\r\n\r\n", 10)},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    auto f = ParseMultipartForm(c.type, c.body);
    CHECK(!f.ok());
    if (!f.ok()) CHECK(!f.status().message().empty());
  }
  // A value is never echoed in an error (it may be ciphertext or a
  // password).
  auto r =
      ParseMultipartForm(kType, Body({{"a", "SECRET-1"}, {"a", "SECRET-2"}}));
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("SECRET") == std::string::npos);
}

TEST_CASE("Pending uploads: bounded, expiring, unguessable", "[pending]") {
  PendingStore store(/*max_entry=*/1000, /*max_total=*/2500, /*max_count=*/5,
                     /*ttl_seconds=*/900);
  auto upload = [](size_t n) {
    PendingUpload u;
    u.envelope_id = "0123456789abcdef0123456789abcdef";
    u.metadata_json = "{}";
    u.ciphertext = std::string(n, 'c');
    return u;
  };
  auto a = store.Put(upload(500), 100);
  REQUIRE(a.ok());
  CHECK(a->size() >= 40);  // 256 random bits, base64url
  auto b = store.Put(upload(500), 101);
  REQUIRE(b.ok());
  CHECK(*a != *b);
  auto got = store.Get(*a, 200);
  REQUIRE(got.has_value());
  CHECK(got->ciphertext.size() == 500);
  // One upload over max_entry is refused outright.
  auto big = store.Put(upload(5000), 102);
  REQUIRE(!big.ok());
  CHECK(big.status().code() == StatusCode::kResourceExhausted);
  // Over the total, the oldest go first; the total stays bounded.
  auto c = store.Put(upload(900), 103);
  REQUIRE(c.ok());
  auto d = store.Put(upload(900), 104);
  REQUIRE(d.ok());
  CHECK(store.total_bytes() <= 2500);
  CHECK(!store.Get(*a, 105).has_value());
  CHECK(store.Get(*d, 105).has_value());
  // Unknown, malformed and expired ids.
  CHECK(!store.Get("nope", 105).has_value());
  CHECK(!store.Get(std::string(10000, 'x'), 105).has_value());
  CHECK(!store.Get(*d, 104 + 901).has_value());
  store.Purge(100000);
  CHECK(store.size() == 0);
  CHECK(store.total_bytes() == 0);
}

}  // namespace
}  // namespace seal::portal
