// Per-recipient envelope passphrases in the gateway
// (lib/gateway/recipient_passphrases.h, RewriteEnvelope with
// envelope.passphrase = "per-recipient", SplitEnvelopeGroups): a new
// recipient's passphrase is created and announced once, reused with its
// stored salt and KEK afterwards, announced again while its use was never
// recorded, never announced when an administrator set it; without the
// vault the envelope is kUnavailable and ProcessMessage tempfails.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <string>

#include "lib/envelope/envelope_reader.h"
#include "lib/envelope/key_slots.h"
#include "lib/gateway/groups.h"
#include "lib/gateway/policy.h"
#include "lib/gateway/process.h"
#include "lib/gateway/recipient_passphrases.h"
#include "lib/gateway/rewrite.h"
#include "lib/mime/mime_parser.h"
#include "lib/snapshot.h"
#include "lib/store/master_key.h"
#include "lib/store/open_store.h"
#include "lib/store/passphrase_vault.h"

namespace seal::gateway {
namespace {

namespace env = seal::envelope;

class Fixture {
 public:
  Fixture() {
    char tmpl[] = "/tmp/seal-rcpt-pass-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    store::StoreOptions o;
    o.path = dir_ + "/store.db";
    auto opened = store::OpenStore(o);
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
    auto key = store::MasterKey::FromBytes(std::string(32, '\x5a'));
    REQUIRE(key.ok());
    master_.emplace(std::move(*key));
    vault_ = std::make_unique<store::PassphraseVault>(*store_, *master_);
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
    config_.envelope.passphrase = "per-recipient";
    auto policy = BuildPolicy(config_);
    INFO(policy.status().ToString());
    REQUIRE(policy.ok());
    policy_ = *policy;
  }
  ~Fixture() {
    vault_.reset();
    store_.reset();
    for (const char* f :
         {"/store.db", "/store.db-wal", "/store.db-shm", "/rules.toml"}) {
      unlink((dir_ + f).c_str());
    }
    rmdir(dir_.c_str());
  }

  Result<EnvelopeRewrite> Rewrite(const std::vector<std::string>& rcpts,
                                  bool with_vault = true) {
    MessageParts parts = SplitMessage(kMail);
    EnvelopeParams params;
    params.sender = "alice@example.com";
    params.recipients = rcpts;
    params.store = store_.get();
    if (with_vault) {
      params.passphrase_vault = vault_.get();
    } else {
      params.passphrase_error = "no master key";
    }
    SpoolOptions spool;
    spool.directory = dir_;
    return RewriteEnvelope(kMail, parts, params, config_, *policy_, spool);
  }

  store::Store& store() { return *store_; }
  store::PassphraseVault& vault() { return *vault_; }
  Config& config() { return config_; }
  const std::shared_ptr<const Policy>& policy() const { return policy_; }

  static inline const std::string kMail =
      "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: s\r\n"
      "\r\nSECRET text\r\n";

