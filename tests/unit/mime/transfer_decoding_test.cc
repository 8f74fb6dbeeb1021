// Content-Transfer-Encoding decoding: base64, quoted-printable, identity,
// malformed input and the output cap.
#include <catch2/catch.hpp>

#include <string>

#include "lib/mime/transfer_decoding.h"

namespace seal::mime {
namespace {

struct Case {
  const char* name;
  TransferEncoding enc;
  std::string in;
  std::string out;
  const char* problem;  // "" when none
};

TEST_CASE("DecodeTransfer decodes each encoding", "[mime][codec]") {
  const std::vector<Case> cases = {
      {"base64 simple", TransferEncoding::kBase64, "aGVsbG8=", "hello", ""},
      {"base64 two pads", TransferEncoding::kBase64, "aGk=", "hi", ""},
      {"base64 one byte", TransferEncoding::kBase64, "YQ==", "a", ""},
      {"base64 no padding", TransferEncoding::kBase64, "YWI", "ab", ""},
      {"base64 lines CRLF", TransferEncoding::kBase64,
       "aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n", "hello world", ""},
      {"base64 bare LF and spaces", TransferEncoding::kBase64, " aGVs bG8=\n",
       "hello", ""},
      {"base64 utf-8 bytes", TransferEncoding::kBase64, "w6nDvOaXpeacrOiqng==",
       "\xC3\xA9\xC3\xBC\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", ""},
      {"base64 binary with NUL", TransferEncoding::kBase64, "AP8A",
       std::string("\x00\xFF\x00", 3), ""},
      {"base64 concatenated runs", TransferEncoding::kBase64, "YQ==YQ==", "aa",
       ""},
      {"base64 invalid chars skipped", TransferEncoding::kBase64,
       "aG!Vs*bG8=", "hello", "invalid characters in base64"},
      {"base64 pipe is not 'A'", TransferEncoding::kBase64, "|QUFB", "AAA",
       "invalid characters in base64"},
      {"base64 truncated quantum", TransferEncoding::kBase64, "aGVsbG8gd",
       "hello ", "truncated or misaligned base64"},
      {"base64 single pad then data", TransferEncoding::kBase64,
       "YQ=YQ==", "aa", "truncated or misaligned base64"},
      {"base64 misplaced pad", TransferEncoding::kBase64, "Y=Q==", "a",
       "truncated or misaligned base64"},
      {"base64 empty", TransferEncoding::kBase64, "", "", ""},
      {"qp escapes", TransferEncoding::kQuotedPrintable, "caf=C3=A9",
       "caf\xC3\xA9", ""},
      {"qp lower-case hex", TransferEncoding::kQuotedPrintable, "=c3=a9",
       "\xC3\xA9", ""},
      {"qp soft break CRLF", TransferEncoding::kQuotedPrintable,
       "long=\r\nline\r\nnext", "longline\nnext", ""},
      {"qp soft break LF", TransferEncoding::kQuotedPrintable,
       "long=\nline\nnext\n", "longline\nnext\n", ""},
      {"qp soft break with trailing blanks", TransferEncoding::kQuotedPrintable,
       "a= \t\r\nb", "ab", ""},
      {"qp trailing whitespace dropped", TransferEncoding::kQuotedPrintable,
       "a  \r\nb", "a\nb", ""},
      {"qp equals sign", TransferEncoding::kQuotedPrintable, "1+1=3D2", "1+1=2",
       ""},
      {"qp bad escape kept", TransferEncoding::kQuotedPrintable, "a=ZZb",
       "a=ZZb", "invalid quoted-printable escape"},
      {"qp half escape", TransferEncoding::kQuotedPrintable, "a=4", "a=4",
       "invalid quoted-printable escape"},
      {"qp equals at end", TransferEncoding::kQuotedPrintable,
       "end=", "end=", ""},
      {"7bit identity", TransferEncoding::k7Bit, "a\r\nb", "a\r\nb", ""},
      {"8bit identity", TransferEncoding::k8Bit, "\xE9", "\xE9", ""},
      {"binary identity", TransferEncoding::kBinary, std::string("\x00\x01", 2),
       std::string("\x00\x01", 2), ""},
      {"unknown identity", TransferEncoding::kUnknown, "begin 644 x",
       "begin 644 x", ""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Result<Decoded> d = DecodeTransfer(c.in, c.enc, 1 << 20);
    REQUIRE(d.ok());
    CHECK(d->bytes == c.out);
    CHECK(d->problem == c.problem);
    CHECK_FALSE(d->truncated);
  }
}

TEST_CASE("DecodeTransfer stops at max_bytes", "[mime][codec]") {
  const auto enc =
      GENERATE(TransferEncoding::kBase64, TransferEncoding::kQuotedPrintable,
               TransferEncoding::k7Bit);
  std::string in;
  if (enc == TransferEncoding::kBase64) {
    for (int i = 0; i < 1000; ++i) in += "YWJj";  // "abc" x 1000
  } else {
    for (int i = 0; i < 1000; ++i) in += "abc";
  }
  Result<Decoded> d = DecodeTransfer(in, enc, 10);
  REQUIRE(d.ok());
  CHECK(d->bytes == "abcabcabca");
  CHECK(d->truncated);

  Result<Decoded> exact = DecodeTransfer(in, enc, 3000);
  REQUIRE(exact.ok());
  CHECK(exact->bytes.size() == 3000);
  CHECK_FALSE(exact->truncated);
}

TEST_CASE("ParseTransferEncoding maps tokens", "[mime][codec]") {
  CHECK(ParseTransferEncoding("") == TransferEncoding::k7Bit);
  CHECK(ParseTransferEncoding(" Base64 ") == TransferEncoding::kBase64);
  CHECK(ParseTransferEncoding("QUOTED-PRINTABLE") ==
        TransferEncoding::kQuotedPrintable);
  CHECK(ParseTransferEncoding("8bit") == TransferEncoding::k8Bit);
  CHECK(ParseTransferEncoding("binary") == TransferEncoding::kBinary);
  CHECK(ParseTransferEncoding("x-uuencode") == TransferEncoding::kUnknown);
  CHECK(TransferEncodingName(TransferEncoding::kQuotedPrintable) ==
        "quoted-printable");
}

TEST_CASE("DecodeBase64 decodes every byte value", "[mime][codec]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  // Encoded with a reference encoder (Python base64.b64encode(bytes(256))).
  const std::string enc =
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1"
      "Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWpr"
      "bG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6Ch"
      "oqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX"
      "2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";
  Result<Decoded> d = DecodeBase64(enc, 1 << 20);
  REQUIRE(d.ok());
  CHECK(d->bytes == all);
  CHECK(d->problem.empty());
}

}  // namespace
}  // namespace seal::mime
