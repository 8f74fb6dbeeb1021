// Per-recipient passphrase messages (sender_notices.h, notification.h): the
// sender's notice listing each new personal passphrase, its refusals (both
// or neither kind, empty fields, too many lines, an admin template without
// the list, hostile line breaks), every locale, and the recipient's
// notification step for new, known and mixed passphrases.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "lib/envelope/base64.h"
#include "lib/envelope/escape.h"
#include "lib/envelope/notification.h"
#include "lib/envelope/sender_notices.h"
#include "tests/unit/envelope/envelope_test_util.h"

namespace seal::envelope {
namespace {

using testing::DecodeQuotedPrintable;
using testing::Templates;

const TimePoint kNow(std::chrono::seconds(1714564800));

PassphraseNoticeRequest Personal(std::string locale = "en") {
  PassphraseNoticeRequest p;
  p.addressing.locale = std::move(locale);
  p.addressing.from = "Secure Mail <postmaster@example.com>";
  p.addressing.to = "alice@example.com";
  p.addressing.message_id_domain = "example.com";
  p.addressing.now = kNow;
  p.recipients = {"bob@example.net", "carol@example.org", "dave@example.com"};
  p.subject = "Contract";
  p.personal = {{"bob@example.net", "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4"},
                {"carol@example.org", "a2b3-c4d5-e6f7-g8h9-j2k3-m4n5"}};
  return p;
}

std::string Text(const std::string& message) {
  return DecodeQuotedPrintable(message.substr(message.find("\r\n\r\n") + 4));
}

// The Subject header, RFC 2047 words decoded (the notices use UTF-8 "B").
std::string SubjectOf(const std::string& m) {
  const std::string head = m.substr(0, m.find("\r\n\r\n") + 2);
  size_t at = head.find("\r\nSubject: ");
  REQUIRE(at != std::string::npos);
  size_t end = at + 2;
  do {
    end = head.find("\r\n", end) + 2;
  } while (end < head.size() && head[end] == ' ');
  std::string value = head.substr(at + 11, end - at - 11);
  std::string out;
  size_t pos = 0;
  while ((pos = value.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t stop = value.find("?=", pos + 10);
    REQUIRE(stop != std::string::npos);
    auto word = Base64Decode(value.substr(pos + 10, stop - pos - 10));
    REQUIRE(word.ok());
    out += *word;
    pos = stop + 2;
  }
  return out.empty() ? value : out;
}

TEST_CASE("Personal notice: one line per new passphrase", "[notice]") {
  auto notice = BuildPassphraseNotice(*Templates(), Personal());
  REQUIRE(notice.ok());
  std::string text = Text(*notice);
  INFO(text);
  CHECK(text.find("\r\n    bob@example.net: k7m2-x9qp-3hfd-w8ra-6tnc-ejv4\r\n"
                  "    carol@example.org: a2b3-c4d5-e6f7-g8h9-j2k3-m4n5\r\n") !=
        std::string::npos);
  CHECK(text.find("did not have a passphrase yet") != std::string::npos);
  CHECK(text.find("every future secure message") != std::string::npos);
  CHECK(text.find("never by email") != std::string::npos);
  CHECK(text.find("will not receive it again") != std::string::npos);
  // The one-passphrase wording is not there.
  CHECK(text.find("The recipient needs this passphrase") == std::string::npos);
  CHECK(text.find("{{") == std::string::npos);
  CHECK(SubjectOf(*notice).find("Personal passphrases") != std::string::npos);
  // dave has a passphrase already: not listed.
  CHECK(text.find("dave@example.com:") == std::string::npos);

  // The single-passphrase notice keeps its wording and subject.
  PassphraseNoticeRequest single = Personal();
  single.personal.clear();
  single.passphrase = "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4";
  auto one = BuildPassphraseNotice(*Templates(), single);
  REQUIRE(one.ok());
  std::string one_text = Text(*one);
  CHECK(one_text.find("The recipient needs this passphrase") !=
        std::string::npos);
  CHECK(one_text.find("did not have a passphrase yet") == std::string::npos);
  CHECK(SubjectOf(*one).find("Personal") == std::string::npos);
}

TEST_CASE("Personal notice in every locale", "[notice]") {
  const std::string en = Text(*BuildPassphraseNotice(*Templates(), Personal()));
  for (const std::string& locale : Templates()->locales()) {
    INFO(locale);
    auto notice = BuildPassphraseNotice(*Templates(), Personal(locale));
    REQUIRE(notice.ok());
    std::string text = Text(*notice);
    CHECK(text.find("    carol@example.org: a2b3-c4d5-e6f7-g8h9-j2k3-m4n5") !=
          std::string::npos);
    CHECK(text.find("{{") == std::string::npos);
    if (locale != "en") CHECK(text != en);  // translated, not English
    Scope scope = Templates()->BaseScope(locale);
    Scope en_scope = Templates()->BaseScope("en");
    for (const char* key :
         {"sender.personal_intro", "sender.personal_validity",
          "sender.personal_instructions", "sender.subject_personal",
          "notify.step_mixed_passphrase", "notify.step_known_passphrase"}) {
      INFO(key);
      auto mine = scope.Render(key, Escaping::kText);
      auto english = en_scope.Render(key, Escaping::kText);
      REQUIRE(mine.ok());
      REQUIRE(english.ok());
      CHECK(!mine->empty());
      if (locale != "en") CHECK(*mine != *english);
    }
  }
}

TEST_CASE("Personal notice: bad requests are refused", "[notice]") {
  struct Row {
    const char* name;
    PassphraseNoticeRequest r;
  };
  std::vector<Row> rows;
  rows.push_back({"both kinds", Personal()});
  rows.back().r.passphrase = "one-for-all";
  rows.push_back({"neither kind", Personal()});
  rows.back().r.personal.clear();
  rows.push_back({"empty recipient", Personal()});
  rows.back().r.personal[1].recipient.clear();
  rows.push_back({"empty passphrase", Personal()});
  rows.back().r.personal[0].passphrase.clear();
  rows.push_back({"too many", Personal()});
  rows.back().r.personal.assign(kMaxPersonalPassphrases + 1,
                                {"x@example.net", "pass"});
  for (const Row& row : rows) {
    INFO(row.name);
    auto n = BuildPassphraseNotice(*Templates(), row.r);
    REQUIRE(!n.ok());
    CHECK(n.status().code() == StatusCode::kInvalidArgument);
  }
  PassphraseNoticeRequest max = Personal();
  max.personal.assign(kMaxPersonalPassphrases, {"x@example.net", "pass"});
  CHECK(BuildPassphraseNotice(*Templates(), max).ok());
}

TEST_CASE("Personal notice: hostile line breaks stay on their line",
          "[notice]") {
  PassphraseNoticeRequest p = Personal();
  p.personal = {{"evil@example.net\r\nBcc: x@example.org", "pa\nss"}};
  auto notice = BuildPassphraseNotice(*Templates(), p);
  REQUIRE(notice.ok());
  CHECK(notice->find("\r\nBcc:") == std::string::npos);
  std::string text = Text(*notice);
  CHECK(text.find("    evil@example.net  Bcc: x@example.org: pa ss\r\n") !=
        std::string::npos);
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/seal-e6-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void Write(const std::string& name, const std::string& data) const {
    std::ofstream(path + "/" + name, std::ios::binary) << data;
  }
};

TEST_CASE("Admin passphrase.txt and the personal list", "[notice]") {
  {
    // An old override without the list still serves single passphrases,
    // but refuses personal ones instead of sending them nowhere.
    TempDir dir;
    dir.Write("passphrase.txt", "{{sender.intro}}\n\n    {{passphrase}}\n");
    auto t = EnvelopeTemplates::Load(dir.path);
    REQUIRE(t.ok());
    auto n = BuildPassphraseNotice(**t, Personal());
    REQUIRE(!n.ok());
    CHECK(n.status().code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(n.status().message(), Catch::Contains("personal_passphrases"));
    PassphraseNoticeRequest single = Personal();
    single.personal.clear();
    single.passphrase = "one";
    CHECK(BuildPassphraseNotice(**t, single).ok());
  }
  {
    TempDir dir;
    dir.Write(
        "passphrase.txt",
        "{{#personal}}\nNew:\n{{=personal_passphrases}}\n{{/personal}}\n");
    auto t = EnvelopeTemplates::Load(dir.path);
    REQUIRE(t.ok());
    auto n = BuildPassphraseNotice(**t, Personal());
    REQUIRE(n.ok());
    CHECK(Text(*n).find("New:\r\n    bob@example.net: k7m2") !=
          std::string::npos);
  }
  for (const char* bad : {"{{=ciphertext}}\n", "{{=personal_passphrase}}\n"}) {
    INFO(bad);
    TempDir dir;
    dir.Write("passphrase.txt", bad);
    auto t = EnvelopeTemplates::Load(dir.path);
    REQUIRE(!t.ok());
    CHECK_THAT(t.status().message(), Catch::Contains("unknown block"));
  }
  {
    // Blocks stay out of the other mail templates.
    TempDir dir;
    dir.Write("failure.txt", "{{=personal_passphrases}}\n");
    auto t = EnvelopeTemplates::Load(dir.path);
    REQUIRE(!t.ok());
  }
}

NotificationRequest Notify(std::string locale) {
  NotificationRequest r;
  r.locale = std::move(locale);
  r.sender_address = "alice@example.com";
  r.recipient = "bob@example.net";
  return r;
}

TEST_CASE("Notification: new, known and mixed passphrase steps",
          "[notification]") {
  for (const std::string& locale : Templates()->locales()) {
    INFO(locale);
    Scope scope = Templates()->BaseScope(locale);
    auto render = [&](const char* key) {
      auto r = scope.Render(key, Escaping::kText);
      REQUIRE(r.ok());
      return *r;
    };
    const std::string step_new = render("notify.step_new_passphrase");
    const std::string step_known = render("notify.step_known_passphrase");
    const std::string step_mixed = render("notify.step_mixed_passphrase");
    CHECK(step_new != step_known);
    CHECK(step_mixed != step_known);
    CHECK(step_mixed != step_new);
    struct Case {
      bool new_passphrase;
      bool mixed;
      const std::string* step;
    } cases[] = {{true, false, &step_new},
                 {false, false, &step_known},
                 {true, true, &step_mixed},
                 {false, true, &step_mixed}};
    for (const Case& c : cases) {
      NotificationRequest r = Notify(locale);
      r.new_passphrase = c.new_passphrase;
      r.mixed_passphrases = c.mixed;
      auto n = Notification::Prepare(*Templates(), r);
      REQUIRE(n.ok());
      CHECK(n->text().find("2. " + *c.step + "\n") != std::string::npos);
      CHECK(n->html().find(EscapeHtml(*c.step)) != std::string::npos);
      for (const std::string* other : {&step_new, &step_known, &step_mixed}) {
        if (other != c.step) {
          CHECK(n->text().find(*other) == std::string::npos);
        }
      }
      CHECK(n->text().find("{{") == std::string::npos);
      CHECK(n->html().find("{{") == std::string::npos);
    }
  }
  Scope scope = Templates()->BaseScope("en");
  auto known = scope.Render("notify.step_known_passphrase", Escaping::kText);
  REQUIRE(known.ok());
  CHECK_THAT(*known, Catch::Contains("first secure message from us"));
}

TEST_CASE("Notification HTML carries the mixed step", "[notification]") {
  NotificationRequest r = Notify("en");
  r.mixed_passphrases = true;
  auto n = Notification::Prepare(*Templates(), r);
  REQUIRE(n.ok());
  CHECK(n->html().find("If this is the first secure message you receive from "
                       "us, the sender gives it to you separately") !=
        std::string::npos);
  CHECK(n->html().find("The sender gives it to you separately, for example "
                       "by phone; it is not in this email") ==
        std::string::npos);
}

}  // namespace
}  // namespace seal::envelope
