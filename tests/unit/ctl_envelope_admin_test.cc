// sealctl envelope list|show|revoke|expire|audit against a store in a
// temporary directory named by a configuration: listing with filters and
// JSON, revoking twice (the second fails with exit 1 and changes nothing),
// expiring now / at a date / never, the audit trail, and malformed ids,
// unknown ids, bad options and a missing store with their exit codes.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "lib/store/open_store.h"
#include "lib/store/store.h"
#include "tests/unit/sealctl_test_util.h"

namespace seal::ctl {
namespace {

using testing::Captured;
using testing::RunCaptured;

const char kA[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const char kB[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

struct Env {
  Env() {
    std::string tmpl = "/tmp/sealctl-env-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    conf = dir + "/sealmilter.conf";
    db = dir + "/store.db";
    std::ofstream(conf) << "[spool]\ndirectory = \"" << dir
                        << "\"\n[rules]\nshipped = false\n[store]\npath = \""
                        << db << "\"\n";
    store::StoreOptions o;
    o.path = db;
    auto opened = store::OpenStore(o);
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }
  ~Env() {
    store.reset();
    std::filesystem::remove_all(dir);
  }

  void Put(const std::string& id, const std::string& sender,
           std::vector<std::string> rcpts) {
    store::EnvelopeRecord r;
    r.id = id;
    r.sender = sender;
    r.recipients = std::move(rcpts);
    r.portal_key_id = "k1-00112233";
    r.read_receipt = true;
    REQUIRE(store->PutEnvelope(r).ok());
  }

  Captured Ctl(std::vector<std::string> args) {
    args.push_back("-c");
    args.push_back(conf);
    return RunCaptured(args);
  }

  std::string dir, conf, db;
  std::unique_ptr<store::Store> store;
};

TEST_CASE("sealctl envelope list and show") {
  Env env;
  env.Put(kA, "alice@example.com", {"bob@example.org"});
  env.Put(kB, "dave@example.com", {"carol@example.org", "bob@example.org"});
  Captured all = env.Ctl({"envelope", "list"});
  REQUIRE(all.rc == kExitOk);
  CHECK(all.out.find(kA) != std::string::npos);
  CHECK(all.out.find(kB) != std::string::npos);
  Captured by_sender =
      env.Ctl({"envelope", "list", "--sender", "DAVE@example.com"});
  REQUIRE(by_sender.rc == kExitOk);
  CHECK(by_sender.out.find(kA) == std::string::npos);
  CHECK(by_sender.out.find(kB) != std::string::npos);
  Captured by_rcpt =
      env.Ctl({"envelope", "list", "--recipient", "carol@example.org"});
  CHECK(by_rcpt.out.find(kA) == std::string::npos);
  CHECK(by_rcpt.out.find(kB) != std::string::npos);
  Captured json = env.Ctl({"envelope", "list", "--json", "--limit", "1"});
  REQUIRE(json.rc == kExitOk);
  CHECK(json.out.find("\"portal_key_id\": \"k1-00112233\"") !=
        std::string::npos);
  Captured show = env.Ctl({"envelope", "show", kA});
  REQUIRE(show.rc == kExitOk);
  CHECK(show.out.find("alice@example.com") != std::string::npos);
  CHECK(show.out.find("asked, not sent") != std::string::npos);
  CHECK(show.out.find("active") != std::string::npos);
}

TEST_CASE("sealctl envelope revoke twice and expire") {
  Env env;
  env.Put(kA, "alice@example.com", {"bob@example.org"});
  env.Put(kB, "alice@example.com", {"bob@example.org"});
  Captured r1 =
      env.Ctl({"envelope", "revoke", "--reason", "wrong recipient", kA});
  REQUIRE(r1.rc == kExitOk);
  CHECK(r1.out == std::string("revoked ") + kA + "\n");
  Captured r2 = env.Ctl({"envelope", "revoke", kA});
  CHECK(r2.rc == kExitFailure);
  CHECK(r2.err.find("already revoked") != std::string::npos);
  auto rec = env.store->GetEnvelope(kA);
  REQUIRE(rec.ok());
  CHECK(rec->revoke_reason == "wrong recipient");
  CHECK(rec->revoked_by.rfind("sealctl ", 0) == 0);
  Captured revoked = env.Ctl({"envelope", "list", "--state", "revoked"});
  CHECK(revoked.out.find(kA) != std::string::npos);
  CHECK(revoked.out.find(kB) == std::string::npos);

  Captured e1 = env.Ctl({"envelope", "expire", "--at", "2030-01-02", kB});
  REQUIRE(e1.rc == kExitOk);
  CHECK(env.store->GetEnvelope(kB)->expires_at == 1893542400);
  Captured e2 = env.Ctl({"envelope", "expire", kB});
  REQUIRE(e2.rc == kExitOk);
  Captured expired = env.Ctl({"envelope", "list", "--state", "expired"});
  CHECK(expired.out.find(kB) != std::string::npos);
  Captured e3 = env.Ctl({"envelope", "expire", "--at", "never", kB});
  REQUIRE(e3.rc == kExitOk);
  CHECK(env.store->GetEnvelope(kB)->expires_at == 0);
  CHECK(env.Ctl({"envelope", "expire", "--at", "yesterday", kB}).rc ==
        kExitUsage);
  CHECK(env.Ctl({"envelope", "expire", "--at", "2030-01-02X", kB}).rc ==
        kExitUsage);
}

TEST_CASE("sealctl envelope audit") {
  Env env;
  store::PortalAuditRecord a;
  a.envelope_id = kA;
  a.email = "bob@example.org";
  a.action = "key_release";
  a.remote_addr = "192.0.2.7";
  REQUIRE(env.store->RecordPortalAudit(a).ok());
  a.envelope_id = kB;
  a.action = "denied_revoked";
  a.detail = "evil\x1b[2Jtext";  // the store refuses control characters
  CHECK_FALSE(env.store->RecordPortalAudit(a).ok());
  a.detail = "revoked by root";
  REQUIRE(env.store->RecordPortalAudit(a).ok());
  Captured all = env.Ctl({"envelope", "audit"});
  REQUIRE(all.rc == kExitOk);
  CHECK(all.out.find("key_release") != std::string::npos);
  CHECK(all.out.find("denied_revoked") != std::string::npos);
  CHECK(all.out.find('\x1b') == std::string::npos);
  Captured one = env.Ctl({"envelope", "audit", kA});
  REQUIRE(one.rc == kExitOk);
  CHECK(one.out.find("denied_revoked") == std::string::npos);
  CHECK(env.Ctl({"envelope", "audit", "xyz"}).rc == kExitFailure);
  CHECK(env.Ctl({"envelope", "audit", kA, kB}).rc == kExitUsage);
}

TEST_CASE("sealctl envelope: malformed and unknown ids, bad options") {
  Env env;
  for (std::string verb : {"show", "revoke", "expire"}) {
    INFO(verb);
    Captured bad = env.Ctl({"envelope", verb, "not-an-id"});
    CHECK(bad.rc == kExitFailure);
    CHECK(bad.err.find("32 hex digits") != std::string::npos);
    Captured unknown = env.Ctl({"envelope", verb, kA});
    CHECK(unknown.rc == kExitFailure);
    CHECK(unknown.err.find("no envelope") != std::string::npos);
    CHECK(env.Ctl({"envelope", verb}).rc == kExitUsage);
    CHECK(env.Ctl({"envelope", verb, kA, "--bogus"}).rc == kExitUsage);
  }
  CHECK(env.Ctl({"envelope", "list", "--state", "held"}).rc == kExitUsage);
  CHECK(env.Ctl({"envelope", "list", "--limit", "0"}).rc == kExitUsage);
  CHECK(env.Ctl({"envelope", "list", "--limit", "-3"}).rc == kExitUsage);
  CHECK(env.Ctl({"envelope", "list", "--sender", "no-at"}).rc == kExitFailure);
  Captured missing = RunCaptured(
      {"envelope", "list", "-c", env.conf, "--store", env.dir + "/none.db"});
  CHECK(missing.rc == kExitConfig);
  CHECK(missing.err.find("does not exist") != std::string::npos);
}

}  // namespace
}  // namespace seal::ctl
