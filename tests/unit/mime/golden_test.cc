// Golden corpus tests/golden/mime/*.eml. Each file's first line
// (X-Test-Purpose) says what it guards; this table gives the expected
// outcome: the Status, the exact warnings, and exact text of some scopes.
// Every file must be listed here and every listed file must exist. Every
// file is also re-parsed truncated at many points and with tiny limits: that
// may fail with kResourceExhausted but must never crash or report kInternal.
#include <catch2/catch.hpp>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lib/mime/text_extractor.h"
#include "tests/unit/mime/test_util.h"

namespace seal::mime {
namespace {

using testing::Texts;
using Strings = std::vector<std::string>;

const std::string kDir = std::string(SEAL_SOURCE_ROOT) + "/tests/golden/mime/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Golden {
  std::string file;
  StatusCode code;                 // kOk unless a limit is hit
  std::string status_message;      // when not kOk
  Strings warnings;                // exact, in order
  std::map<Scope, Strings> texts;  // exact items of these scopes
};

const std::vector<Golden>& Table() {
  static const std::vector<Golden> table = {
      // ---- samples: well-formed mail, no warnings ----
      {"sample_simple_text.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kSubject, {"Résumé for the team"}},
        {Scope::kSender, {"rene@example.com"}},
        {Scope::kRecipients, {"alice@example.org"}},
        {Scope::kBody,
         {"Bonjour, \nvoici le résumé avec la carte 4111 1111 1111 1111 et "
          "un très long mot.\n"}}}},
      {"sample_alternative_html.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kSubject, {"Quarterly report"}},
        {Scope::kRecipients,
         {"alice@example.org", "carol@example.net", "dave@example.net",
          "erin@example.net"}},
        {Scope::kBody,
         {"Numbers attached.",
          "Report\nCafé & crème – €5\nSSN 078-05-1120\n"
          "card 4111111111111111"}}}},
      {"sample_attachments_rfc2231.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kBody, {"See the three files."}},
        {Scope::kAttachmentName,
         {"日本語_numbers.csv", "Résumé – “final”.docx", "Übersicht.pdf"}},
        {Scope::kAttachmentText,
         {"Quarterly numbers: IBAN DE89 3704 0044 0532 0130 00\n"}}}},
      {"sample_forwarded_rfc822.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kSubject, {"Fwd: contract"}},
        {Scope::kBody,
         {"Forwarding the contract thread.",
          "Subject: Vertrag für Müller\nFrom: lawyer@example.com\n"
          "To: dave@example.net\nDate: Tue, 2 Jan 2024 09:00:00 +0100",
          "Sehr geehrter Herr Müller,", "Sehr geehrter Herr Müller,",
          "Subject: old thread\nFrom: x@example.com",
          "IBAN DE89 3704 0044 0532 0130 00\n"}},
        {Scope::kAttachmentName, {"old.eml"}}}},
      {"sample_japanese.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kSubject, {"件名テスト"}},
        {Scope::kBody, {"本文は機密です。"}},
        {Scope::kAttachmentName, {"memo.txt"}},
        {Scope::kAttachmentText, {"社外秘"}}}},
      {"sample_outlook_related.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kSubject, {"Budget – “final”"}},
        {Scope::kSender, {"eva@example.com"}},
        {Scope::kBody, {"Budget – “final” € 100", "Budget – “final” € 100"}},
        {Scope::kAttachmentName, {"image001.png"}},
        {Scope::kAttachmentText, {}}}},
      {"sample_digest_lf.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kBody,
         {"Subject: first\nFrom: a@example.org", "first body",
          "Subject: second\nFrom: b@example.org", "second body"}}}},
      {"sample_boundary_lookalikes.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kBody,
         {"epilogue text is scanned too\n--b\nContent-Type: text/plain\n\n"
          "also epilogue",
          "--bb not a boundary\n-- b not a boundary\n--b--x not a boundary\n"
          "---b not a boundary"}}}},
      {"sample_mixed_line_endings.eml",
       StatusCode::kOk,
       "",
       {},
       {{Scope::kSubject, {"mixed"}},
        {Scope::kBody, {"line one\nstill one\nline two"}}}},

      // ---- malformed: a Status or warnings, never a crash ----
      {"malformed_no_closing_boundary.eml",
       StatusCode::kOk,
       "",
       {"message: no closing boundary"},
       {{Scope::kBody, {"first", "last part runs to the end\n"}}}},
      {"malformed_missing_boundary_param.eml",
       StatusCode::kOk,
       "",
       {"message: multipart without a usable boundary"},
       {{Scope::kBody,
         {"--x\nContent-Type: text/plain\n\nhidden secret 078-05-1120\n"
          "--x--\n"}}}},
      {"malformed_garbled_boundary.eml",
       StatusCode::kOk,
       "",
       {"message: boundary never found"},
       {{Scope::kBody,
         {"--abc124\nContent-Type: text/plain\n\ntext behind the wrong "
          "boundary\n--abc124--\n"}}}},
      {"malformed_bad_base64.eml",
       StatusCode::kOk,
       "",
       {"part 1: invalid characters in base64",
        "part 2: truncated or misaligned base64"},
       {{Scope::kBody, {"hello world", "a"}}}},
      {"malformed_bad_qp.eml",
       StatusCode::kOk,
       "",
       {"part 1: invalid quoted-printable escape"},
       {{Scope::kBody,
         {"a=ZZb =4 c=\x01"
          "d softend"}}}},
      {"malformed_truncated_mid_part.eml",
       StatusCode::kOk,
       "",
       {"part 2: header without body (message truncated)",
        "message: no closing boundary"},
       {{Scope::kBody, {"hello wor"}}}},
      {"malformed_nul_bytes.eml",
       StatusCode::kOk,
       "",
       {"part 1: NUL byte in header",
        "part 1: header not ended by a blank line",
        "part 1: NUL bytes in text"},
       {{Scope::kSubject, {"nul\uFFFDhere"}},
        {Scope::kBody,
         {"\uFFFDBad: header\nContent-Type: text/plain\n\n"
          "text\uFFFDwith\uFFFDnuls\n"}}}},
      {"malformed_unknown_charset.eml",
       StatusCode::kOk,
       "",
       {"part 2: invalid charset label, read as UTF-8 or Windows-1252",
        "header Subject: unknown charset 'x-klingon', read as UTF-8 or "
        "Windows-1252",
        "part 1: unknown charset 'x-no-such-charset', read as UTF-8 or "
        "Windows-1252"},
       {{Scope::kSubject, {"qaplaé"}}, {Scope::kBody, {"café", "café"}}}},
      {"malformed_header_no_blank_line.eml",
       StatusCode::kOk,
       "",
       {"part 1: header not ended by a blank line", "part 2: no header block"},
       {{Scope::kBody, {"body right after the header", "no header at all"}}}},
      {"malformed_nested_unclosed.eml",
       StatusCode::kOk,
       "",
       {"part 1: no closing boundary"},
       {{Scope::kBody, {"inner text", "outer text"}}}},
      {"malformed_8bit_headers.eml",
       StatusCode::kOk,
       "",
       {"header Subject: 8-bit text is not UTF-8, read as Windows-1252",
        "header X-Broken: 8-bit text is not UTF-8, read as Windows-1252"},
       {{Scope::kSubject, {"Grüße aus München"}},
        {Scope::kSender, {"j@example.com"}}}},
      {"malformed_bad_encoded_words.eml",
       StatusCode::kOk,
       "",
       {"header From: malformed encoded-word",
        "header Subject: malformed encoded-word"},
       {{Scope::kSubject, {"bad=ZZé =?utf-8?q?unterminated =??q?x?="}}}},
      {"malformed_depth_bomb.eml",
       StatusCode::kResourceExhausted,
       "MIME nesting deeper than 20",
       {},
       {}},
      {"malformed_huge_part_count.eml",
       StatusCode::kResourceExhausted,
       "message has more than 500 MIME parts",
       {},
       {}},
      {"malformed_rfc2231_garbage.eml",
       StatusCode::kOk,
       "",
       {"part 1: malformed parameters in Content-Type, Content-Disposition",
        "part 2: malformed parameters in Content-Disposition"},
       {{Scope::kAttachmentName, {"%ZZbad%4", "A"}},
        {Scope::kAttachmentText, {"one"}}}},
      {"malformed_html_unclosed.eml",
       StatusCode::kOk,
       "",
       {"part 1: unclosed HTML comment, element or tag; the rest was read "
        "as text",
        "part 2: unclosed HTML comment, element or tag; the rest was read "
        "as text",
        "part 3: unclosed HTML comment, element or tag; the rest was read "
        "as text"},
       {{Scope::kBody,
         {"visible \uFFFD \uFFFD \uFFFD &bogus;\nvar x = 1;",
          "shown\nnever closed\nhidden", "shown too\nhidden"}}}},
      {"malformed_encoded_rfc822_broken.eml",
       StatusCode::kOk,
       "",
       {"part 2.1: header without body (cut by a boundary)",
        "part 1: invalid characters in base64", "part 1.1: NUL byte in header",
        "part 1.1: no header block", "part 1.1: NUL bytes in text"},
       {{Scope::kBody,
         {"ÿÿÿ\uFFFD\uFFFD\uFFFD", "Subject: inner without body"}}}},
      {"malformed_no_header_block.eml",
       StatusCode::kOk,
       "",
       {"part 1: header not ended by a blank line"},
       {{Scope::kSubject, {"no separator"}},
        {Scope::kBody,
         {"This line is body text, not a header.\nsecond line\n"}}}},
  };
  return table;
}

