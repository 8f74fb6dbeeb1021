// The fast paths of header text extraction against what they replace:
// IsValidUtf8's ASCII skipping, UnfoldedView's line-break scan,
// IsPlainFieldText (the fields the extractor only trims), the appending
// forms of DecodeEncodedWords and ParseAddressList, and the items the
// extractor makes of plain and non-plain fields. The references are the
// byte-at-a-time loops the code had before (bench/classify_bench, issue 3);
// inputs put every special byte at every position of short strings, where
// the word-at-a-time code has its edges, plus random strings.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "lib/mime/address_list.h"
#include "lib/mime/charset.h"
#include "lib/mime/encoded_words.h"
#include "lib/mime/header_fields.h"
#include "lib/mime/text_extractor.h"
#include "tests/unit/mime/test_util.h"

namespace seal::mime {
namespace {

using testing::Crlf;
using testing::Origins;
using testing::Texts;

bool IsWsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// UTF-8 validation one byte at a time (Unicode table 3-7).
bool ReferenceValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t need = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c == 0xE0) {
      need = 2;
      lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      need = 2;
    } else if (c == 0xED) {
      need = 2;
      hi = 0x9F;
    } else if (c == 0xF0) {
      need = 3;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      need = 3;
    } else if (c == 0xF4) {
      need = 3;
      hi = 0x8F;
    } else {
      return false;
    }
    for (size_t k = 1; k <= need; ++k) {
      if (i + k >= s.size()) return false;
      const auto t = static_cast<unsigned char>(s[i + k]);
      if (t < (k == 1 ? lo : 0x80u) || t > (k == 1 ? hi : 0xBFu)) return false;
    }
    i += need + 1;
  }
  return true;
}

// Drops every CR and LF, then trims blanks (header_fields.h).
std::string ReferenceUnfold(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  size_t b = 0, e = out.size();
  while (b < e && IsWsp(out[b])) ++b;
  while (e > b && IsWsp(out[e - 1])) --e;
  return out.substr(b, e - b);
}

bool ReferencePlain(std::string_view v) {
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0 || c == '\r' || c == '\n' || c == '=' || c >= 0x80) return false;
  }
  return true;
}

// Every string of `filler` of length 0..40 with `special` at one position.
std::vector<std::string> WithByteAtEachPosition(std::string_view special) {
  std::vector<std::string> out;
  for (size_t n = 0; n <= 40; ++n) {
    out.push_back(std::string(n, 'a'));
    for (size_t at = 0; at < n; ++at) {
      std::string s(n, 'a');
      s.replace(at, 1, special.substr(0, std::min(special.size(), n - at)));
      s.resize(n);
      out.push_back(s);
    }
  }
  return out;
}

