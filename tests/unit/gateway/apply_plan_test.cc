// ApplyEditPlan against the semantics of the milter calls it stands in for:
// smfi_chgheader(name, n, NULL) deletes the n-th field of that name (any
// case; nothing when there is none), smfi_chgheader(name, n, value)
// replaces it (appends when there is none), smfi_addheader appends; edits
// apply in order, each to the result of the one before; smfi_replacebody
// replaces everything after the empty line. Bad edits are refused.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "lib/gateway/apply_plan.h"

namespace seal::gateway {
namespace {

const std::string kMessage =
    "Received: from a\r\n"
    "Subject: first\r\n"
    "X-Tag: one\r\n"
    "x-tag: two\r\n"
    "Comment: folded\r\n"
    " continued\r\n"
    "X-TAG: three\r\n"
    "\r\n"
    "Body line\r\n"
    "\r\n"
    "X-Tag: not a header\r\n";

HeaderEdit Del(std::string name, int n) {
  return {HeaderEdit::Kind::kDelete, std::move(name), n, ""};
}
HeaderEdit Chg(std::string name, int n, std::string value) {
  return {HeaderEdit::Kind::kChange, std::move(name), n, std::move(value)};
}
HeaderEdit Add(std::string name, std::string value) {
  return {HeaderEdit::Kind::kAdd, std::move(name), 1, std::move(value)};
}

const std::string kBody = "Body line\r\n\r\nX-Tag: not a header\r\n";

TEST_CASE("ApplyEditPlan: header edits as the MTA applies them") {
  struct Case {
    const char* what;
    std::vector<HeaderEdit> edits;
    std::string head;  // expected header block, empty line included
  };
  const std::vector<Case> cases = {
      {"no edits: the message is unchanged",
       {},
       "Received: from a\r\nSubject: first\r\nX-Tag: one\r\nx-tag: two\r\n"
       "Comment: folded\r\n continued\r\nX-TAG: three\r\n\r\n"},
      {"delete the 2nd X-Tag, counted without regard to case",
       {Del("X-Tag", 2)},
       "Received: from a\r\nSubject: first\r\nX-Tag: one\r\n"
       "Comment: folded\r\n continued\r\nX-TAG: three\r\n\r\n"},
      {"delete a folded field takes its continuation along",
       {Del("comment", 1)},
       "Received: from a\r\nSubject: first\r\nX-Tag: one\r\nx-tag: two\r\n"
       "X-TAG: three\r\n\r\n"},
      {"delete of a missing occurrence does nothing",
       {Del("X-Tag", 4), Del("No-Such", 1)},
       "Received: from a\r\nSubject: first\r\nX-Tag: one\r\nx-tag: two\r\n"
       "Comment: folded\r\n continued\r\nX-TAG: three\r\n\r\n"},
      {"edits apply in order: after deleting the 1st, the 1st is the old 2nd",
       {Del("X-Tag", 1), Del("X-Tag", 1)},
       "Received: from a\r\nSubject: first\r\n"
       "Comment: folded\r\n continued\r\nX-TAG: three\r\n\r\n"},
      {"change replaces in place with the edit's spelling of the name",
       {Chg("subject", 1, "[secure] first")},
       "Received: from a\r\nsubject: [secure] first\r\nX-Tag: one\r\n"
       "x-tag: two\r\nComment: folded\r\n continued\r\nX-TAG: three\r\n\r\n"},
      {"change of a missing field appends it",
       {Chg("X-New", 1, "v")},
       "Received: from a\r\nSubject: first\r\nX-Tag: one\r\nx-tag: two\r\n"
       "Comment: folded\r\n continued\r\nX-TAG: three\r\nX-New: v\r\n\r\n"},
      {"add appends at the end; a folded value gets CRLF folds",
       {Add("X-Sealed", "yes\n\tfolded"), Add("X-Sealed", "again")},
       "Received: from a\r\nSubject: first\r\nX-Tag: one\r\nx-tag: two\r\n"
       "Comment: folded\r\n continued\r\nX-TAG: three\r\n"
       "X-Sealed: yes\r\n\tfolded\r\nX-Sealed: again\r\n\r\n"},
      {"an added field can be changed and deleted by later edits",
       {Add("X-A", "1"), Chg("X-A", 1, "2"), Add("X-A", "3"), Del("X-A", 1)},
       "Received: from a\r\nSubject: first\r\nX-Tag: one\r\nx-tag: two\r\n"
       "Comment: folded\r\n continued\r\nX-TAG: three\r\nX-A: 3\r\n\r\n"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    EditPlan plan;
    plan.headers = c.edits;
    Result<std::string> out = ApplyEditPlan(kMessage, plan);
    REQUIRE(out.ok());
    CHECK(*out == c.head + kBody);  // the body is never touched by headers
  }
}

TEST_CASE("ApplyEditPlan: the replacement body replaces all after the gap") {
  SpoolOptions options;
  options.directory = "/tmp";
  EditPlan plan;
  plan.body = std::make_unique<Spool>(options);
  REQUIRE(plan.body->Append("new body\r\n").ok());
  plan.headers = {Chg("Content-Type", 1, "application/pkcs7-mime")};
  Result<std::string> out = ApplyEditPlan(kMessage, plan);
  REQUIRE(out.ok());
  CHECK(*out ==
        "Received: from a\r\nSubject: first\r\nX-Tag: one\r\nx-tag: two\r\n"
        "Comment: folded\r\n continued\r\nX-TAG: three\r\n"
        "Content-Type: application/pkcs7-mime\r\n\r\nnew body\r\n");

  // An empty replacement empties the body.
  EditPlan empty;
  empty.body = std::make_unique<Spool>(options);
  out = ApplyEditPlan("A: b\r\n\r\nold\r\n", empty);
  REQUIRE(out.ok());
  CHECK(*out == "A: b\r\n\r\n");
}

TEST_CASE("ApplyEditPlan: messages without a body or a header block") {
  EditPlan plan;
  plan.headers = {Add("X-A", "1")};
  // Headers only, no empty line: the block is closed.
  Result<std::string> out = ApplyEditPlan("A: b\r\n", plan);
  REQUIRE(out.ok());
  CHECK(*out == "A: b\r\nX-A: 1\r\n\r\n");
  // No header block at all: the whole input is body.
  out = ApplyEditPlan("just text\r\n", plan);
  REQUIRE(out.ok());
  CHECK(*out == "X-A: 1\r\n\r\njust text\r\n");
  out = ApplyEditPlan("", plan);
  REQUIRE(out.ok());
  CHECK(*out == "X-A: 1\r\n\r\n");
}

TEST_CASE("ApplyEditPlan: edits the milter API would refuse are errors") {
  const std::vector<HeaderEdit> bad = {
      Add("", "v"),
      Add("Bad Name", "v"),
      Add("Bad:Name", "v"),
      Add("Bad\r\nX", "v"),
      Add("X\x7f", "v"),
      Del("X-Tag", 0),
      Chg("X-Tag", -1, "v"),
      Add("X-A", std::string("a\0b", 3)),
      Add(std::string(1000, 'a'), "v"),
  };
  for (const HeaderEdit& e : bad) {
    INFO(e.name);
    EditPlan plan;
    plan.headers = {Add("X-Good", "1"), e};
    Result<std::string> out = ApplyEditPlan(kMessage, plan);
    CHECK(out.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace seal::gateway