std::set<std::string> EmlFiles() {
  std::set<std::string> out;
  DIR* d = opendir(kDir.c_str());
  REQUIRE(d != nullptr);
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 4 && name.substr(name.size() - 4) == ".eml") {
      out.insert(name);
    }
  }
  closedir(d);
  return out;
}

TEST_CASE("Golden corpus: the table lists exactly the files",
          "[mime][golden]") {
  std::set<std::string> listed;
  for (const Golden& g : Table()) listed.insert(g.file);
  CHECK(listed == EmlFiles());
  for (const std::string& f : EmlFiles()) {
    INFO(f);
    const std::string raw = ReadFile(kDir + f);
    CHECK(raw.rfind("X-Test-Purpose: ", 0) == 0);
    const bool malformed = f.rfind("malformed_", 0) == 0;
    CHECK((malformed || f.rfind("sample_", 0) == 0));
  }
}

TEST_CASE("Golden corpus: expected outcomes", "[mime][golden]") {
  for (const Golden& g : Table()) {
    INFO(g.file);
    const std::string raw = ReadFile(kDir + g.file);
    REQUIRE_FALSE(raw.empty());
    Result<MessageText> t = ExtractMessageText(raw);
    CHECK(t.status().code() == g.code);
    if (!t.ok()) {
      CHECK(t.status().message() == g.status_message);
      continue;
    }
    CHECK(t->warnings == g.warnings);
    CHECK_FALSE(t->truncated);
    for (const auto& [scope, texts] : g.texts) {
      INFO("scope " << ScopeName(scope));
      CHECK(Texts(*t, scope) == texts);
    }
    // Malformed files must say so: a Status or at least one warning.
    if (g.file.rfind("malformed_", 0) == 0) {
      CHECK((!t->warnings.empty()));
    }
  }
}

TEST_CASE("Golden corpus: truncations and tiny limits never crash",
          "[mime][golden]") {
  MimeLimits tiny;
  tiny.max_depth = 2;
  tiny.max_parts = 4;
  tiny.max_header_bytes = 300;
  tiny.max_header_field_bytes = 16;
  tiny.max_decoded_bytes = 8;
  tiny.max_scan_bytes = 40;
  tiny.max_warnings = 2;
  for (const std::string& f : EmlFiles()) {
    INFO(f);
    const std::string raw = ReadFile(kDir + f);
    for (size_t cut = 0; cut <= 64; ++cut) {
      const std::string_view prefix =
          std::string_view(raw).substr(0, raw.size() * cut / 64);
      for (const MimeLimits& l : {MimeLimits(), tiny}) {
        Result<MessageText> t = ExtractMessageText(prefix, l);
        if (t.ok()) {
          CHECK(t->bytes <= l.max_scan_bytes);
          CHECK(t->warnings.size() <= l.max_warnings + 1);
        } else {
          CHECK(t.status().code() == StatusCode::kResourceExhausted);
        }
      }
    }
  }
}

}  // namespace
}  // namespace seal::mime
