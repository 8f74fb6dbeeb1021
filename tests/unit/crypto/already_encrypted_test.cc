// The never-double-encrypt decision: a table of top-level entities and the
// answer the outbound path must get.
#include <catch2/catch.hpp>
#include <string>

#include "lib/crypto/already_encrypted.h"
#include "lib/crypto/base64.h"
#include "lib/crypto/encrypt.h"
#include "tests/unit/crypto/test_pki.h"

namespace seal::crypto {
namespace {

using E = ExistingEncryption;

TEST_CASE("already encrypted: decision table", "[already_encrypted]") {
  // A real EnvelopedData body, to test the no-smime-type peek.
  std::string enveloped_body;
  EncryptOptions options;
  options.emit_headers = false;
  REQUIRE(EncryptEntity(testing::SampleEntity(10),
                        {{testing::TestPki().alice.cert}}, options,
                        StringSink(&enveloped_body))
              .ok());
  std::string auth_body;
  options.cipher = ContentCipher::kAes256Gcm;
  REQUIRE(EncryptEntity(testing::SampleEntity(10),
                        {{testing::TestPki().alice.cert}}, options,
                        StringSink(&auth_body))
              .ok());
  // A SignedData-looking body (OID 1.2.840.113549.1.7.2).
  const std::string signed_body = Base64EncodeLines(std::string(
      "\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x80", 15));
  const std::string armour =
      "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA1234\r\n=abcd\r\n"
      "-----END PGP MESSAGE-----\r\n";

  struct Case {
    const char* name;
    std::string content_type;
    std::string cte;
    std::string body;
    ExistingEncryption expected;
  };
  const Case cases[] = {
      {"plain text", "text/plain", "", "hello", E::kNone},
      {"no content type", "", "", "hello", E::kNone},
      {"S/MIME enveloped",
       "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m",
       "base64", enveloped_body, E::kSmimeEnveloped},
      {"legacy x-pkcs7-mime",
       "application/x-pkcs7-mime; smime-type=enveloped-data", "base64",
       enveloped_body, E::kSmimeEnveloped},
      {"smime-type case-insensitive",
       "application/pkcs7-mime; smime-type=Enveloped-Data", "base64",
       enveloped_body, E::kSmimeEnveloped},
      {"enveloped-data label on clear text",
       "application/pkcs7-mime; smime-type=enveloped-data", "7bit",
       "SSN 078-05-1120\r\n", E::kNone},
      {"enveloped-data label on an empty body",
       "application/pkcs7-mime; smime-type=enveloped-data", "base64", "",
       E::kNone},
      {"enveloped-data label on a CMS prefix only",
       "application/pkcs7-mime; smime-type=enveloped-data", "base64", "MIAG",
       E::kNone},
      {"enveloped-data label on signed data",
       "application/pkcs7-mime; smime-type=enveloped-data", "base64",
       signed_body, E::kNone},
      {"authEnveloped-data label on clear text",
       "application/pkcs7-mime; smime-type=authenveloped-data", "", "hello\r\n",
       E::kNone},
      {"the body's CMS type wins over the label",
       "application/pkcs7-mime; smime-type=enveloped-data", "base64", auth_body,
       E::kSmimeAuthEnveloped},
      {"S/MIME authEnveloped",
       "application/pkcs7-mime; smime-type=authEnveloped-data", "base64",
       auth_body, E::kSmimeAuthEnveloped},
      {"no smime-type, enveloped inside",
       "application/pkcs7-mime; name=smime.p7m", "base64", enveloped_body,
       E::kSmimeEnveloped},
      {"no smime-type, authEnveloped inside", "application/pkcs7-mime",
       "base64", auth_body, E::kSmimeAuthEnveloped},
      {"no smime-type, signed inside", "application/pkcs7-mime", "base64",
       signed_body, E::kNone},
      {"opaque signed is not encrypted",
       "application/pkcs7-mime; smime-type=signed-data", "base64", signed_body,
       E::kNone},
      {"compressed is not encrypted",
       "application/pkcs7-mime; smime-type=compressed-data", "base64", "",
       E::kNone},
      {"certs-only is not encrypted",
       "application/pkcs7-mime; smime-type=certs-only", "base64", "", E::kNone},
      {"multipart/signed S/MIME",
       "multipart/signed; protocol=\"application/pkcs7-signature\"; "
       "boundary=x",
       "", "--x\r\n", E::kNone},
      {"PGP/MIME encrypted",
       "multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
       "boundary=x",
       "", "--x\r\n", E::kMultipartEncrypted},
      {"PGP/MIME signed",
       "multipart/signed; protocol=\"application/pgp-signature\"", "", "",
       E::kNone},
      {"inline PGP message", "text/plain; charset=us-ascii", "7bit", armour,
       E::kPgpInline},
      {"inline PGP with white space around", "text/plain", "",
       "\r\n  \r\n" + armour + "\r\n\r\n", E::kPgpInline},
      {"inline PGP in base64", "text/plain", "base64",
       Base64EncodeLines(armour), E::kPgpInline},
      {"inline PGP, no content type", "", "", armour, E::kPgpInline},
      {"quoted PGP block in a reply", "text/plain", "",
       "See below:\r\n> " + armour, E::kNone},
      {"PGP block followed by clear text", "text/plain", "",
       armour + "Sent from my phone\r\n", E::kNone},
      {"clear-signed PGP", "text/plain", "",
       "-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nhi\r\n"
       "-----BEGIN PGP SIGNATURE-----\r\nx\r\n-----END PGP SIGNATURE-----\r\n",
       E::kNone},
      {"armour header glued to text", "text/plain", "",
       "-----BEGIN PGP MESSAGE-----x\r\n-----END PGP MESSAGE-----", E::kNone},
      {"HTML body with armour", "text/html", "", armour, E::kNone},
      {"multipart/mixed with an encrypted attachment",
       "multipart/mixed; boundary=b", "",
       "--b\r\nContent-Type: application/pkcs7-mime; "
       "smime-type=enveloped-data\r\n\r\nMIAG\r\n--b--\r\n",
       E::kNone},
      {"unreadable content type", "garbage", "", "", E::kNone},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      EncryptionCheck check =
          DetectExistingEncryption(EntityRef{c.content_type, c.cte, c.body});
      INFO(check.reason);
      CHECK(check.kind == c.expected);
      CHECK(check.encrypted() == (c.expected != E::kNone));
      CHECK_FALSE(check.reason.empty());
    }
  }
  CHECK(ExistingEncryptionName(E::kPgpInline) == "pgp-inline");
}

}  // namespace
}  // namespace seal::crypto
