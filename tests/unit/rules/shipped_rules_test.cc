// The shipped rules (rules/*.toml): every file loads, and every rule has
// true positives and false positives here. A rule added to rules/ without
// rows in the table below fails "every shipped rule is covered".
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/rules/rules_test_util.h"

namespace seal::rules {
namespace {

using testing::AllNotes;
using testing::Fired;
using testing::MustEvaluate;
using testing::MustLoadShipped;
using testing::Outbound;
using testing::Text;

struct Row {
  const char* rule;
  Scope scope;
  const char* text;
  bool fires;
};

constexpr Scope kSubj = Scope::kSubject;
constexpr Scope kHdr = Scope::kHeaders;
constexpr Scope kBody = Scope::kBody;
constexpr Scope kAtt = Scope::kAttachmentText;
constexpr Scope kName = Scope::kAttachmentName;

const std::vector<Row>& Table() {
  static const std::vector<Row> rows = {
      // '#' at the start of the subject (CA.Mail).
      {"subject-hash", kSubj, "#Quarterly numbers", true},
      {"subject-hash", kSubj, "  # salaries", true},
      {"subject-hash", kSubj, "Re: #budget", true},
      {"subject-hash", kSubj, "AW: WG: #Vertrag", true},
      {"subject-hash", kSubj, "RE:FW:#x", true},
      {"subject-hash", kSubj, "Budget #3 draft", false},
      {"subject-hash", kSubj, "Issue #42 fixed", false},
      {"subject-hash", kSubj, "Re: status of #1", false},
      {"subject-hash", kBody, "#not the subject", false},

      {"subject-tag-encrypt", kSubj, "[confidential] plan", true},
      {"subject-tag-encrypt", kSubj, "Plan [SECURE]", true},
      {"subject-tag-encrypt", kSubj, "Fwd: [ Encrypt ] figures", true},
      {"subject-tag-encrypt", kSubj, "confidential plan", false},
      {"subject-tag-encrypt", kSubj, "[encrypted] backups are done", false},
      {"subject-tag-encrypt", kSubj, "secure the [server]", false},
      {"subject-tag-encrypt", kBody, "[encrypt]", false},

      {"subject-tag-sign", kSubj, "[sign] contract", true},
      {"subject-tag-sign", kSubj, "contract [SIGN]", true},
      {"subject-tag-sign", kSubj, "please sign the contract", false},
      {"subject-tag-sign", kSubj, "[signal] lost", false},

      {"sensitivity-header", kHdr, "Sensitivity: Company-Confidential", true},
      {"sensitivity-header", kHdr, "sensitivity: private", true},
      {"sensitivity-header", kHdr, "Sensitivity:Private ", true},
      {"sensitivity-header", kHdr, "Sensitivity: Normal", false},
      {"sensitivity-header", kHdr, "Sensitivity: Personal", false},
      {"sensitivity-header", kHdr, "X-Sensitivity: Private", false},
      {"sensitivity-header", kHdr, "Subject: private", false},
      {"sensitivity-header", kHdr, "Sensitivity: Private-ish", false},

      {"subject-tag-noenc", kSubj, "[noenc] lunch menu", true},
      {"subject-tag-noenc", kSubj, "lunch [NoEnc]", true},
      {"subject-tag-noenc", kSubj, "noenc lunch", false},
      {"subject-tag-noenc", kSubj, "[noencrypt] lunch", false},
      {"subject-tag-plain", kSubj, "[plain] newsletter", true},
      {"subject-tag-plain", kSubj, "plain text newsletter", false},
      {"subject-tag-nosign", kSubj, "[NOSIGN] to the list", true},
      {"subject-tag-nosign", kSubj, "[nosignal] today", false},

      // US identifiers.
      {"us-ssn", kBody, "SSN 078-05-1120", true},
      {"us-ssn", kBody, "ids: 123-45-6789.", true},
      {"us-ssn", kAtt, "name,ssn\nDoe,219-09-9999\n", true},
      {"us-ssn", kSubj, "re 899-99-9999", true},
      {"us-ssn", kBody, "000-12-3456", false},
      {"us-ssn", kBody, "666-12-3456", false},
      {"us-ssn", kBody, "912-34-5678", false},
      {"us-ssn", kBody, "123-00-4567", false},
      {"us-ssn", kBody, "123-45-0000", false},
      {"us-ssn", kBody, "call 555-123-4567", false},
      {"us-ssn", kBody, "part 1234-56-7890", false},
      {"us-ssn", kBody, "078051120", false},  // no separators: too common
      {"us-ssn", kName, "078-05-1120.pdf", false},

      {"case-id-19", kBody, "case 1234-5678-9012-3456789 opened", true},
      {"case-id-19", kName, "1234-5678-9012-3456789.pdf", true},
      {"case-id-19", kSubj, "Case 2024-0001-0002-0000042", true},
      {"case-id-19", kBody, "+1-555-123-4567", false},
      {"case-id-19", kBody, "1-800-555-0199", false},
      {"case-id-19", kBody, "1234-5678-9012-345678", false},
      {"case-id-19", kBody, "1234-5678-9012-34567890", false},
      {"case-id-19", kBody, "12345-5678-9012-3456789", false},

      // Financial.
      {"payment-card", kBody, "card 4111 1111 1111 1111 exp 12/29", true},
      {"payment-card", kBody, "4111-1111-1111-1111", true},
      {"payment-card", kBody, "5500005555555559", true},
      {"payment-card", kBody, "amex 3782 822463 10005", true},
      {"payment-card", kAtt, "6011111111111117", true},
      {"payment-card", kBody, "4222222222222", true},         // 13 digits
      {"payment-card", kBody, "4111 1111 1111 1112", false},  // bad Luhn
      {"payment-card", kBody, "4444 4444 4444 4444", false},  // one digit
      {"payment-card", kBody, "order 1234 5678 9012 3456", false},
      {"payment-card", kBody, "ts 20240101123456", false},        // fails Luhn
      {"payment-card", kBody, "41111111111111111111111", false},  // too long
      {"payment-card", kBody, "phone 555 123 4567", false},
      // Mixed separators and irregular groups are numbers next to each
      // other, not a card, even when the digits happen to pass Luhn.
      {"payment-card", kBody, "call 555-123-4567 1234 2024-01-05", false},
      {"payment-card", kBody, "4111 1111-1111 1111", false},
      {"payment-card", kBody, "41 11111 111111 111", false},
      {"payment-card", kBody, "4111 1111 1111 1111 2", true},  // trailing 2

      {"iban", kBody, "IBAN DE89 3704 0044 0532 0130 00, thanks", true},
      {"iban", kBody, "GB82WEST12345698765432", true},
      {"iban", kBody, "NO9386011117947", true},
      {"iban", kAtt, "FR14 2004 1010 0505 0001 3M02 606", true},
      {"iban", kBody, "pay to DE89 3704 0044 0532 0130 00 FOR MARCH", true},
      {"iban", kBody, "DE89 3704 0044 0532 0130 01", false},  // checksum
      {"iban", kBody, "XX89370400440532013000", false},       // country
      {"iban", kBody, "DE8937040044053201300", false},        // length
      {"iban", kBody, "de89 3704 0044 0532 0130 00", false},  // lower case

      {"aba-routing", kBody, "Routing number: 021000021", true},
      {"aba-routing", kBody, "ABA# 011000015", true},
      {"aba-routing", kAtt, "bank RTN 322271627 acct 1234", true},
      {"aba-routing", kBody, "routing 021000022", false},  // checksum
      {"aba-routing", kBody, "invoice 021000021", false},  // no keyword
      {"aba-routing", kBody,
       "routing was discussed at length, see ticket 021000021", false},
      {"aba-routing", kBody, "abandon 021000021", false},

      // Keywords.
      {"keyword-confidential", kBody, "This is confidential.", true},
      {"keyword-confidential", kSubj, "CONFIDENTIAL: plans", true},
      {"keyword-confidential", kBody, "a confidentiality agreement", false},
      {"keyword-confidential", kBody, "nonconfidential", false},
      {"keyword-attorney-client", kBody, "Attorney-Client Privileged", true},
      {"keyword-attorney-client", kAtt, "attorney client privilege", true},
      {"keyword-attorney-client", kBody, "attorney and client", false},
      {"keyword-attorney-client", kBody, "a privileged attorney", false},
  };
  return rows;
}

TEST_CASE("every shipped rule file loads") {
  Result<std::vector<std::string>> files =
      ListRuleFiles(testing::ShippedRulesDir());
  REQUIRE(files.ok());
  REQUIRE(files->size() >= 5);
  for (const std::string& file : *files) {
    INFO(file);
    Result<RuleList> list = LoadRulePaths({file});
    INFO((list.ok() ? "" : list.status().message()));
    CHECK(list.ok());
    if (list.ok()) CHECK_FALSE(list->rules.empty());
  }
  auto rules = MustLoadShipped();
  CHECK(rules->enabled_count() == rules->rules().size());
}

TEST_CASE("every shipped rule is covered by true and false positives") {
  auto rules = MustLoadShipped();
  std::map<std::string, std::pair<int, int>> counts;
  for (const Row& row : Table()) {
    auto& c = counts[row.rule];
    (row.fires ? c.first : c.second)++;
  }
  for (const Rule& rule : rules->rules()) {
    INFO(rule.id);
    CHECK(counts[rule.id].first >= 1);
    CHECK(counts[rule.id].second >= 1);
    CHECK_FALSE(rule.description.empty());
  }
  std::set<std::string> ids;
  for (const Rule& rule : rules->rules()) ids.insert(rule.id);
  for (const auto& [id, c] : counts) {
    INFO(id);
    CHECK(ids.count(id) == 1);  // the table names no rule that does not exist
  }
}

TEST_CASE("shipped rules: true and false positives") {
  auto rules = MustLoadShipped();
  for (const Row& row : Table()) {
    INFO(std::string(row.rule) + " on " + std::string(ScopeName(row.scope)) +
         ": '" + row.text + "'");
    Evaluation ev =
        MustEvaluate(*rules, Text({{row.scope, row.text}}), Outbound());
    REQUIRE(ev.decisions.size() == 1);
    CHECK(Fired(ev.decisions[0], row.rule) == row.fires);
    for (const RuleHit& hit : ev.decisions[0].fired) {
      // A sample never shows more than four letters or digits in clear.
      int clear = 0;
      for (char c : hit.sample) {
        if (std::isalnum(static_cast<unsigned char>(c))) ++clear;
      }
      CHECK(clear <= 4);
    }
  }
}

TEST_CASE("shipped rules: direction conditions") {
  auto rules = MustLoadShipped();
  MessageText text = Text({{kSubj, "#plans"}, {kBody, "SSN 078-05-1120"}});
  EnvelopeContext env = Outbound();
  env.direction = Direction::kInternal;
  Evaluation ev = MustEvaluate(*rules, text, env);
  CHECK(Fired(ev.decisions[0], "subject-hash"));  // tags work internally
  CHECK_FALSE(Fired(ev.decisions[0], "us-ssn"));  // DLP is for outbound
  env.direction = Direction::kInbound;
  env.authenticated = false;
  env.sender_internal = false;
  ev = MustEvaluate(*rules, text, env);
  CHECK(ev.decisions[0].fired.empty());
  CHECK(ev.decisions[0].action == FinalAction::kNone);
}

TEST_CASE("shipped rules: opt-outs by sender") {
  auto rules = MustLoadShipped();
  struct Sender {
    const char* name;
    bool authenticated;
    bool internal;
  };
  const Sender trusted{"authenticated internal", true, true};
  const Sender unauthenticated{"unauthenticated", false, true};
  const Sender external{"external", true, false};
  struct OptOutRow {
    const char* subject;
    const char* body;
    Sender sender;
    FinalAction action;
    bool sign;
    const char* note;
  };
  const std::vector<OptOutRow> rows = {
      // encrypt-if-possible (keyword) can be opted out of...
      {"[noenc] report", "confidential numbers", trusted, FinalAction::kNone,
       false, "cancels encrypt-if-possible rule 'keyword-confidential'"},
      {"[noenc] report", "confidential numbers", unauthenticated,
       FinalAction::kEncryptIfPossible, false,
       "opt-out no-encrypt rule 'subject-tag-noenc' ignored: the sender is "
       "not authenticated"},
      {"[noenc] report", "confidential numbers", external,
       FinalAction::kEncryptIfPossible, false, "the sender is not internal"},
      // ...a content-based must-encrypt cannot.
      {"[noenc] report", "SSN 078-05-1120", trusted, FinalAction::kEncrypt,
       false,
       "opt-out no-encrypt rule 'subject-tag-noenc' does not override "
       "must-encrypt encrypt rule 'us-ssn'"},
      {"[plain] report", "card 4111 1111 1111 1111", trusted,
       FinalAction::kEncrypt, false, "does not override must-encrypt"},
      // Nor a subject tag asking for encryption.
      {"[plain] [encrypt] report", "hello", trusted, FinalAction::kEncrypt,
       false,
       "does not override must-encrypt encrypt rule "
       "'subject-tag-encrypt'"},
      // Signing.
      {"[sign] contract", "hello", trusted, FinalAction::kSign, true, ""},
      {"[sign] [nosign] contract", "hello", trusted, FinalAction::kNone, false,
       "opt-out no-sign rule 'subject-tag-nosign' cancels sign rule "
       "'subject-tag-sign'"},
      {"[sign] [nosign] contract", "hello", external, FinalAction::kSign, true,
       "ignored"},
      {"#salaries [sign]", "hello", trusted, FinalAction::kEncrypt, true, ""},
      {"[plain] [sign]", "confidential", trusted, FinalAction::kNone, false,
       "cancels sign rule"},
  };
  for (const OptOutRow& row : rows) {
    INFO(std::string(row.subject) + " / " + row.body + " / " + row.sender.name);
    EnvelopeContext env = Outbound();
    env.authenticated = row.sender.authenticated;
    env.sender_internal = row.sender.internal;
    Evaluation ev = MustEvaluate(
        *rules, Text({{kSubj, row.subject}, {kBody, row.body}}), env);
    const Decision& d = ev.decisions[0];
    INFO(AllNotes(d));
    CHECK(FinalActionName(d.action) == FinalActionName(row.action));
    CHECK(d.sign == row.sign);
    CHECK(AllNotes(d).find(row.note) != std::string::npos);
  }
}

}  // namespace
}  // namespace seal::rules
