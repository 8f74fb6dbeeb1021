// The milter's portal side of a secure envelope (lib/gateway/rewrite.h):
// with portal.url set, an envelope carries a passphrase and a portal slot
// (only the portal slot when JS-free) and its EnvelopeRecord is in the
// store before the rewrite is returned; a missing key ring, a missing
// store or a failing PutEnvelope fail closed (kUnavailable, and
// ProcessMessage tempfails with no body change); the envelope.* option
// defaults and envelope.sender_options apply; with the subject kept inside,
// the fields repeating it (Thread-Topic, ...) leave the notification.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "lib/envelope/base64.h"
#include "lib/envelope/envelope_reader.h"
#include "lib/envelope/portal_key.h"
#include "lib/gateway/policy.h"
#include "lib/gateway/process.h"
#include "lib/gateway/rewrite.h"
#include "lib/mime/mime_parser.h"
#include "lib/snapshot.h"
#include "lib/store/open_store.h"
#include "tests/unit/capture_log.h"

namespace seal::gateway {
namespace {

namespace env = seal::envelope;

const std::string kKey(32, '\x42');
const std::string kOldKey(32, '\x17');

class Fixture {
 public:
  explicit Fixture(size_t max_envelope_recipients = 1000) {
    char tmpl[] = "/tmp/seal-portal-slot-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    store::StoreOptions o;
    o.path = dir_ + "/store.db";
    o.limits.max_envelope_recipients = max_envelope_recipients;
    auto opened = store::OpenStore(o);
    REQUIRE(opened.ok());
    store_ = std::move(*opened);

    key_file_ = dir_ + "/portal.key";
    std::ofstream(key_file_)
        << "# test keys\n"
        << env::kPortalKeyTag << " cur-1 " << env::Base64Encode(kKey) << "\n"
        << env::kPortalKeyTag << " old-0 " << env::Base64Encode(kOldKey)
        << "\n";
    REQUIRE(chmod(key_file_.c_str(), 0600) == 0);
    std::ofstream(dir_ + "/rules.toml") << R"(
[[rule]]
id = "secret"
description = "secret"
scopes = "body"
patterns = 'SECRET'
action = "encrypt"
)";
    config_ = Config::Defaults();
    config_.rules.shipped = false;
    config_.rules.paths = {dir_ + "/rules.toml"};
    config_.spool.directory = dir_;
    config_.gateway.reinject = "127.0.0.1:1";  // nothing is sent in tests
    config_.portal.url = "https://secure.example.com";
    config_.portal.key_file = key_file_;
    config_.portal.security = "high";
  }
  ~Fixture() {
    store_.reset();
    for (const char* f : {"/store.db", "/store.db-wal", "/store.db-shm",
                          "/rules.toml", "/portal.key"}) {
      unlink((dir_ + f).c_str());
    }
    rmdir(dir_.c_str());
  }

  std::shared_ptr<const Policy> BuildPolicyNow() {
    auto policy = BuildPolicy(config_);
    INFO(policy.status().ToString());
    REQUIRE(policy.ok());
    return *policy;
  }

  Result<EnvelopeRewrite> Rewrite(const std::string& raw, bool with_store) {
    auto policy = BuildPolicyNow();
    MessageParts parts = SplitMessage(raw);
    EnvelopeParams params;
    params.sender = "Alice@Example.com";
    params.recipients = {"bob@example.org", "Carol@Example.org"};
    params.store = with_store ? store_.get() : nullptr;
    params.store_error = with_store ? "" : "store down";
    SpoolOptions spool;
    spool.directory = dir_;
    return RewriteEnvelope(raw, parts, params, config_, *policy, spool);
  }

  Outcome Process(const std::string& raw, bool with_store) {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->config = config_;
    snapshot->policy = BuildPolicyNow();
    Transaction t(snapshot, Logger("s1/4Q9"));
    t.envelope().sender = "alice@example.com";
    t.envelope().auth_authen = "alice";
    t.envelope().recipients = {"bob@example.org"};
    REQUIRE(t.spool().Append(raw).ok());
    ConnectionInfo c;
    c.client_addr = "192.0.2.9";
    Services services;
    if (with_store) {
      services.store = store_.get();
    } else {
      services.store_error = "store down";
    }
    return ProcessMessage(t, c, services);
  }

  Config& config() { return config_; }
  store::Store& store() { return *store_; }
  const std::string& key_file() const { return key_file_; }

