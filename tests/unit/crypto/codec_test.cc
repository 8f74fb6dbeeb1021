// Tables for the byte-level pieces of the S/MIME engine: the base64 line
// encoder and streaming decoder, CRLF canonicalisation, ByteSource.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "lib/crypto/base64.h"
#include "lib/crypto/byte_io.h"
#include "lib/crypto/canonical.h"

namespace seal::crypto {
namespace {

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

TEST_CASE("base64 encoder: lines of 76 with CRLF, any write pattern",
          "[base64]") {
  for (size_t n : std::vector<size_t>{0, 1, 2, 3, 56, 57, 58, 113, 114, 115,
                                      1000, 65536, 200001}) {
    std::string data = Random(n, static_cast<uint32_t>(n));
    for (size_t step :
         {size_t{1}, size_t{7}, size_t{57}, size_t{4096}, n + 1}) {
      if (step == 0) continue;
      std::string out;
      size_t calls = 0;
      Base64LineEncoder enc(
          [&](std::string_view s) {
            ++calls;
            out.append(s);
            return Status::Ok();
          },
          4096);
      for (size_t i = 0; i < n; i += step) {
        REQUIRE(enc.Write(std::string_view(data).substr(i, step)).ok());
      }
      REQUIRE(enc.Finish().ok());
      INFO("n=" << n << " step=" << step);
      // Lines: 76 characters, the last may be shorter; all end in CRLF.
      size_t pos = 0;
      while (pos < out.size()) {
        size_t eol = out.find("\r\n", pos);
        REQUIRE(eol != std::string::npos);
        if (eol + 2 < out.size()) CHECK(eol - pos == 76);
        CHECK(eol - pos <= 76);
        pos = eol + 2;
      }
      CHECK(out.size() == (n + 2) / 3 * 4 + (n + 56) / 57 * 2);
      if (n > 10000) CHECK(calls < n / 1000);  // blocks, not lines
      Result<std::string> back = Base64Decode(out);
      REQUIRE(back.ok());
      CHECK(*back == data);
    }
  }
}

TEST_CASE("base64 encoder: RFC 4648 vectors", "[base64]") {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg==\r\n"},
      {"fo", "Zm8=\r\n"},
      {"foo", "Zm9v\r\n"},
      {"foob", "Zm9vYg==\r\n"},
      {"fooba", "Zm9vYmE=\r\n"},
      {"foobar", "Zm9vYmFy\r\n"},
      {std::string("\xff\xfe\xfd\x00\x3f\x80", 6), "//79AD+A\r\n"},
  };
  for (const auto& [in, out] : vectors) {
    CHECK(Base64EncodeLines(in) == out);
  }
}

TEST_CASE("base64 decoder table", "[base64]") {
  struct Case {
    const char* in;
    bool ok;
    const char* out_or_error;
  };
  const Case cases[] = {
      {"", true, ""},
      {"TWFu", true, "Man"},
      {"TWE=", true, "Ma"},
      {"TQ==", true, "M"},
      {"TWE", true, "Ma"},  // missing padding accepted
      {"TQ", true, "M"},
      {"T W\r\nF\tu\r\n", true, "Man"},
      {"TWFu\r\nTWFu\r\n", true, "ManMan"},
      {"TQ==\r\n\r\n", true, "M"},
      {"T", false, "truncated"},
      {"TWFuT", false, "truncated"},
      {"TW*u", false, "invalid base64 character 0x2a at offset 2"},
      {"TWFu\x80", false, "invalid base64 character 0x80 at offset 4"},
      {"=TWF", false, "misplaced base64 padding at offset 0"},
      {"TQ==TWFu", false, "continues after '=' padding"},
      {"-----BEGIN PKCS7-----", false, "invalid base64 character 0x2d"},
  };
  for (const Case& c : cases) {
    INFO("input: " << c.in);
    Result<std::string> r = Base64Decode(c.in);
    REQUIRE(r.ok() == c.ok);
    if (c.ok) {
      CHECK(*r == c.out_or_error);
    } else {
      CHECK_THAT(r.status().message(), Catch::Contains(c.out_or_error));
      CHECK(r.status().code() == StatusCode::kParseError);
    }
  }
}

TEST_CASE("base64 decoder with tiny read buffers", "[base64]") {
  std::string data = Random(1000, 7);
  std::string text = Base64EncodeLines(data);
  for (size_t buf : std::vector<size_t>{1, 2, 3, 4, 5, 64}) {
    Base64Decoder dec(text);
    std::string out;
    std::vector<char> b(buf);
    for (;;) {
      Result<size_t> n = dec.Read(b.data(), buf);
      REQUIRE(n.ok());
      if (*n == 0) break;
      out.append(b.data(), *n);
    }
    CHECK(out == data);
  }
}

TEST_CASE("CRLF canonicalisation table", "[canonical]") {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"", ""},
      {"abc", "abc"},
      {"a\r\nb\r\n", "a\r\nb\r\n"},
      {"a\nb\n", "a\r\nb\r\n"},
      {"a\rb\r", "a\r\nb\r\n"},
      {"a\r\r\nb", "a\r\n\r\nb"},
      {"\n\n", "\r\n\r\n"},
      {"\r", "\r\n"},
      {"a\n\rb", "a\r\n\r\nb"},
      {std::string("x\0y\n", 4), std::string("x\0y\r\n", 5)},
  };
  for (const Case& c : cases) {
    INFO("input size " << c.in.size());
    CHECK(CanonicalizeCrlf(c.in) == c.out);
    CHECK(IsCrlfCanonical(c.out));
    CHECK(IsCrlfCanonical(c.in) == (c.in == c.out));
    // Every split point of the input gives the same result.
    for (size_t cut = 0; cut <= c.in.size(); ++cut) {
      std::string out;
      CrlfCanonicalizer canon(StringSink(&out));
      REQUIRE(canon.Write(std::string_view(c.in).substr(0, cut)).ok());
      REQUIRE(canon.Write(std::string_view(c.in).substr(cut)).ok());
      REQUIRE(canon.Finish().ok());
      CHECK(out == c.out);
    }
  }
}

