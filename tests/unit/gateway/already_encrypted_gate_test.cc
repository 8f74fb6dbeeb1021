// A message that says it is already encrypted (multipart/encrypted, S/MIME
// enveloped-data) leaves unchanged only when no must-encrypt rule read its
// body or attachments: a fake or partly clear container whose text the
// rules could read is treated like any other must-encrypt message (here,
// with no certificate store, the failure policy: a tempfail), never passed.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "lib/config.h"
#include "lib/gateway/policy.h"
#include "lib/gateway/process.h"
#include "lib/log.h"
#include "lib/snapshot.h"
#include "tests/unit/capture_log.h"

namespace seal::gateway {
namespace {

using testing::CaptureScope;

struct Gateway {
  Gateway() {
    char tmpl[] = "/tmp/seal-already-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    Result<Config> config = ParseConfig("", "test");
    REQUIRE(config.ok());
    config->spool.directory = dir;
    auto policy = BuildPolicy(*config);
    INFO(policy.status().ToString());
    REQUIRE(policy.ok());
    snapshot = std::make_shared<Snapshot>();
    snapshot->config = *config;
    snapshot->policy = *policy;
  }
  ~Gateway() { rmdir(dir.c_str()); }

  // Outbound (from loopback, an internal network by default).
  Outcome Run(const std::string& raw) {
    Transaction t(snapshot, Logger("s1/AE1"));
    t.envelope().sender = "alice@example.com";
    t.envelope().recipients = {"bob@partner.example"};
    REQUIRE(t.spool().Append(raw).ok());
    ConnectionInfo c;
    c.client_addr = "127.0.0.1";
    return ProcessMessage(t, c, Services());
  }

  std::string dir;
  std::shared_ptr<Snapshot> snapshot;
};

const char kSsn[] = "078-05-1120";

std::string PgpMime(const std::string& subject, const std::string& preamble,
                    const std::string& second_part) {
  return "From: alice@example.com\r\nTo: bob@partner.example\r\n"
         "Subject: " +
         subject +
         "\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/encrypted; "
         "protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n" +
         preamble +
         "--b\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
         "Version: 1\r\n"
         "--b\r\n" +
         second_part + "\r\n--b--\r\n";
}

const char kArmour[] =
    "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n"
    "-----BEGIN PGP MESSAGE-----\r\n\r\n"
    "hQEMA1w3bXJlY2lwaWVudAEH/2k9dGhpcyBpcyBub3QgcmVhbGx5IGNpcGhlcnRleHQ=\r\n"
    "-----END PGP MESSAGE-----";

bool Passed(const Outcome& o) {
  return o.verdict.kind == Verdict::Kind::kAccept && o.plan.body == nullptr;
}

TEST_CASE("already encrypted: passed unchanged when no rule read clear text") {
  CaptureScope capture;
  Gateway g;
  // A subject tag asks for encryption; the content is ciphertext.
  Outcome o = g.Run(PgpMime("# sealed already", "", kArmour));
  CHECK(Passed(o));
  CHECK_THAT(capture.sink->All(),
             Catch::Contains("already_encrypted=multipart-encrypted"));
}

TEST_CASE("already encrypted: readable text is not let through") {
  CaptureScope capture;
  Gateway g;
  SECTION("a clear text/plain part instead of ciphertext") {
    Outcome o =
        g.Run(PgpMime("hello", "",
                      "Content-Type: text/plain\r\n\r\n"
                      "-----BEGIN PGP MESSAGE-----\r\nSSN " +
                          std::string(kSsn) + "\r\n-----END PGP MESSAGE-----"));
    CHECK_FALSE(Passed(o));
    CHECK(o.verdict.kind == Verdict::Kind::kTempfail);
  }
  SECTION("a clear preamble beside real-looking ciphertext") {
    Outcome o =
        g.Run(PgpMime("hello", "SSN " + std::string(kSsn) + "\r\n", kArmour));
    CHECK_FALSE(Passed(o));
  }
  SECTION("an S/MIME label on a body that is not CMS") {
    // The body is not text to the rules; the subject tag asks for
    // encryption, and the label alone no longer answers it.
    const std::string raw =
        "From: alice@example.com\r\nTo: bob@partner.example\r\n"
        "Subject: # hello\r\nMIME-Version: 1.0\r\n"
        "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; "
        "name=smime.p7m\r\n\r\n"
        "SSN " +
        std::string(kSsn) + "\r\n";
    Outcome o = g.Run(raw);
    CHECK_FALSE(Passed(o));
  }
  const std::string log = capture.sink->All();
  CHECK(log.find("already_encrypted=") == std::string::npos);
}

}  // namespace
}  // namespace seal::gateway