 private:
  std::string dir_;
  std::string key_file_;
  std::unique_ptr<store::Store> store_;
  Config config_;
};

// The envelope page inside the rewritten message's body.
std::string EnvelopeHtml(const EnvelopeRewrite& r) {
  std::string content_type;
  for (const HeaderEdit& h : r.plan.headers) {
    if (h.name == "Content-Type") content_type = h.value;
  }
  REQUIRE_FALSE(content_type.empty());
  REQUIRE(r.plan.body != nullptr);
  auto view = r.plan.body->Map();
  REQUIRE(view.ok());
  std::string message =
      "Content-Type:" + content_type + "\r\n\r\n" + std::string(view->data());
  auto mime = mime::ParseMime(message);
  REQUIRE(mime.ok());
  for (const mime::PartView& p : mime->parts) {
    if (p.FileName() != "secure-message.html") continue;
    auto body = mime::DecodeBody(*mime, p, message.size());
    REQUIRE(body.ok());
    return body->bytes;
  }
  FAIL("no envelope attachment");
  return "";
}

const std::string kMail =
    "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: s\r\n"
    "X-Seal-Forward: no\r\nX-Seal-Read-Receipt: yes\r\n"
    "X-Seal-Expires: +2\r\n\r\nSECRET text\r\n";
const std::string kOriginal =
    "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: s\r\n"
    "\r\nSECRET text\r\n";

TEST_CASE("portal: the envelope has both slots and its record is stored",
          "[portal]") {
  Fixture f;
  auto r = f.Rewrite(kMail, true);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->portal_key_id == "cur-1");
  CHECK_FALSE(r->passphrase_notice.empty());

  std::string html = EnvelopeHtml(*r);
  auto metadata = env::ReadEnvelopeMetadata(html);
  REQUIRE(metadata.ok());
  CHECK(metadata->id == r->envelope_id);
  CHECK(metadata->portal_url == "https://secure.example.com");
  int passphrase_slots = 0, portal_slots = 0;
  for (const env::KeySlot& s : metadata->slots) {
    if (s.type == env::KeySlot::Type::kPassphrase) ++passphrase_slots;
    if (s.type == env::KeySlot::Type::kPortal) {
      ++portal_slots;
      CHECK(s.key_id == "cur-1");
    }
  }
  CHECK(passphrase_slots == 1);
  CHECK(portal_slots == 1);
  auto opened = env::OpenEnvelopeWithPortalKey(
      html, env::PortalSlotSpec{"cur-1", kKey}, env::OpenOptions{});
  REQUIRE(opened.ok());
  CHECK(opened->message == kOriginal);  // option fields removed
  CHECK_FALSE(
      env::OpenEnvelopeWithPortalKey(
          html, env::PortalSlotSpec{"cur-1", kOldKey}, env::OpenOptions{})
          .ok());

  auto rec = f.store().GetEnvelope(r->envelope_id);
  REQUIRE(rec.ok());
  CHECK(rec->sender == "alice@example.com");
  CHECK(rec->recipients ==
        std::vector<std::string>{"bob@example.org", "carol@example.org"});
  CHECK(rec->portal_key_id == "cur-1");
  CHECK(rec->security == store::EnvelopeSecurity::kHigh);
  REQUIRE(metadata->expires.has_value());
  CHECK(rec->expires_at == metadata->expires->time_since_epoch().count());
  CHECK(rec->expires_at - metadata->created.time_since_epoch().count() ==
        2 * 86400);
  CHECK(rec->reply);
  CHECK(rec->reply_all);
  CHECK_FALSE(rec->forward);
  CHECK(rec->read_receipt);
  CHECK(rec->StateAt(rec->created_at) == store::EnvelopeState::kActive);
}

TEST_CASE("portal: JS-free envelopes carry the portal slot only", "[portal]") {
  Fixture f;
  const std::string mail =
      "From: alice@example.com\r\nSubject: s\r\nX-Seal-JS-Free: yes\r\n"
      "\r\nSECRET\r\n";
  auto r = f.Rewrite(mail, true);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->passphrase_notice.empty());
  std::string html = EnvelopeHtml(*r);
  auto metadata = env::ReadEnvelopeMetadata(html);
  REQUIRE(metadata.ok());
  CHECK(metadata->options.js_free);
  REQUIRE(metadata->slots.size() == 1);
  CHECK(metadata->slots[0].type == env::KeySlot::Type::kPortal);
  CHECK(html.find("<script>") == std::string::npos);  // no executable one
  CHECK(html.find("script-src &#39;none&#39;") != std::string::npos);
  CHECK(f.store().GetEnvelope(r->envelope_id).ok());

  // Without a portal the JS-free request still fails closed.
  f.config().portal.url = "";
  auto none = f.Rewrite(mail, true);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(none.status().message(), Catch::Contains("portal.url"));
}

