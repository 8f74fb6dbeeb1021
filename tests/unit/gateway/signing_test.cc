// Outbound signing (lib/gateway/signing.h): the signer from the store and
// the built-in CA (issue on first need, renewal window, internal senders
// only), RewriteSign verified by lib/crypto and by `openssl cms -verify`,
// RewriteSignEncrypt, the 7-bit re-encoding table, and CRLF
// canonicalisation before encryption in RewriteSmime.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "lib/ca/authority.h"
#include "lib/crypto/decrypt.h"
#include "lib/crypto/mime_frame.h"
#include "lib/crypto/verify.h"
#include "lib/gateway/rewrite.h"
#include "lib/gateway/signing.h"
#include "tests/unit/gateway/smime_test_util.h"

namespace seal::gateway {
namespace {

using testing::Apply;
using testing::FieldOf;
using testing::SmimeFixture;
using testing::TestPki;

constexpr int64_t kDay = 86400;

int64_t Now() { return static_cast<int64_t>(time(nullptr)); }

struct CaFixture : SmimeFixture {
  CaFixture() {
    options.key_type = ca::KeyType::kEcP256;
    options.user_key_type = ca::KeyType::kRsa2048;
    options.subject = "CN=Test Gateway CA,O=Example";
    options.validity_days = 365;
    options.renew_before_days = 7;
    Result<store::CertificateRecord> rec =
        ca::InitAuthority(*store, vault, options, Now());
    INFO(rec.status().ToString());
    REQUIRE(rec.ok());
    Result<std::unique_ptr<ca::Authority>> a =
        ca::Authority::Load(*store, vault, options, clock);
    REQUIRE(a.ok());
    authority = std::move(a).value();
    services.authority = authority.get();
    config.ca.renew_days = 7;
    config.ca.validity_days = 365;
    ca_cert = crypto::Certificate::FromDer(rec->der).value();
  }

  std::shared_ptr<const crypto::TrustStore> CaTrust() const {
    crypto::TrustStoreOptions o;
    o.use_system_store = false;
    o.anchors = {ca_cert};
    return crypto::TrustStore::Create(o).value();
  }