std::vector<std::string> RandomStrings(std::string_view alphabet,
                                       size_t count) {
  std::mt19937 rng(20241203);
  std::vector<std::string> out;
  for (size_t k = 0; k < count; ++k) {
    std::string s(rng() % 48, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    out.push_back(s);
  }
  return out;
}

constexpr std::string_view kSpecials[] = {"\x80",
                                          "\xC3\xA9",
                                          "\xE2\x82\xAC",
                                          "\xF0\x9F\x98\x80",
                                          "\xC3",
                                          "\xED\xA0",
                                          "\xFF",
                                          "\r",
                                          "\n",
                                          "\r\n ",
                                          "=",
                                          "=?",
                                          std::string_view("\0", 1)};

TEST_CASE("IsValidUtf8 matches the byte loop at every position",
          "[mime][fastpath]") {
  for (std::string_view special : kSpecials) {
    for (const std::string& s : WithByteAtEachPosition(special)) {
      INFO("size " << s.size());
      CHECK(IsValidUtf8(s) == ReferenceValidUtf8(s));
    }
  }
  const std::string alphabet = "ab \t\x80\xBF\xC2\xC3\xE0\xED\xF0\xF4\xFF";
  for (const std::string& s : RandomStrings(alphabet, 20000)) {
    CHECK(IsValidUtf8(s) == ReferenceValidUtf8(s));
  }
}

TEST_CASE("UnfoldedView and IsPlainFieldText match the byte loops",
          "[mime][fastpath]") {
  std::vector<std::string> inputs;
  for (std::string_view special : kSpecials) {
    for (std::string& s : WithByteAtEachPosition(special)) {
      inputs.push_back(s);
      inputs.push_back(" \t" + s + " ");
    }
  }
  for (std::string& s : RandomStrings(
           std::string("ab= ?\t\r\n\x80\xC3\xA9", 11) + std::string(1, '\0'),
           20000)) {
    inputs.push_back(s);
  }
  CharsetConverter conv;
  for (const std::string& s : inputs) {
    INFO("input '" << s << "'");
    std::string storage;
    CHECK(std::string(UnfoldedView(s, storage)) == ReferenceUnfold(s));
    CHECK(UnfoldValue(s) == ReferenceUnfold(s));
    CHECK(IsPlainFieldText(s) == ReferencePlain(s));
    if (!IsPlainFieldText(s)) continue;
    // What the extractor relies on to skip the general path.
    std::string unused;
    CHECK(TrimFoldWhitespace(s) == UnfoldedView(s, unused));
    TextIssues issues;
    CHECK(DecodeEncodedWords(TrimFoldWhitespace(s), conv, issues) ==
          TrimFoldWhitespace(s));
    CHECK_FALSE(issues.raw_not_utf8);
    CHECK_FALSE(issues.bad_encoding);
  }
}

TEST_CASE("AppendDecodedEncodedWords appends what DecodeEncodedWords returns",
          "[mime][fastpath]") {
  const std::vector<std::string> values = {
      "",
      "plain",
      "caf\xE9",
      "=?utf-8?B?w6k=?= =?utf-8?Q?_x?=",
      "a =?iso-8859-1?Q?caf=E9?= b",
      "=?bogus?Q?x?= =?utf-8?B?***?=",
      "=? not a word",
  };
  for (const std::string& v : values) {
    INFO("value '" << v << "'");
    CharsetConverter conv;
    TextIssues want_issues, got_issues;
    const std::string want = DecodeEncodedWords(v, conv, want_issues);
    std::string got = "Name: ";
    AppendDecodedEncodedWords(v, conv, got_issues, got);
    CHECK(got == "Name: " + want);
    CHECK(got_issues.raw_not_utf8 == want_issues.raw_not_utf8);
    CHECK(got_issues.bad_encoding == want_issues.bad_encoding);
    CHECK(got_issues.unknown_charset == want_issues.unknown_charset);
  }
}

// ParseAddressList as it was written first: one character at a time into
// the mailbox, the angle address copied, trimmed and compacted.
std::vector<std::string> ReferenceAddresses(std::string_view v) {
  struct Box {
    std::string plain, angle;
    bool has_angle = false, in_word = false, at = false, unquoted = false;
    size_t words = 0;
  };
  std::vector<std::string> out;
  Box m;
  auto finish = [&] {
    std::string addr;
    if (m.has_angle) {
      std::string a = ReferenceUnfold(m.angle);  // a trim: no CR/LF here
      if (!a.empty() && a[0] == '@') {
        const size_t colon = a.find(':');
        a = colon == std::string::npos ? std::string() : a.substr(colon + 1);
      }
      for (char c : a) {
        if (!IsWsp(c)) addr.push_back(c);
      }
    } else if (m.at || (m.words == 1 && m.unquoted)) {
      addr = m.plain;
    }
    if (!addr.empty()) out.push_back(addr);
    m = Box();
  };
  size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == '(') {
      size_t depth = 0;
      while (i < v.size()) {
        const char d = v[i++];
        if (d == '\\') {
          ++i;
        } else if (d == '(') {
          ++depth;
        } else if (d == ')' && --depth == 0) {
          break;
        }
      }
      m.in_word = false;
    } else if (c == '"') {
      std::string q = "\"";
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) q.push_back(v[i++]);
        q.push_back(v[i++]);
      }
      if (i < v.size()) ++i;
      q.push_back('"');
      if (!m.in_word) ++m.words;
      m.in_word = true;
      m.plain += q;
    } else if (c == '<') {
      ++i;
      const size_t b = i;
      while (i < v.size() && v[i] != '>') ++i;
      if (!m.has_angle) {
        m.angle = std::string(v.substr(b, i - b));
        m.has_angle = true;
      }
      if (i < v.size()) ++i;
    } else if (c == ',' || c == ';') {
      finish();
      ++i;
    } else if (c == ':' && !m.has_angle) {
      m = Box();
      ++i;
    } else {
      if (IsWsp(c)) {
        m.in_word = false;
      } else {
        if (!m.in_word) ++m.words;
        m.in_word = true;
        if (c == '@') m.at = true;
        m.unquoted = true;
        m.plain.push_back(c);
      }
      ++i;
    }
  }
  finish();
  return out;
}