TEST_CASE("portal: the current key seals; after rotation the new one",
          "[portal]") {
  Fixture f;
  std::ofstream(f.key_file(), std::ios::trunc)
      << env::kPortalKeyTag << " new-2 " << env::Base64Encode(kOldKey) << "\n"
      << env::kPortalKeyTag << " cur-1 " << env::Base64Encode(kKey) << "\n";
  auto r = f.Rewrite(kMail, true);
  REQUIRE(r.ok());
  CHECK(r->portal_key_id == "new-2");
  CHECK(f.store().GetEnvelope(r->envelope_id)->portal_key_id == "new-2");
}

TEST_CASE("portal: fail closed without keys or store", "[portal]") {
  SECTION("key file missing") {
    Fixture f;
    f.config().portal.key_file = "/nonexistent/portal.key";
    auto policy = f.BuildPolicyNow();  // the build itself does not fail
    CHECK(policy->portal_keys == nullptr);
    CHECK_THAT(policy->portal_key_error, Catch::Contains("does not exist"));
    auto r = f.Rewrite(kMail, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(r.status().message(), Catch::Contains("portal keys"));
    CHECK(f.store().ListEnvelopes()->empty());
    Outcome out = f.Process(kMail, true);
    CHECK(out.verdict.kind == Verdict::Kind::kTempfail);
    CHECK(out.verdict.smtp_code == "451");
    CHECK(out.plan.empty());
  }
  SECTION("key file group-readable") {
    Fixture f;
    REQUIRE(chmod(f.key_file().c_str(), 0640) == 0);
    auto r = f.Rewrite(kMail, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK(f.Process(kMail, true).verdict.kind == Verdict::Kind::kTempfail);
  }
  SECTION("key file malformed") {
    Fixture f;
    std::ofstream(f.key_file(), std::ios::trunc) << "garbage\n";
    auto r = f.Rewrite(kMail, true);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("line 1"));
  }
  SECTION("store unavailable") {
    Fixture f;
    auto r = f.Rewrite(kMail, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(r.status().message(), Catch::Contains("store down"));
    Outcome out = f.Process(kMail, false);
    CHECK(out.verdict.kind == Verdict::Kind::kTempfail);
    CHECK(out.verdict.smtp_code == "451");
    CHECK(out.plan.empty());
  }
  SECTION("PutEnvelope fails") {
    Fixture f(/*max_envelope_recipients=*/1);
    auto r = f.Rewrite(kMail, true);  // two recipients
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(r.status().message(), Catch::Contains("cannot record"));
    CHECK(f.store().ListEnvelopes()->empty());
  }
}

TEST_CASE("portal: ProcessMessage tempfails when the record cannot be made",
          "[portal]") {
  // One recipient fits, so the store answers; the key ring is the failure.
  Fixture f;
  std::ofstream(f.key_file(), std::ios::trunc) << "";
  Outcome out = f.Process(kMail, true);
  CHECK(out.verdict.kind == Verdict::Kind::kTempfail);
  CHECK(out.plan.empty());
  CHECK(f.store().ListEnvelopes()->empty());
}

TEST_CASE("no portal: passphrase slot only, no record", "[portal]") {
  Fixture f;
  f.config().portal.url = "";
  auto r = f.Rewrite(kMail, false);  // no store needed
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->portal_key_id.empty());
  auto metadata = env::ReadEnvelopeMetadata(EnvelopeHtml(*r));
  REQUIRE(metadata.ok());
  REQUIRE(metadata->slots.size() == 1);
  CHECK(metadata->slots[0].type == env::KeySlot::Type::kPassphrase);
  CHECK(metadata->portal_url.empty());
}

TEST_CASE("envelope: fields repeating the subject stay inside with it",
          "[portal]") {
  // The clear notification must not say what the default keeps inside:
  // Outlook's Thread-Topic is a copy of the Subject.
  const std::string mail =
      "From: alice@example.com\r\nTo: bob@example.org\r\n"
      "Subject: Project Falcon\r\nThread-Topic: Project Falcon\r\n"
      "Keywords: falcon\r\nComments: about falcon\r\n"
      "\r\nSECRET text\r\n";
  auto deleted = [](const EnvelopeRewrite& r, const std::string& name) {
    for (const HeaderEdit& h : r.plan.headers) {
      if (h.kind == HeaderEdit::Kind::kDelete && h.name == name) return true;
    }
    return false;
  };
  Fixture f;
  f.config().portal.url = "";
  SECTION("subject inside (the default): they go") {
    auto r = f.Rewrite(mail, false);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(deleted(*r, "Thread-Topic"));
    CHECK(deleted(*r, "Keywords"));
    CHECK(deleted(*r, "Comments"));
  }
  SECTION("subject in the notification: they stay") {
    f.config().envelope.subject_in_notification = true;
    auto r = f.Rewrite(mail, false);
    REQUIRE(r.ok());
    CHECK_FALSE(deleted(*r, "Thread-Topic"));
  }
}

TEST_CASE("envelope: the passphrase notice goes only to a sender of ours",
          "[portal]") {
  Config c = Config::Defaults();
  CHECK(NoticeRefusal(c, "bounces@esp.example").empty());  // nothing set
  CHECK_FALSE(NoticeRefusal(c, "").empty());
  c.gateway.internal_domains = {"example.com", ".corp.example"};
  CHECK(NoticeRefusal(c, "alice@example.com").empty());
  CHECK(NoticeRefusal(c, "alice@Example.COM").empty());
  CHECK(NoticeRefusal(c, "bob@eu.corp.example").empty());
  CHECK_THAT(NoticeRefusal(c, "bounces@esp.example"),
             Catch::Contains("gateway.internal_domains"));

  // Through ProcessMessage: an app server's mail from an outside address
  // fails closed (the failure policy), and no notice is built.
  testing::CaptureScope capture;
  Fixture f;
  f.config().portal.url = "";
  f.config().gateway.internal_domains = {"corp.example"};
  Outcome o = f.Process(kOriginal, true);
  CHECK(o.verdict.kind == Verdict::Kind::kTempfail);
  CHECK(o.plan.body == nullptr);
  CHECK_THAT(capture.sink->All(),
             Catch::Contains("no passphrase notice possible"));
  capture.sink->lines.clear();
  // (The notice for alice would then be sent to gateway.reinject, which
  // nothing answers here.)
  f.config().gateway.internal_domains = {"example.com"};
  o = f.Process(kOriginal, true);
  CHECK_FALSE(Catch::Contains("no passphrase notice possible")
                  .match(capture.sink->All()));
}

TEST_CASE("envelope: a result over gateway.max_message_size is oversize",
          "[portal]") {
  // A secure envelope is many times a short message: over the MTA's limit
  // it would be refused at every retry, so it is gateway.oversize at once
  // (default reject, 552 5.3.4), and nothing is changed or sent.
  Fixture f;
  f.config().portal.url = "";
  f.config().gateway.max_message_size = 4096;
  Outcome o = f.Process(kOriginal, true);
  CHECK(o.verdict.kind == Verdict::Kind::kReject);
  CHECK(o.verdict.smtp_code == "552");
  CHECK(o.verdict.enhanced_code == "5.3.4");
  CHECK(o.plan.body == nullptr);
  f.config().gateway.oversize = "tempfail";
  o = f.Process(kOriginal, true);
  CHECK(o.verdict.kind == Verdict::Kind::kTempfail);
  // A limit it fits in changes nothing about the treatment.
  f.config().gateway.oversize = "reject";
  f.config().gateway.max_message_size = 64 << 20;
  o = f.Process(kOriginal, true);
  CHECK(o.verdict.kind != Verdict::Kind::kReject);
}

TEST_CASE("envelope option defaults and sender_options", "[portal]") {
  Config c = Config::Defaults();
  c.envelope.reply = false;
  c.envelope.forward = false;
  c.envelope.read_receipt = true;
  c.envelope.expires_seconds = 3600;
  env::OptionPolicy p = OptionPolicyFor(c);
  CHECK_FALSE(p.defaults.reply);
  CHECK(p.defaults.reply_all);
  CHECK_FALSE(p.defaults.forward);
  CHECK(p.defaults.read_receipt);
  CHECK_FALSE(p.defaults.js_free);
  CHECK(p.sender_may_override);
  CHECK(p.defaults.expires_after == std::chrono::seconds(3600));
  c.envelope.expires_seconds = 0;
  CHECK_FALSE(OptionPolicyFor(c).defaults.expires_after.has_value());

  Fixture f;
  f.config().envelope.sender_options = false;
  f.config().envelope.reply_all = false;
  auto r = f.Rewrite(kMail, true);  // its X-Seal-* fields are ignored
  REQUIRE(r.ok());
  auto rec = f.store().GetEnvelope(r->envelope_id);
  REQUIRE(rec.ok());
  CHECK(rec->forward);  // the header said no; the default is yes
  CHECK_FALSE(rec->read_receipt);
  CHECK_FALSE(rec->reply_all);
  CHECK(rec->expires_at - rec->created_at >= 29 * 86400);  // 30d default
}

}  // namespace
}  // namespace seal::gateway