  store::SystemClock clock;
  ca::CaOptions options;
  std::unique_ptr<ca::Authority> authority;
  crypto::Certificate ca_cert;
};

TEST_CASE("SignerFor: issued on first need, then reused") {
  CaFixture f;
  Result<ChosenSigner> first =
      SignerFor("Carol@Example.org", f.services, f.config);
  INFO(first.status().ToString());
  REQUIRE(first.ok());
  CHECK(first->newly_issued);
  CHECK(first->signer.key.cert.HasEmail("carol@example.org"));
  Result<ChosenSigner> again =
      SignerFor("carol@example.org", f.services, f.config);
  REQUIRE(again.ok());
  CHECK_FALSE(again->newly_issued);
  CHECK(again->cert_sha256 == first->cert_sha256);
}

TEST_CASE("SignerFor: renewed inside ca.renew_days, old key kept") {
  CaFixture f;
  int64_t now = Now();
  Result<ChosenSigner> first =
      SignerFor("dan@example.org", f.services, f.config, now);
  REQUIRE(first.ok());
  // Day 300: outside the window, the same certificate.
  Result<ChosenSigner> mid =
      SignerFor("dan@example.org", f.services, f.config, now + 300 * kDay);
  REQUIRE(mid.ok());
  CHECK(mid->cert_sha256 == first->cert_sha256);
  // Day 360: it ends within 7 days: a new one.
  Result<ChosenSigner> late =
      SignerFor("dan@example.org", f.services, f.config, now + 360 * kDay);
  INFO(late.status().ToString());
  REQUIRE(late.ok());
  CHECK(late->newly_issued);
  CHECK(late->cert_sha256 != first->cert_sha256);
  Result<std::vector<store::CertificateRecord>> all =
      f.store->CertificatesFor("dan@example.org");
  REQUIRE(all.ok());
  CHECK(all->size() == 2);
  for (const store::CertificateRecord& r : *all) CHECK(r.has_private_key);
}

TEST_CASE("SignerFor: when nothing may be issued") {
  CaFixture f;
  SECTION("an external sender gets no certificate") {
    Result<ChosenSigner> s =
        SignerFor("someone@elsewhere.example", f.services, f.config);
    CHECK(s.status().code() == StatusCode::kNotFound);
    CHECK_THAT(s.status().message(), Catch::Contains("internal_domains"));
  }
  SECTION("ca.issue_on_demand off") {
    f.config.ca.issue_on_demand = false;
    Result<ChosenSigner> s =
        SignerFor("erin@example.org", f.services, f.config);
    CHECK(s.status().code() == StatusCode::kNotFound);
  }
  SECTION("no CA: an imported certificate with a key still signs") {
    f.services.authority = nullptr;
    f.AddKey(TestPki().alice);
    Result<ChosenSigner> s =
        SignerFor("alice@example.org", f.services, f.config);
    REQUIRE(s.ok());
    CHECK(s->signer.key.cert == TestPki().alice.cert);
    CHECK_FALSE(s->newly_issued);
  }
  SECTION("no master key, no store") {
    f.services.vault = nullptr;
    f.services.key_error = "missing";
    CHECK(
        SignerFor("alice@example.org", f.services, f.config).status().code() ==
        StatusCode::kFailedPrecondition);
    f.services.store = nullptr;
    CHECK(
        SignerFor("alice@example.org", f.services, f.config).status().code() ==
        StatusCode::kFailedPrecondition);
  }
  SECTION("malformed sender") {
    CHECK_FALSE(SignerFor("not an address", f.services, f.config).ok());
  }
}

const std::string kMessage8bit =
    "From: Carol <carol@example.org>\r\n"
    "To: x@elsewhere.example\r\n"
    "Subject: signed\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Gr\xc3\xbc\xc3\x9f"
    "e aus K\xc3\xb6ln.\r\n";

bool HaveOpenssl() { return system("openssl version >/dev/null 2>&1") == 0; }

TEST_CASE("RewriteSign: multipart/signed that verifies, 8-bit encoded") {
  CaFixture f;
  Result<ChosenSigner> s = SignerFor("carol@example.org", f.services, f.config);
  REQUIRE(s.ok());
  MessageParts parts = SplitMessage(kMessage8bit);
  Result<EditPlan> plan = RewriteSign(parts, s->signer, f.spool);
  INFO(plan.status().ToString());
  REQUIRE(plan.ok());
  std::string out = Apply(kMessage8bit, *plan);
  CHECK_THAT(FieldOf(out, "Content-Type"),
             Catch::StartsWith("multipart/signed"));
  CHECK(FieldOf(out, "Subject") == "signed");
  CHECK(FieldOf(out, "From") == "Carol <carol@example.org>");
  MessageParts o = SplitMessage(out);
  for (char c : o.body) CHECK(static_cast<unsigned char>(c) < 0x80);

  crypto::EntityRef ref;
  ref.content_type = FieldOf(out, "Content-Type");
  ref.body = o.body;
  crypto::VerifyOptions vo;
  vo.sender_address = "carol@example.org";
  std::string content;
  crypto::ByteSink sink = crypto::StringSink(&content);
  Result<crypto::VerifyResult> v =
      crypto::VerifyEntity(ref, *f.CaTrust(), vo, &sink);
  REQUIRE(v.ok());
  INFO(v->reason);
  CHECK(v->status == crypto::SignatureStatus::kValid);
  CHECK_THAT(content, Catch::Contains("Content-Transfer-Encoding: base64"));

  if (!HaveOpenssl()) {
    WARN("openssl not installed: the openssl cms -verify check is skipped");
    return;
  }
  std::string msg = f.dir.File("signed.eml");
  std::string ca = f.dir.File("ca.pem");
  std::ofstream(msg, std::ios::binary) << out;
  std::ofstream(ca) << f.ca_cert.ToPem().value();
  std::string cmd = "openssl cms -verify -in " + msg + " -CAfile " + ca +
                    " -purpose any -out " + f.dir.File("content") + " 2>" +
                    f.dir.File("err");
  CHECK(WEXITSTATUS(system(cmd.c_str())) == 0);
  // A changed byte makes openssl fail (the test can fail).
  std::string bad = out;
  size_t at = bad.find("Content-Transfer-Encoding: base64\r\n\r\n");
  REQUIRE(at != std::string::npos);
  at += 40;
  bad[at] = bad[at] == 'A' ? 'B' : 'A';
  std::ofstream(msg, std::ios::binary | std::ios::trunc) << bad;
  CHECK(WEXITSTATUS(system(cmd.c_str())) != 0);
}

TEST_CASE("RewriteSignEncrypt: decrypts, then verifies") {
  CaFixture f;
  Result<ChosenSigner> s = SignerFor("carol@example.org", f.services, f.config);
  REQUIRE(s.ok());
  MessageParts parts = SplitMessage(kMessage8bit);
  Result<EditPlan> plan =
      RewriteSignEncrypt(parts, s->signer, {TestPki().bob.cert}, f.spool);
  INFO(plan.status().ToString());
  REQUIRE(plan.ok());
  std::string out = Apply(kMessage8bit, *plan);
  CHECK_THAT(FieldOf(out, "Content-Type"),
             Catch::Contains("smime-type=enveloped-data"));
  crypto::EntityRef ref;
  ref.content_type = FieldOf(out, "Content-Type");
  ref.transfer_encoding = FieldOf(out, "Content-Transfer-Encoding");
  std::string plain;
  MessageParts o = SplitMessage(out);
  ref.body = o.body;
  REQUIRE(crypto::DecryptEntity(ref, {TestPki().bob.pair()},
                                crypto::StringSink(&plain))
              .ok());
  Result<crypto::ParsedEntity> inner = crypto::SplitEntity(plain);
  REQUIRE(inner.ok());
  crypto::VerifyOptions vo;
  Result<crypto::VerifyResult> v =
      crypto::VerifyEntity(inner->ref(), *f.CaTrust(), vo);
  REQUIRE(v.ok());
  CHECK(v->status == crypto::SignatureStatus::kValid);
}

TEST_CASE("RewriteSmime: LF-only content is encrypted as CRLF") {
  const std::string lf =
      "From: a@example.org\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "line one\nline two\n";
  SmimeFixture f;
  Result<EditPlan> plan =
      RewriteSmime(SplitMessage(lf), {TestPki().bob.cert}, f.spool);
  REQUIRE(plan.ok());
  std::string out = Apply(lf, *plan);
  crypto::EntityRef ref;
  ref.content_type = FieldOf(out, "Content-Type");
  ref.transfer_encoding = FieldOf(out, "Content-Transfer-Encoding");
  MessageParts o = SplitMessage(out);
  ref.body = o.body;
  std::string plain;
  REQUIRE(crypto::DecryptEntity(ref, {TestPki().bob.pair()},
                                crypto::StringSink(&plain))
              .ok());
  CHECK(plain == "Content-Type: text/plain\r\n\r\nline one\r\nline two\r\n");
}

TEST_CASE("SevenBitEntity: what is re-encoded and what is not") {
  struct Case {
    const char* name;
    std::string entity;
    bool changed;
    std::vector<std::string> want;  // substrings of the result
  };
  const std::string long_line(1200, 'x');
  const std::vector<Case> cases = {
      {"7-bit text stays",
       "Content-Type: text/plain\r\n\r\nhello\r\n",
       false,
       {}},
      {"8-bit text becomes base64",
       "Content-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\n\xc3\xa4\r\n",
       true,
       {"Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nw6QNCg==\r\n"}},
      {"a long line becomes base64",
       "Content-Type: text/plain\r\n\r\n" + long_line + "\r\n",
       true,
       {"Content-Transfer-Encoding: base64"}},
      {"quoted-printable stays",
       "Content-Type: text/plain\r\n"
       "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
           long_line,
       false,
       {}},
      {"only the 8-bit part of a multipart",
       "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n"
       "preamble\r\n"
       "--zz\r\n"
       "Content-Type: text/plain\r\n\r\nplain part\r\n"
       "--zz\r\n"
       "Content-Type: text/plain; charset=latin1\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\n"
       "--zz--\r\n"
       "epilogue\r\n",
       true,
       {"preamble\r\n--zz\r\nContent-Type: text/plain\r\n\r\nplain part\r\n"
        "--zz\r\n",
        "Content-Transfer-Encoding: base64\r\n\r\nY2Fm6Q==\r\n\r\n--zz--\r\n"
        "epilogue\r\n"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Result<std::optional<std::string>> r = SevenBitEntity(c.entity);
    REQUIRE(r.ok());
    CHECK(r->has_value() == c.changed);
    if (r->has_value()) {
      for (const std::string& w : c.want) CHECK_THAT(**r, Catch::Contains(w));
      for (char ch : **r) CHECK(static_cast<unsigned char>(ch) < 0x80);
    }
  }
}

TEST_CASE("SevenBitEntity: hostile input fails clearly") {
  // 60 nested multiparts around an 8-bit leaf.
  std::string e =
      "Content-Type: text/plain\r\nContent-Transfer-Encoding: "
      "8bit\r\n\r\n\xff\r\n";
  for (int i = 0; i < 60; ++i) {
    std::string b = "b" + std::to_string(i);
    e = "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b +
        "\r\n" + e + "\r\n--" + b + "--\r\n";
  }
  Result<std::optional<std::string>> deep = SevenBitEntity(e);
  CHECK(deep.status().code() == StatusCode::kResourceExhausted);
  Result<std::optional<std::string>> bad =
      SevenBitEntity("not a header line\r\n\r\n\xff");
  CHECK_FALSE(bad.ok());
}

}  // namespace
}  // namespace seal::gateway