TEST_CASE("ParseAddressList matches the character-at-a-time parser",
          "[mime][fastpath]") {
  std::vector<std::string> inputs = {
      "Alice Example <alice@example.com>",
      "a@b, c@d; e",
      "team: a@x, b@y;",
      "<a@b>: c@d",
      "x <a@b> : y",
      "\"q\\\" x\" <q@x>, (c (d)) e@f",
      "<@r1,@r2:u@h>",
      "< a @ b >",
      "\"a@b\"",
      "post master",
      "<unterminated@x",
  };
  for (std::string& s : RandomStrings("ab@ .,;:<>()\"\\", 30000)) {
    inputs.push_back(s);
  }
  for (const std::string& s : inputs) {
    INFO("input '" << s << "'");
    const std::vector<std::string> want = ReferenceAddresses(s);
    CHECK(ParseAddressList(s) == want);
    std::vector<std::string> appended = {"kept"};
    ParseAddressList(s, appended);
    REQUIRE(!appended.empty());
    CHECK(appended.front() == "kept");
    CHECK(std::vector<std::string>(appended.begin() + 1, appended.end()) ==
          want);
  }
}

TEST_CASE("Plain and non-plain header fields give the same kind of items",
          "[mime][fastpath]") {
  struct Case {
    const char* name;
    std::string header;  // LF line breaks; the body is "b"
    std::vector<std::string> headers, header_origins, subject, sender,
        recipients;
  };
  const std::vector<Case> cases = {
      {"plain fields",
       "From: Alice Example <alice@example.com>\n"
       "To: Bob <bob@example.org>, carol@example.net\n"
       "Subject:   Quarterly numbers\t\n"
       "Message-ID: <bench@example.com>\n"
       "Content-Type: text/plain; charset=utf-8\n",
       {"From: Alice Example <alice@example.com>",
        "To: Bob <bob@example.org>, carol@example.net",
        "Message-ID: <bench@example.com>",
        "Content-Type: text/plain; charset=utf-8"},
       {"header From", "header To", "header Message-ID", "header Content-Type"},
       {"Quarterly numbers"},
       {"alice@example.com"},
       {"bob@example.org", "carol@example.net"}},
      {"folded, encoded, 8-bit and NUL",
       "From: =?utf-8?Q?Al=C3=A9?= <al@example.com>\n"
       "Subject: =?utf-8?B?w6k=?=\n"
       "\tnext\n"
       "Cc: Jos\xE9 <jose@example.com>\n" +
           std::string("X-Nul: a\0b\n", 11),
       {"From: Al\xC3\xA9 <al@example.com>",
        "Cc: Jos\xC3\xA9 <jose@example.com>",
        "X-Nul: a\xEF\xBF\xBD"
        "b"},
       {"header From", "header Cc", "header X-Nul"},
       {"\xC3\xA9\tnext"},
       {"al@example.com"},
       {"jose@example.com"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string raw = Crlf(c.header + "\nb\n");
    Result<MessageText> t = ExtractMessageText(raw);
    REQUIRE(t.ok());
    CHECK(Texts(*t, Scope::kHeaders) == c.headers);
    CHECK(Origins(*t, Scope::kHeaders) == c.header_origins);
    CHECK(Texts(*t, Scope::kSubject) == c.subject);
    CHECK(Texts(*t, Scope::kSender) == c.sender);
    CHECK(Texts(*t, Scope::kRecipients) == c.recipients);
  }
}

}  // namespace
}  // namespace seal::mime