// The definition, one byte at a time, for the vectorised check to match.
bool CanonicalByDefinition(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    if (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')) return false;
  }
  return true;
}

TEST_CASE("IsCrlfCanonical agrees with the definition at every offset",
          "[canonical]") {
  std::mt19937 rng(7);
  const char alphabet[] = {'\r', '\n', 'a', '\r', '\n', 'b', '\0', '\xff'};
  size_t canonical = 0, not_canonical = 0;
  for (int round = 0; round < 4000; ++round) {
    const size_t n = rng() % 70;
    std::string s;
    if (round % 2 == 0) {
      // Mostly canonical: CRLF lines, sometimes one byte changed.
      while (s.size() < n) s += (rng() % 3 == 0) ? "\r\n" : "xy";
      s.resize(n);
      if (!s.empty() && rng() % 2 == 0) {
        s[rng() % s.size()] = alphabet[rng() % sizeof alphabet];
      }
    } else {
      for (size_t i = 0; i < n; ++i) s += alphabet[rng() % sizeof alphabet];
    }
    // Unaligned starts inside a larger buffer.
    const size_t pad = rng() % 16;
    const std::string buffer = std::string(pad, 'p') + s;
    const std::string_view view = std::string_view(buffer).substr(pad);
    INFO("input size " << s.size() << " pad " << pad);
    const bool expected = CanonicalByDefinition(view);
    CHECK(IsCrlfCanonical(view) == expected);
    (expected ? canonical : not_canonical)++;
  }
  CHECK(canonical > 500);  // both outcomes are exercised
  CHECK(not_canonical > 500);
  // Line breaks that straddle a 16-byte block.
  for (size_t at = 0; at < 40; ++at) {
    std::string s(48, 'x');
    s[at] = '\r';
    CHECK(!IsCrlfCanonical(s));
    s[at + 1] = '\n';
    CHECK(IsCrlfCanonical(s));
    s[at] = 'x';
    CHECK(!IsCrlfCanonical(s));
  }
}

TEST_CASE("canonical input passes through without copies", "[canonical]") {
  std::string in = "line\r\nline\r\n";
  std::vector<const char*> seen;
  CrlfCanonicalizer canon([&](std::string_view s) {
    seen.push_back(s.data());
    return Status::Ok();
  });
  REQUIRE(canon.Write(in).ok());
  REQUIRE(canon.Finish().ok());
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == in.data());
}

TEST_CASE("ByteSource pieces and reader", "[byte_io]") {
  std::string a = "hello ", b = "", c = "world";
  ByteSource src(std::vector<std::string_view>{a, b, c});
  std::string all;
  REQUIRE(src.ForEachChunk(StringSink(&all)).ok());
  CHECK(all == "hello world");
  ByteReader reader(src);
  std::string pulled;
  char buf[4];
  for (;;) {
    Result<size_t> n = reader.Read(buf, sizeof buf);
    REQUIRE(n.ok());
    if (*n == 0) break;
    pulled.append(buf, *n);
  }
  CHECK(pulled == all);
  CHECK(src.single_view() == nullptr);
  ByteSource one(std::string_view("x"));
  REQUIRE(one.single_view() != nullptr);
  // A sink error stops iteration.
  Status s = src.ForEachChunk([](std::string_view) { return IoError("stop"); });
  CHECK(s.code() == StatusCode::kIoError);
}

}  // namespace
}  // namespace seal::crypto
