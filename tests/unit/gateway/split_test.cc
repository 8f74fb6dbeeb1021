// Tests of the per-recipient split: grouping by treatment with Bcc copies,
// the choice of the in-place group, header edits rendered for
// re-injection, and the journal that keeps a retry from re-sending a group.
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/gateway/groups.h"
#include "lib/gateway/header_block.h"
#include "lib/gateway/reinject_journal.h"
#include "lib/gateway/render.h"

namespace seal::gateway {
namespace {

using rules::FinalAction;

RecipientFacts R(const char* a, FinalAction act, bool cert, bool visible = true,
                 bool sign = false) {
  return RecipientFacts{a, act, sign, cert, visible, TlsLevel::kNone};
}

RecipientFacts Tls(const char* a, FinalAction act, bool cert, TlsLevel tls,
                   bool visible = true) {
  return RecipientFacts{a, act, false, cert, visible, tls};
}

std::string Describe(const std::vector<Group>& groups) {
  std::string out;
  for (const Group& g : groups) {
    out += std::string(MethodName(g.method)) +
           (g.method == Method::kTls ? "-" + std::string(TlsLevelName(g.tls))
                                     : "") +
           (g.sign ? "+sign" : "") + (g.bcc ? "+bcc" : "") + "[";
    for (const std::string& r : g.recipients) out += r + " ";
    out += "] ";
  }
  return out;
}

TEST_CASE("groups: one per treatment, Bcc copies of encrypted mail") {
  struct Case {
    const char* what;
    std::vector<RecipientFacts> facts;
    const char* groups;
    size_t in_place;
  };
  const Case cases[] = {
      {"everybody clear",
       {R("a@x", FinalAction::kNone, false),
        R("b@y", FinalAction::kNone, true)},
       "clear[a@x b@y ] ",
       0},
      {"must encrypt: cert -> S/MIME, none -> envelope",
       {R("a@x", FinalAction::kEncrypt, true),
        R("b@y", FinalAction::kEncrypt, false),
        R("c@z", FinalAction::kEncrypt, true)},
       "smime[a@x c@z ] envelope[b@y ] ",
       0},
      {"encrypt-if-possible without cert stays clear, in place",
       {R("a@x", FinalAction::kEncryptIfPossible, false),
        R("b@y", FinalAction::kEncryptIfPossible, true),
        R("c@z", FinalAction::kEncrypt, true)},
       "clear[a@x ] smime[b@y c@z ] ",
       0},
      {"a hidden recipient of an encrypted group gets its own copy",
       {R("a@x", FinalAction::kEncrypt, true),
        R("hidden@y", FinalAction::kEncrypt, true, false),
        R("b@x", FinalAction::kEncrypt, true),
        R("hidden2@z", FinalAction::kEncrypt, false, false)},
       "smime[a@x b@x ] smime+bcc[hidden@y ] envelope+bcc[hidden2@z ] ",
       0},
      {"hidden clear recipients stay together",
       {R("a@x", FinalAction::kNone, false),
        R("h@y", FinalAction::kNone, false, false)},
       "clear[a@x h@y ] ",
       0},
      {"signed clear apart from unsigned clear; unsigned stays",
       {R("a@x", FinalAction::kSign, false, true, true),
        R("b@y", FinalAction::kNone, false)},
       "clear[b@y ] clear+sign[a@x ] ",
       0},
      {"no unsigned clear group: the largest stays",
       {R("a@x", FinalAction::kEncrypt, false),
        R("b@y", FinalAction::kEncrypt, true),
        R("c@y", FinalAction::kEncrypt, false)},
       "smime[b@y ] envelope[a@x c@y ] ",
       1},
      {"TLS instead of an envelope, S/MIME still wins, levels apart",
       {Tls("a@tls", FinalAction::kEncrypt, false, TlsLevel::kRequired),
        Tls("b@tls", FinalAction::kEncrypt, true, TlsLevel::kRequired),
        Tls("c@pref", FinalAction::kEncrypt, false, TlsLevel::kPreferred),
        Tls("d@tls", FinalAction::kEncrypt, false, TlsLevel::kRequired, false),
        Tls("e@tls", FinalAction::kNone, false, TlsLevel::kRequired),
        Tls("f@tls", FinalAction::kEncryptIfPossible, false,
            TlsLevel::kRequired)},
       "clear[e@tls f@tls ] smime[b@tls ] tls-required[a@tls d@tls ] "
       "tls-preferred[c@pref ] ",
       0},
      {"a TLS group goes as it came: no signature",
       {RecipientFacts{"g@tls", FinalAction::kEncrypt, true, false, true,
                       TlsLevel::kRequired}},
       "tls-required[g@tls ] ",
       0},
      {"envelope ignores the sign flag",
       {R("a@x", FinalAction::kEncrypt, false, true, true)},
       "envelope[a@x ] ",
       0},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    std::vector<Group> g = GroupRecipients(c.facts);
    CHECK(Describe(g) == c.groups);
    CHECK(PickInPlace(g) == c.in_place);
    size_t total = 0;
    for (const Group& x : g) total += x.members.size();
    CHECK(total == c.facts.size());
  }
}

TEST_CASE("groups: visible addresses from To/Cc, any case, groups syntax") {
  std::vector<std::string> v = VisibleAddresses(
      {"\"Ann\" <Ann@Example.ORG>, bob@x", "team: c@y, d@z;", ""});
  CHECK(IsVisible(v, "ann@example.org"));
  CHECK(IsVisible(v, "BOB@X"));
  CHECK(IsVisible(v, "d@z"));
  CHECK_FALSE(IsVisible(v, "eve@x"));
  CHECK_FALSE(IsVisible(v, ""));
}

TEST_CASE("rendered header block: deletes, changes and adds in order") {
  std::string raw =
      "Subject: hi\r\nX-Seal-Expires: +1\r\nContent-Type: text/plain;\r\n"
      "\tcharset=utf-8\r\nReceived: a\r\nreceived: b\r\n\r\nbody\r\n";
  MessageParts m = SplitMessage(raw);
  using K = HeaderEdit::Kind;
  std::vector<HeaderEdit> edits = {
      {K::kDelete, "x-seal-expires", 1, ""},
      {K::kDelete, "Received", 2, ""},
      {K::kChange, "Content-Type", 1, "application/pkcs7-mime;\r\n\tname=x"},
      {K::kChange, "MIME-Version", 1, "1.0"},  // absent: appended
      {K::kDelete, "Missing", 1, ""},          // absent: nothing
      {K::kAdd, "X-Added", 1, "yes"},
  };
  CHECK(RenderHeaderBlock(m, edits) ==
        "Subject: hi\r\nContent-Type: application/pkcs7-mime;\r\n\tname=x\r\n"
        "Received: a\r\nMIME-Version: 1.0\r\nX-Added: yes\r\n\r\n");
  CHECK(RenderHeaderBlock(m, {}) ==
        raw.substr(0, raw.size() - std::string("body\r\n").size()));
}

std::string TempDir() {
  char tmpl[] = "/tmp/seal-journal-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  return tmpl;
}

TEST_CASE("journal: a recorded group is seen until it ages out") {
  std::string dir = TempDir() + "/journal";
  Result<ReinjectJournal> j = ReinjectJournal::Open(dir, std::chrono::hours(1));
  REQUIRE(j.ok());
  std::string id = MessageIdentity(SplitMessage("Subject: a\r\n\r\nx"));
  std::string k1 = GroupKey(id, "s@x", "smime:2", {"b@y", "a@x"});
  CHECK(k1 == GroupKey(id, "s@x", "smime:2", {"a@x", "b@y"}));  // any order
  CHECK(k1 != GroupKey(id, "s@x", "envelope:2", {"a@x", "b@y"}));
  CHECK(k1 != GroupKey(id, "t@x", "smime:2", {"a@x", "b@y"}));
  CHECK(k1 != GroupKey(id, "s@x", "smime:2", {"a@x", "b@yy"}));
  CHECK_FALSE(j->Contains(k1));
  REQUIRE(j->Record(k1).ok());
  REQUIRE(j->Record(k1).ok());  // twice is fine
  CHECK(j->Contains(k1));
  CHECK(j->Record("../../etc/passwd").code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(j->Contains("../../etc/passwd"));

  // Two hours old: absent, and pruned.
  std::string path = dir + "/" + k1;
  struct utimbuf old {
    time(nullptr) - 7200, time(nullptr) - 7200
  };
  REQUIRE(utime(path.c_str(), &old) == 0);
  CHECK_FALSE(j->Contains(k1));
  CHECK(j->Prune() == 1);
  CHECK(access(path.c_str(), F_OK) != 0);

  CHECK(ReinjectJournal::Open("relative/dir", std::chrono::hours(1))
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(
      ReinjectJournal::Open("/proc/no/such/dir", std::chrono::hours(1)).ok());
}

TEST_CASE("message identity ignores what MTAs add on each attempt") {
  std::string a =
      MessageIdentity(SplitMessage("Received: from x by y; Mon\r\nSubject: "
                                   "s\r\nMessage-ID: <1@x>\r\n\r\nb"));
  std::string b = MessageIdentity(SplitMessage(
      "Received: from x by z; Tue\r\nReturn-Path: <s@x>\r\nSubject: s\r\n"
      "Message-ID: <1@x>\r\n\r\nb"));
  CHECK(a == b);
  CHECK(a != MessageIdentity(
                 SplitMessage("Subject: s\r\nMessage-ID: <1@x>\r\n\r\nc")));
  CHECK(a != MessageIdentity(
                 SplitMessage("Subject: s\r\nMessage-ID: <2@x>\r\n\r\nb")));
}

}  // namespace
}  // namespace seal::gateway
