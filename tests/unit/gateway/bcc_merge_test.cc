// Without gateway.reinject, recipients with different treatments are
// served by one S/MIME message when all have certificates. Not when one is
// a Bcc recipient: its RecipientInfo would name its certificate to the
// others (sealmilter(8), RECIPIENT GROUPS). Then a must-encrypt message
// fails closed instead.
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <string>

#include "lib/gateway/policy.h"
#include "lib/snapshot.h"
#include "tests/unit/gateway/smime_test_util.h"

namespace seal::gateway {
namespace {

using testing::SmimeFixture;
using testing::TestPki;

struct Fixture : SmimeFixture {
  Fixture() {
    std::ofstream(dir.File("rules.toml")) << R"(
[[rule]]
id = "secret"
description = "secret"
scopes = "body"
patterns = 'SECRET'
action = "encrypt"
)";
    config.rules.shipped = false;
    config.rules.paths = {dir.File("rules.toml")};
    config.gateway.reinject = "";
    config.gateway.internal_domains = {"corp.example"};
    for (const crypto::Certificate* c :
         {&TestPki().alice.cert, &TestPki().bob.cert}) {
      Result<std::string> der = c->ToDer();
      REQUIRE(der.ok());
      REQUIRE(store->PutCertificate(*der, store::CertSource::kImported).ok());
    }
  }

  Outcome Run(const std::string& to_field) {
    auto policy = BuildPolicy(config);
    INFO(policy.status().ToString());
    REQUIRE(policy.ok());
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->config = config;
    snapshot->policy = *policy;
    Transaction t(snapshot, Logger("s1/BC1"));
    t.envelope().sender = "carol@corp.example";
    t.envelope().auth_authen = "carol";
    t.envelope().recipients = {"alice@example.org", "bob@example.org"};
    const std::string raw = "From: carol@corp.example\r\nTo: " + to_field +
                            "\r\nSubject: s\r\n\r\nSECRET plans\r\n";
    REQUIRE(t.spool().Append(raw).ok());
    ConnectionInfo c;
    c.client_addr = "192.0.2.9";
    return ProcessMessage(t, c, services);
  }
};

TEST_CASE("one S/MIME message for everybody, unless one is a Bcc") {
  Fixture f;
  SECTION("both visible: one message, encrypted to both") {
    Outcome o = f.Run("alice@example.org, bob@example.org");
    CHECK(o.verdict.kind == Verdict::Kind::kAccept);
    CHECK(o.plan.body != nullptr);
  }
  SECTION("bob is a Bcc: nothing names him to alice") {
    Outcome o = f.Run("alice@example.org");
    CHECK(o.verdict.kind == Verdict::Kind::kTempfail);
    CHECK(o.plan.body == nullptr);
  }
}

}  // namespace
}  // namespace seal::gateway
