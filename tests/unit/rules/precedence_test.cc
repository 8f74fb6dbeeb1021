// Precedence and opt-out tables (lib/rules/precedence.h): every combination
// the man page promises, for trusted (authenticated internal), unauthenticated
// and external senders.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lib/rules/precedence.h"

namespace seal::rules {
namespace {

struct Sender {
  bool authenticated;
  bool internal;
};
constexpr Sender kTrusted{true, true};
constexpr Sender kUnauthenticated{false, true};
constexpr Sender kExternal{true, false};
constexpr Sender kStranger{false, false};

struct Row {
  const char* name;
  std::vector<FiredAction> fired;
  Sender sender;
  FinalAction action;
  bool sign;
  const char* profile;
  std::vector<const char*> notes;  // substrings that must appear
};

FiredAction F(const char* id, Action action, const char* profile = "") {
  return FiredAction{id, action, profile};
}

std::string Joined(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& n : notes) out += n + "\n";
  return out;
}

TEST_CASE("precedence table") {
  const Action E = Action::kEncrypt, S = Action::kSign,
               P = Action::kEncryptIfPossible, NE = Action::kNoEncrypt,
               PL = Action::kPlain, NS = Action::kNoSign,
               Q = Action::kQuarantine, R = Action::kReject;
  const std::vector<Row> rows = {
      {"nothing fired", {}, kTrusted, FinalAction::kNone, false, "", {}},
      {"encrypt",
       {F("e", E, "default")},
       kStranger,
       FinalAction::kEncrypt,
       false,
       "default",
       {}},
      {"sign", {F("s", S)}, kStranger, FinalAction::kSign, true, "", {}},
      {"encrypt and sign",
       {F("s", S), F("e", E, "default")},
       kStranger,
       FinalAction::kEncrypt,
       true,
       "default",
       {}},
      {"encrypt-if-possible",
       {F("p", P, "default")},
       kStranger,
       FinalAction::kEncryptIfPossible,
       false,
       "default",
       {}},
      {"encrypt beats encrypt-if-possible",
       {F("p", P, "opportunistic"), F("e", E, "strict")},
       kStranger,
       FinalAction::kEncrypt,
       false,
       "strict",
       {}},
      {"quarantine beats encrypt",
       {F("e", E, "default"), F("q", Q)},
       kStranger,
       FinalAction::kQuarantine,
       false,
       "default",
       {"quarantine rule 'q' takes precedence over encrypt rule 'e'"}},
      {"reject beats quarantine and encrypt",
       {F("e", E, "default"), F("q", Q), F("r", R), F("s", S)},
       kStranger,
       FinalAction::kReject,
       false,
       "",
       {"reject rule 'r' takes precedence over quarantine rule 'q'",
        "reject rule 'r' takes precedence over encrypt rule 'e'",
        "reject rule 'r' takes precedence over sign rule 's'"}},

      // Opt-outs from a trusted sender.
      {"no-encrypt cancels encrypt-if-possible",
       {F("p", P, "default"), F("n", NE)},
       kTrusted,
       FinalAction::kNone,
       false,
       "",
       {"opt-out no-encrypt rule 'n' cancels encrypt-if-possible rule 'p'"}},
      {"opt-out order does not matter",
       {F("n", NE), F("p", P, "default")},
       kTrusted,
       FinalAction::kNone,
       false,
       "",
       {"cancels"}},
      {"no-encrypt never downgrades encrypt",
       {F("e", E, "default"), F("n", NE)},
       kTrusted,
       FinalAction::kEncrypt,
       false,
       "default",
       {"opt-out no-encrypt rule 'n' does not override must-encrypt encrypt "
        "rule 'e'"}},
      {"plain never downgrades encrypt but cancels sign",
       {F("e", E, "default"), F("s", S), F("pl", PL)},
       kTrusted,
       FinalAction::kEncrypt,
       false,
       "default",
       {"does not override must-encrypt",
        "opt-out plain rule 'pl' cancels "
        "sign rule 's'"}},
      {"plain cancels encrypt-if-possible and sign",
       {F("p", P, "default"), F("s", S), F("pl", PL)},
       kTrusted,
       FinalAction::kNone,
       false,
       "",
       {"cancels encrypt-if-possible"}},
      {"no-sign cancels sign",
       {F("s", S), F("ns", NS)},
       kTrusted,
       FinalAction::kNone,
       false,
       "",
       {"opt-out no-sign rule 'ns' cancels sign rule 's'"}},
      {"no-sign keeps encryption",
       {F("e", E, "x"), F("s", S), F("ns", NS)},
       kTrusted,
       FinalAction::kEncrypt,
       false,
       "x",
       {"cancels sign"}},
      {"no-encrypt leaves sign",
       {F("p", P, "default"), F("s", S), F("n", NE)},
       kTrusted,
       FinalAction::kSign,
       true,
       "",
       {"cancels"}},
      {"opt-outs do not touch reject",
       {F("r", R), F("pl", PL)},
       kTrusted,
       FinalAction::kReject,
       false,
       "",
       {}},
      {"opt-outs do not touch quarantine",
       {F("q", Q), F("pl", PL)},
       kTrusted,
       FinalAction::kQuarantine,
       false,
       "",
       {}},

      // Opt-outs from anyone else are ignored, and that is noted.
      {"unauthenticated opt-out ignored",
       {F("p", P, "default"), F("n", NE)},
       kUnauthenticated,
       FinalAction::kEncryptIfPossible,
       false,
       "default",
       {"opt-out no-encrypt rule 'n' ignored: the sender is not "
        "authenticated"}},
      {"external opt-out ignored",
       {F("p", P, "default"), F("n", NE)},
       kExternal,
       FinalAction::kEncryptIfPossible,
       false,
       "default",
       {"ignored: the sender is not internal"}},
      {"stranger opt-out ignored",
       {F("s", S), F("pl", PL)},
       kStranger,
       FinalAction::kSign,
       true,
       "",
       {"ignored: the sender is neither authenticated nor internal"}},
      {"unauthenticated no-sign ignored",
       {F("s", S), F("ns", NS)},
       kUnauthenticated,
       FinalAction::kSign,
       true,
       "",
       {"ignored"}},

      // Profiles.
      {"first encrypt rule's profile wins",
       {F("a", E, "alpha"), F("b", E, "beta")},
       kStranger,
       FinalAction::kEncrypt,
       false,
       "alpha",
       {"encrypt rule 'b' asks for profile 'beta'; using 'alpha' of encrypt "
        "rule 'a' (first in load order)"}},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    Outcome out =
        Combine(row.fired, row.sender.authenticated, row.sender.internal);
    INFO(Joined(out.notes));
    CHECK(FinalActionName(out.action) == FinalActionName(row.action));
    CHECK(out.sign == row.sign);
    CHECK(out.profile == row.profile);
    for (const char* note : row.notes) {
      INFO(note);
      CHECK(Joined(out.notes).find(note) != std::string::npos);
    }
    if (row.notes.empty()) CHECK(out.notes.empty());
  }
}

TEST_CASE("honoured opt-outs are reported for defaults outside the rules") {
  std::vector<FiredAction> plain = {F("pl", Action::kPlain)};
  Outcome trusted = Combine(plain, true, true);
  CHECK(trusted.action == FinalAction::kNone);
  CHECK(trusted.no_encrypt_honoured);
  CHECK(trusted.no_sign_honoured);
  Outcome stranger = Combine(plain, false, false);
  CHECK_FALSE(stranger.no_encrypt_honoured);
  CHECK_FALSE(stranger.no_sign_honoured);
  // Against a must-encrypt rule the no-encrypt part is not honoured.
  std::vector<FiredAction> must = {F("e", Action::kEncrypt, "default"),
                                   F("n", Action::kNoEncrypt)};
  CHECK_FALSE(Combine(must, true, true).no_encrypt_honoured);
}

TEST_CASE("the result does not depend on the order rules fired in") {
  std::vector<FiredAction> a = {F("p", Action::kEncryptIfPossible, "x"),
                                F("s", Action::kSign),
                                F("n", Action::kNoEncrypt)};
  std::vector<FiredAction> b = {a[2], a[1], a[0]};
  for (Sender s : {kTrusted, kStranger}) {
    Outcome oa = Combine(a, s.authenticated, s.internal);
    Outcome ob = Combine(b, s.authenticated, s.internal);
    CHECK(oa.action == ob.action);
    CHECK(oa.sign == ob.sign);
    CHECK(oa.profile == ob.profile);
  }
}

}  // namespace
}  // namespace seal::rules
