// Tables for the MIME framing S/MIME needs: entity splitting, Content-Type
// parameters, multipart/signed parts with their exact bytes, header output.
#include <catch2/catch.hpp>
#include <string>

#include "lib/crypto/mime_frame.h"

namespace seal::crypto {
namespace {

TEST_CASE("SplitEntity", "[mime]") {
  Result<ParsedEntity> p = SplitEntity(
      "Content-Type: text/plain;\r\n charset=utf-8\r\nX-A:b\r\n\r\nbody\r\n");
  REQUIRE(p.ok());
  REQUIRE(p->headers.size() == 2);
  CHECK(p->headers[0].value == "text/plain; charset=utf-8");
  CHECK(*p->Find("x-a") == "b");
  CHECK(p->body == "body\r\n");
  CHECK(p->Find("Missing") == nullptr);

  p = SplitEntity("A: 1\n\nbody");  // LF only
  REQUIRE(p.ok());
  CHECK(p->body == "body");
  CHECK(p->header_block == "A: 1\n\n");

  p = SplitEntity("\r\nonly body");
  REQUIRE(p.ok());
  CHECK(p->headers.empty());
  CHECK(p->body == "only body");

  p = SplitEntity("A: 1\r\n");  // no empty line: headers only
  REQUIRE(p.ok());
  CHECK(p->body.empty());

  CHECK(SplitEntity("not a header\r\n\r\n").status().code() ==
        StatusCode::kParseError);
  CHECK(SplitEntity(" continuation\r\n\r\n").status().code() ==
        StatusCode::kParseError);
  CHECK(SplitEntity(std::string(300000, 'a') + ": b\r\n\r\n", 1000)
            .status()
            .code() == StatusCode::kResourceExhausted);
}

TEST_CASE("ParseContentType table", "[mime]") {
  struct Case {
    const char* in;
    const char* type;
    const char* subtype;
    const char* param;
    const char* value;
  };
  const Case cases[] = {
      {"", "text", "plain", "charset", ""},
      {"TEXT/Plain; Charset=UTF-8", "text", "plain", "charset", "UTF-8"},
      {"multipart/signed; protocol=\"application/pkcs7-signature\"; "
       "micalg=sha-256; boundary=\"--=_a b\"",
       "multipart", "signed", "boundary", "--=_a b"},
      {"multipart/signed; boundary=abc; protocol=application/pkcs7-signature",
       "multipart", "signed", "protocol", "application/pkcs7-signature"},
      {"application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m",
       "application", "pkcs7-mime", "smime-type", "enveloped-data"},
      {"application/pkcs7-mime (comment); smime-type=\"signed-data\"",
       "application", "pkcs7-mime", "smime-type", "signed-data"},
      {"multipart/mixed; boundary=\"q\\\"uote\"", "multipart", "mixed",
       "boundary", "q\"uote"},
      {"multipart/mixed; ; junk; boundary=x", "multipart", "mixed", "boundary",
       "x"},
      {"multipart/mixed;\r\n\tboundary=\"folded\"", "multipart", "mixed",
       "boundary", "folded"},
      {"multipart/mixed; boundary==_unquoted/x", "multipart", "mixed",
       "boundary", "=_unquoted/x"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    Result<ContentType> ct = ParseContentType(c.in);
    REQUIRE(ct.ok());
    CHECK(ct->type == c.type);
    CHECK(ct->subtype == c.subtype);
    CHECK(ct->Param(c.param) == c.value);
  }
  CHECK(ParseContentType("garbage").status().code() == StatusCode::kParseError);
  CHECK(NormalizeTransferEncoding(" BASE64 ") == "base64");
  CHECK(NormalizeTransferEncoding("") == "7bit");
}

TEST_CASE("SplitMultipartSigned keeps the exact bytes", "[mime]") {
  struct Case {
    const char* name;
    std::string body;
    bool ok;
    std::string signed_part;
    std::string sig;
  };
  const Case cases[] = {
      {"crlf with preamble",
       "preamble\r\n--b\r\nA: 1\r\n\r\nx\r\n--b\r\nS: "
       "2\r\n\r\nsig\r\n--b--\r\n",
       true, "A: 1\r\n\r\nx", "S: 2\r\n\r\nsig"},
      {"lf only", "--b\nA: 1\n\nx\n\n--b\nS: 2\n\nsig\n--b--\n", true,
       "A: 1\n\nx\n", "S: 2\n\nsig"},
      {"transport padding after delimiters",
       "--b  \r\nA\r\n--b\t\r\nS\r\n--b--  \r\n", true, "A", "S"},
      {"longer boundary is not the boundary",
       "--b\r\nA\r\n--bb\r\nstill A\r\n--b\r\nS\r\n--b--", true,
       "A\r\n--bb\r\nstill A", "S"},
      {"boundary inside a line is content",
       "--b\r\nA x--b\r\n--b\r\nS\r\n--b--", true, "A x--b", "S"},
      {"epilogue ignored", "--b\r\nA\r\n--b\r\nS\r\n--b--\r\nepilogue", true,
       "A", "S"},
      {"no opening boundary", "A\r\n--c\r\n", false, "", ""},
      {"truncated after signed part", "--b\r\nA\r\n", false, "", ""},
      {"truncated signature", "--b\r\nA\r\n--b\r\nS\r\n", false, "", ""},
      {"one part", "--b\r\nA\r\n--b--\r\n", false, "", ""},
      // An unsigned third part would be shown under the signature's verdict.
      {"a third part", "--b\r\nA\r\n--b\r\nS\r\n--b\r\npay IBAN X\r\n--b--\r\n",
       false, "", ""},
      {"a third part, never closed", "--b\r\nA\r\n--b\r\nS\r\n--b\r\nmore",
       false, "", ""},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Result<MultipartSignedParts> r = SplitMultipartSigned(c.body, "b");
      REQUIRE(r.ok() == c.ok);
      if (c.ok) {
        CHECK(r->signed_part == c.signed_part);
        CHECK(r->signature_entity == c.sig);
      } else {
        CHECK(r.status().code() == StatusCode::kParseError);
      }
    }
  }
}

TEST_CASE("FormatHeaders folds long values at parameters", "[mime]") {
  std::string h = FormatHeaders(
      {{"Content-Type",
        "multipart/signed; protocol=\"application/pkcs7-signature\"; "
        "micalg=sha-256; "
        "boundary=\"----=_seal_0123456789abcdef0123456789abcdef\""},
       {"X-Short", "v"}});
  CHECK(h ==
        "Content-Type: multipart/signed; "
        "protocol=\"application/pkcs7-signature\";\r\n"
        "\tmicalg=sha-256; "
        "boundary=\"----=_seal_0123456789abcdef0123456789abcdef\"\r\n"
        "X-Short: v\r\n");
  // And it reads back as the same value.
  Result<ParsedEntity> p = SplitEntity(h + "\r\n");
  REQUIRE(p.ok());
  Result<ContentType> ct = ParseContentType(*p->Find("Content-Type"));
  REQUIRE(ct.ok());
  CHECK(ct->Param("boundary") == "----=_seal_0123456789abcdef0123456789abcdef");
  CHECK(ct->Param("micalg") == "sha-256");
}

}  // namespace
}  // namespace seal::crypto
