// Base64 encoder/decoder tests (lib/envelope/base64.h): RFC 4648 vectors,
// streaming in random slices equals one-shot encoding, line wrapping, and
// the decoder's error cases.
#include "lib/envelope/base64.h"

#include <catch2/catch.hpp>
#include <random>

namespace seal::envelope {
namespace {

TEST_CASE("Base64 RFC 4648 test vectors", "[base64]") {
  struct {
    const char* plain;
    const char* encoded;
  } table[] = {{"", ""},
               {"f", "Zg=="},
               {"fo", "Zm8="},
               {"foo", "Zm9v"},
               {"foob", "Zm9vYg=="},
               {"fooba", "Zm9vYmE="},
               {"foobar", "Zm9vYmFy"}};
  for (const auto& row : table) {
    CHECK(Base64Encode(row.plain) == row.encoded);
    auto back = Base64Decode(row.encoded);
    REQUIRE(back.ok());
    CHECK(*back == row.plain);
  }
}

TEST_CASE("Base64 decoder skips whitespace and rejects junk", "[base64]") {
  auto spaced = Base64Decode(" Zm9v\r\nYmFy\n");
  REQUIRE(spaced.ok());
  CHECK(*spaced == "foobar");
  for (const char* bad :
       {"Zm9v!", "Zg=", "Z===", "Zg==Zg==", "Zm9vY", "Zm=v", "Zm9v-_"}) {
    INFO(bad);
    auto r = Base64Decode(bad);
    CHECK(!r.ok());
    CHECK(r.status().code() == StatusCode::kParseError);
  }
}

TEST_CASE("Base64Writer streams like the one-shot encoder", "[base64]") {
  std::mt19937 rng(7);
  for (size_t size : {0u, 1u, 2u, 3u, 56u, 57u, 58u, 1000u, 100000u}) {
    std::string data(size, '\0');
    for (char& c : data) c = static_cast<char>(rng() & 0xff);
    std::string out;
    Sink sink = StringSink(&out);
    Base64Writer writer(sink, 76, "\n");
    size_t pos = 0;
    while (pos < data.size()) {
      size_t n = std::min<size_t>(rng() % 200, data.size() - pos);
      REQUIRE(writer.Write(std::string_view(data).substr(pos, n)).ok());
      pos += n;
    }
    REQUIRE(writer.Finish().ok());
    std::string expected = Base64Encode(data);
    std::string unwrapped;
    size_t line_start = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == '\n') {
        CHECK(i - line_start <= 76);
        line_start = i + 1;
      } else {
        unwrapped.push_back(out[i]);
      }
    }
    CHECK(unwrapped == expected);
    CHECK((out.empty() || out.back() == '\n'));
    auto decoded = Base64Decode(out);
    REQUIRE(decoded.ok());
    CHECK(*decoded == data);
  }
}

TEST_CASE("Base64Writer passes sink errors on", "[base64]") {
  Sink failing = [](std::string_view) { return IoError("disk full"); };
  Base64Writer writer(failing, 76, "\r\n");
  std::string big(200000, 'x');
  Status s = writer.Write(big);
  if (s.ok()) s = writer.Finish();
  CHECK(s.code() == StatusCode::kIoError);
}

}  // namespace
}  // namespace seal::envelope