 private:
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::optional<store::MasterKey> master_;
  std::unique_ptr<store::PassphraseVault> vault_;
  Config config_;
  std::shared_ptr<const Policy> policy_;
};

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

// The generated passphrases named in a notice, in order.
std::vector<std::string> Announced(const std::string& notice) {
  // The notice body is quoted-printable; generated passphrases have no
  // character QP would escape, but lines may be soft-broken.
  std::string text;
  for (size_t i = 0; i < notice.size(); ++i) {
    if (notice[i] == '=' && i + 2 < notice.size() && notice[i + 1] == '\r' &&
        notice[i + 2] == '\n') {
      i += 2;
      continue;
    }
    text += notice[i];
  }
  static const std::regex kGenerated("\\b([2-9a-z]{4}(?:-[2-9a-z]{4}){5})\\b");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kGenerated);
       it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

std::vector<env::KeySlot> PassphraseSlots(const std::string& html) {
  auto metadata = env::ReadEnvelopeMetadata(html);
  REQUIRE(metadata.ok());
  std::vector<env::KeySlot> out;
  for (const env::KeySlot& s : metadata->slots) {
    if (s.type == env::KeySlot::Type::kPassphrase) out.push_back(s);
  }
  return out;
}

TEST_CASE("per-recipient: an old passphrase.txt stops start-up, not mail",
          "[passphrase]") {
  char tmpl[] = "/tmp/seal-rcpt-tmpl-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  // An admin copy from before per-recipient passphrases: no list block.
  std::ofstream(dir + "/passphrase.txt")
      << "{{sender.intro}}\n\n    {{passphrase}}\n";
  Config config = Config::Defaults();
  config.envelope.templates = dir;
  config.envelope.passphrase = "per-recipient";
  auto refused = BuildPolicy(config);
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(refused.status().message(),
             Catch::Contains("{{=personal_passphrases}}") &&
                 Catch::Contains("passphrase.txt"));
  config.envelope.passphrase = "per-message";  // the old copy still serves
  CHECK(BuildPolicy(config).ok());
  std::ofstream(dir + "/passphrase.txt")
      << "{{sender.intro}}\n{{#personal}}\n{{=personal_passphrases}}\n"
         "{{/personal}}\n";
  config.envelope.passphrase = "per-recipient";
  CHECK(BuildPolicy(config).ok());
  unlink((dir + "/passphrase.txt").c_str());
  rmdir(dir.c_str());
}

TEST_CASE("split: envelope groups become one group per recipient",
          "[passphrase]") {
  std::vector<Group> groups = {
      Group{Method::kClear, false, false, TlsLevel::kNone, {0}, {"a@x.org"}},
      Group{Method::kSmime,
            false,
            false,
            TlsLevel::kNone,
            {1, 2},
            {"b@x.org", "c@x.org"}},
      Group{Method::kEnvelope,
            false,
            false,
            TlsLevel::kNone,
            {3, 4, 5},
            {"d@y.org", "e@y.org", "f@y.org"}},
      Group{Method::kEnvelope, false, true, TlsLevel::kNone, {6}, {"g@y.org"}},
  };
  SplitEnvelopeGroups(groups);
  REQUIRE(groups.size() == 6);
  CHECK(groups[1].recipients.size() == 2);  // S/MIME stays shared
  for (size_t i = 2; i < 5; ++i) {
    CHECK(groups[i].method == Method::kEnvelope);
    CHECK(groups[i].recipients.size() == 1);
    CHECK(groups[i].members.size() == 1);
    CHECK_FALSE(groups[i].bcc);
  }
  CHECK(groups[2].recipients[0] == "d@y.org");
  CHECK(groups[3].members[0] == 4);
  CHECK(groups[4].recipients[0] == "f@y.org");
  CHECK(groups[5].bcc);
  std::vector<Group> none;
  SplitEnvelopeGroups(none);
  CHECK(none.empty());
}

TEST_CASE("per-recipient: created and announced once, then reused",
          "[passphrase]") {
  Fixture f;
  auto first = f.Rewrite({"bob@example.org", "Carol@Example.org"});
  INFO(first.status().ToString());
  REQUIRE(first.ok());
  std::vector<std::string> announced = Announced(first->passphrase_notice);
  REQUIRE(announced.size() == 2);
  CHECK(announced[0] != announced[1]);
  CHECK(first->passphrase_notice.find("carol@example.org") !=
        std::string::npos);
  CHECK(first->passphrase_uses ==
        std::vector<std::string>{"bob@example.org", "carol@example.org"});

  std::string html = EnvelopeHtml(*first);
  std::vector<env::KeySlot> slots = PassphraseSlots(html);
  REQUIRE(slots.size() == 2);
  CHECK(slots[0].label == "bob@example.org");
  CHECK(slots[1].label == "carol@example.org");
  CHECK(slots[0].iterations >= env::kMinIterations);
  auto opened = env::OpenEnvelope(html, announced[1], env::OpenOptions{});
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  CHECK(opened->message == Fixture::kMail);

  // The stored secret is what the slot was made from.
  auto bob = f.vault().Get("bob@example.org");
  REQUIRE(bob.ok());
  CHECK(bob->passphrase == announced[0]);
  CHECK(bob->salt == slots[0].salt);
  auto kek = env::DerivePassphraseKek(bob->passphrase, bob->generated,
                                      bob->salt, bob->iterations);
  REQUIRE(kek.ok());
  CHECK(*kek == bob->kek);

  // Not yet marked: the next envelope announces the same ones again.
  auto again = f.Rewrite({"bob@example.org"});
  REQUIRE(again.ok());
  CHECK(Announced(again->passphrase_notice) ==
        std::vector<std::string>{announced[0]});

  REQUIRE(MarkAnnounced(f.store(), first->passphrase_uses).ok());
  auto rec = f.store().GetRecipientPassphrase("bob@example.org");
  REQUIRE(rec.ok());
  CHECK(rec->use_count == 1);
  CHECK(rec->origin == "message");

  // Known now: no notice; the same salt (no new PBKDF2); opens with it.
  auto later = f.Rewrite({"bob@example.org"});
  REQUIRE(later.ok());
  CHECK(later->passphrase_notice.empty());
  std::string later_html = EnvelopeHtml(*later);
  std::vector<env::KeySlot> later_slots = PassphraseSlots(later_html);
  REQUIRE(later_slots.size() == 1);
  CHECK(later_slots[0].salt == slots[0].salt);
  CHECK(later_slots[0].iv != slots[0].iv);  // a fresh wrap all the same
  auto reopened =
      env::OpenEnvelope(later_html, announced[0], env::OpenOptions{});
  REQUIRE(reopened.ok());
  CHECK_FALSE(
      env::OpenEnvelope(later_html, announced[1], env::OpenOptions{}).ok());
}

TEST_CASE("per-recipient: mixed known and new recipients", "[passphrase]") {
  Fixture f;
  auto first = f.Rewrite({"bob@example.org"});
  REQUIRE(first.ok());
  REQUIRE(MarkAnnounced(f.store(), first->passphrase_uses).ok());
  std::string bob = Announced(first->passphrase_notice).at(0);

  auto mixed = f.Rewrite({"bob@example.org", "dave@example.org"});
  REQUIRE(mixed.ok());
  std::vector<std::string> announced = Announced(mixed->passphrase_notice);
  REQUIRE(announced.size() == 1);
  CHECK(announced[0] != bob);
  CHECK(mixed->passphrase_notice.find("dave@example.org") != std::string::npos);
  CHECK(mixed->passphrase_uses.size() == 2);
}

TEST_CASE("per-recipient: an administrator's passphrase is never announced",
          "[passphrase]") {
  Fixture f;
  store::RecipientSecret s;
  s.passphrase = "correct horse battery staple";
  s.generated = false;
  auto salt = env::RandomSalt();
  REQUIRE(salt.ok());
  s.salt = *salt;
  s.iterations = env::kMinIterations;
  auto kek =
      env::DerivePassphraseKek(s.passphrase, false, s.salt, s.iterations);
  REQUIRE(kek.ok());
  s.kek = *kek;
  REQUIRE(f.vault().Set("erin@example.org", s, "admin-test").ok());
  auto r = f.Rewrite({"erin@example.org"});
  REQUIRE(r.ok());
  CHECK(r->passphrase_notice.empty());
  std::string html = EnvelopeHtml(*r);
  // "trim" normalisation: surrounding spaces do not matter.
  CHECK(env::OpenEnvelope(html, "  correct horse battery staple ",
                          env::OpenOptions{})
            .ok());
}

TEST_CASE("per-recipient: fails closed without the vault", "[passphrase]") {
  Fixture f;
  auto r = f.Rewrite({"bob@example.org"}, false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kUnavailable);
  CHECK(IsPassphrasesUnavailable(r.status()));
  CHECK(!IsPassphrasesUnavailable(UnavailableError("portal keys")));
  CHECK(r.status().message().find("no master key") != std::string::npos);
  CHECK(f.store().GetRecipientPassphrase("bob@example.org").status().code() ==
        StatusCode::kNotFound);

  // Through ProcessMessage: 451, no rewrite.
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config = f.config();
  snapshot->policy = f.policy();
  Transaction t(snapshot, Logger("s1/4Q9"));
  t.envelope().sender = "alice@example.com";
  t.envelope().auth_authen = "alice";
  t.envelope().recipients = {"bob@example.org"};
  REQUIRE(t.spool().Append(Fixture::kMail).ok());
  ConnectionInfo c;
  c.client_addr = "192.0.2.9";
  Services services;
  services.store = &f.store();
  services.key_error = "no master key";
  Outcome out = ProcessMessage(t, c, services);
  CHECK(out.verdict.kind == Verdict::Kind::kTempfail);
  CHECK(out.plan.body == nullptr);
}

TEST_CASE("per-message mode keeps one generated slot and its notice",
          "[passphrase]") {
  Fixture f;
  f.config().envelope.passphrase = "per-message";
  auto r = f.Rewrite({"bob@example.org", "carol@example.org"}, false);
  REQUIRE(r.ok());
  CHECK(Announced(r->passphrase_notice).size() == 1);
  CHECK(r->passphrase_uses.empty());
  CHECK(PassphraseSlots(EnvelopeHtml(*r)).size() == 1);
  CHECK(f.store().GetRecipientPassphrase("bob@example.org").status().code() ==
        StatusCode::kNotFound);
}

}  // namespace
}  // namespace seal::gateway
