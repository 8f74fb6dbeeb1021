// The quarantine treatment: into the Store (the MTA's copy discarded), into
// the MTA's hold queue, and the fail-closed answers when the store is
// missing, failing or too small for the message.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "lib/gateway/policy.h"
#include "lib/gateway/process.h"
#include "lib/gateway/quarantine.h"
#include "lib/snapshot.h"
#include "lib/store/open_store.h"

namespace seal::gateway {
namespace {

class TempStore {
 public:
  explicit TempStore(size_t max_bytes = 1 << 20) {
    char tmpl[] = "/tmp/seal-quar-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    store::StoreOptions o;
    o.path = dir_ + "/store.db";
    o.limits.max_quarantine_bytes = max_bytes;
    auto opened = store::OpenStore(o);
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
  }
  ~TempStore() {
    store_.reset();
    for (const char* f :
         {"/store.db", "/store.db-wal", "/store.db-shm", "/rules.toml"}) {
      unlink((dir_ + f).c_str());
    }
    rmdir(dir_.c_str());
  }
  store::Store& get() { return *store_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::unique_ptr<store::Store> store_;
};

Envelope TestEnvelope() {
  Envelope e;
  e.sender = "alice@example.com";
  e.auth_authen = "alice";
  e.recipients = {"bob@example.org", "carol@example.org"};
  return e;
}

const std::string kRaw = "Subject: s\r\n\r\nsecret IBAN\r\n";

TEST_CASE("quarantine mode names") {
  CHECK(*ParseQuarantineMode("") == QuarantineMode::kStore);
  CHECK(*ParseQuarantineMode("store") == QuarantineMode::kStore);
  CHECK(*ParseQuarantineMode("mta") == QuarantineMode::kMta);
  for (const char* bad : {"MTA", "hold", "store ", "none"}) {
    INFO(bad);
    CHECK(ParseQuarantineMode(bad).status().code() ==
          StatusCode::kInvalidArgument);
  }
  CHECK(QuarantineModeName(QuarantineMode::kMta) == "mta");
  CHECK(QuarantineModeName(QuarantineMode::kStore) == "store");
}

TEST_CASE("quarantine into the store: kept intact, the MTA's copy dropped") {
  TempStore st;
  EditPlan plan;
  QuarantineTreatment q = TreatQuarantine(
      QuarantineMode::kStore, &st.get(), "", kRaw, TestEnvelope(), "4Xk2",
      "content policy (dlp)", plan, "192.0.2.7");
  REQUIRE(q.error.ok());
  CHECK(q.verdict.kind == Verdict::Kind::kDiscard);
  CHECK(plan.empty());
  REQUIRE(q.detail.rfind("quarantine=store id=", 0) == 0);
  std::string id = q.detail.substr(q.detail.find("id=") + 3);
  Result<store::QuarantineRecord> rec = st.get().GetQuarantine(id, true);
  REQUIRE(rec.ok());
  CHECK(rec->message == kRaw);
  CHECK(rec->queue_id == "4Xk2");
  CHECK(rec->sender == "alice@example.com");
  CHECK(rec->recipients == TestEnvelope().recipients);
  CHECK(rec->reason == "content policy (dlp)");
  CHECK(rec->auth_user == "alice");
  CHECK(rec->client_addr == "192.0.2.7");
}

TEST_CASE("quarantine without a store tempfails, never accepts") {
  EditPlan plan;
  QuarantineTreatment q =
      TreatQuarantine(QuarantineMode::kStore, nullptr, "database locked", kRaw,
                      TestEnvelope(), "", "content policy (dlp)", plan);
  CHECK(q.verdict.kind == Verdict::Kind::kTempfail);
  CHECK(q.verdict.smtp_code == "451");
  CHECK_THAT(q.error.message(), Catch::Contains("database locked"));
  CHECK(plan.empty());
}

TEST_CASE(
    "quarantine: a store error tempfails, a message over the cap is "
    "refused") {
  TempStore st(16);
  EditPlan plan;
  QuarantineTreatment q =
      TreatQuarantine(QuarantineMode::kStore, &st.get(), "", kRaw,
                      TestEnvelope(), "", "content policy (dlp)", plan);
  CHECK(q.verdict.kind == Verdict::Kind::kReject);
  CHECK(q.verdict.smtp_code == "552");
  CHECK(q.error.code() == StatusCode::kResourceExhausted);

  Envelope hostile = TestEnvelope();
  hostile.recipients.push_back("x@example.org\r\nDATA");
  q = TreatQuarantine(QuarantineMode::kStore, &st.get(), "", "x", hostile, "",
                      "r", plan);
  CHECK(q.verdict.kind == Verdict::Kind::kTempfail);
  CHECK(q.error.code() == StatusCode::kInvalidArgument);
  CHECK(st.get().ListQuarantine()->empty());
}

TEST_CASE("quarantine in the MTA's hold queue") {
  EditPlan plan;
  QuarantineTreatment q =
      TreatQuarantine(QuarantineMode::kMta, nullptr, "", kRaw, TestEnvelope(),
                      "", "content policy (dlp)", plan);
  CHECK(q.verdict.kind == Verdict::Kind::kAccept);
  CHECK(plan.quarantine == "sealmilter: content policy (dlp)");
  CHECK(q.detail == "quarantine=mta");
}

TEST_CASE("queue id from the log context") {
  CHECK(QueueIdOfLogContext("s12/4Xk2Lq1zV9z2") == "4Xk2Lq1zV9z2");
  CHECK(QueueIdOfLogContext("s12") == "");
  CHECK(QueueIdOfLogContext("s12/-") == "");
  CHECK(QueueIdOfLogContext("") == "");
}

// ProcessMessage with a quarantine rule: the treatment is wired in where
// the decision is made.
struct Daemon {
  explicit Daemon(const std::string& dir) {
    std::ofstream(dir + "/rules.toml") << R"(
[[rule]]
id = "hold"
description = "held"
scopes = "body"
patterns = 'HOLD-ME'
action = "quarantine"
)";
    Result<Config> config =
        LoadConfig(ConfigSource{dir + "/no-such.conf", false});
    REQUIRE(config.ok());
    config->rules.shipped = false;
    config->rules.paths = {dir + "/rules.toml"};
    config->spool.directory = dir;
    auto policy = BuildPolicy(*config);
    INFO(policy.status().ToString());
    REQUIRE(policy.ok());
    snapshot = std::make_shared<Snapshot>();
    snapshot->config = *config;
    snapshot->policy = *policy;
  }
  Outcome Run(const Services& services, const std::string& raw) {
    Transaction t(snapshot, Logger("s1/4Q9"));
    t.envelope() = TestEnvelope();
    REQUIRE(t.spool().Append(raw).ok());
    ConnectionInfo c;
    c.client_addr = "192.0.2.9";
    return ProcessMessage(t, c, services);
  }
  std::shared_ptr<Snapshot> snapshot;
};

TEST_CASE("ProcessMessage: a quarantine rule stores the message") {
  TempStore st;
  Daemon d(st.dir());
  const std::string held = "Subject: s\r\n\r\nplease HOLD-ME\r\n";
  Services services;
  services.store = &st.get();
  Outcome out = d.Run(services, held);
  CHECK(out.verdict.kind == Verdict::Kind::kDiscard);
  CHECK(out.plan.empty());
  auto list = st.get().ListQuarantine();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->front().queue_id == "4Q9");
  CHECK(list->front().client_addr == "192.0.2.9");
  CHECK(list->front().reason == "content policy (hold)");
  CHECK(st.get().GetQuarantine(list->front().id, true)->message == held);

  // Mail the rule does not hold is not stored.
  CHECK(d.Run(services, "Subject: s\r\n\r\nhello\r\n").verdict.kind ==
        Verdict::Kind::kAccept);
  CHECK(st.get().ListQuarantine()->size() == 1);

  // No store: tempfail, never accept.
  Services none;
  none.store_error = "cannot open";
  CHECK(d.Run(none, held).verdict.kind == Verdict::Kind::kTempfail);

  // The MTA's hold queue (gateway.quarantine = "mta").
  d.snapshot->config.gateway.quarantine = "mta";
  Services mta;
  Outcome m = d.Run(mta, held);
  d.snapshot->config.gateway.quarantine = "store";
  CHECK(m.verdict.kind == Verdict::Kind::kAccept);
  CHECK_THAT(m.plan.quarantine, Catch::Contains("hold"));

  // Released by an administrator: passes as if the rule had not fired.
  Services released;
  released.store = &st.get();
  released.quarantine_released = true;
  Outcome r = d.Run(released, held);
  CHECK(r.verdict.kind == Verdict::Kind::kAccept);
  CHECK(r.plan.quarantine.empty());
  CHECK(st.get().ListQuarantine()->size() == 1);
}

}  // namespace
}  // namespace seal::gateway
