// RFC 5322 address lists (see address_list.h).
#include "lib/mime/address_list.h"

#include <cstddef>

#include "lib/mime/header_fields.h"

namespace seal::mime {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Trim(std::string_view s) {
  return std::string(TrimFoldWhitespace(s));
}

// Characters the loop in ParseAddressList handles itself (':' ends a
// group name only before an angle address).
bool IsSpecial(char c, bool has_angle) {
  return c == '(' || c == '"' || c == '<' || c == ',' || c == ';' ||
         (c == ':' && !has_angle);
}

// One mailbox being read.
struct Mailbox {
  std::string plain;       // text outside comments and angle brackets
  std::string_view angle;  // content of <...>, a view into the value
  bool has_angle = false;
  size_t words = 0;  // whitespace-separated words in `plain`
  bool in_word = false;
  bool at_outside_quotes = false;  // an '@' not inside a quoted string
  bool unquoted_text = false;      // some text outside quoted strings

  // A run of characters that are neither blanks nor handled by the loop
  // in ParseAddressList, `has_at` when one of them is '@'.
  void AddRun(std::string_view run, bool has_at) {
    if (!in_word) ++words;
    in_word = true;
    if (has_at) at_outside_quotes = true;
    unquoted_text = true;
    plain.append(run);
  }
  // A quoted string is about to be appended to `plain`.
  void StartQuoted() {
    if (!in_word) ++words;
    in_word = true;
  }
  // Empty again, keeping the buffer of `plain` for the next mailbox.
  void Reset() {
    plain.clear();
    angle = {};
    has_angle = false;
    words = 0;
    in_word = false;
    at_outside_quotes = false;
    unquoted_text = false;
  }
};

void Finish(Mailbox& m, std::vector<std::string>& out) {
  if (m.has_angle) {
    std::string_view a = TrimFoldWhitespace(m.angle);
    // Obsolete source route "@a,@b:user@host".
    if (!a.empty() && a[0] == '@') {
      const size_t colon = a.find(':');
      a = colon == std::string_view::npos ? std::string_view()
                                          : a.substr(colon + 1);
    }
    // The addr-spec without its blanks, copied once (in one piece when it
    // has none, as nearly always).
    std::string addr;
    size_t blank = 0;
    while (blank < a.size() && !IsWsp(a[blank])) ++blank;
    if (blank == a.size()) {
      addr.assign(a);
    } else {
      addr.reserve(a.size());
      for (char c : a) {
        if (!IsWsp(c)) addr.push_back(c);
      }
    }
    if (!addr.empty()) out.push_back(std::move(addr));
  } else if ((m.at_outside_quotes || (m.words == 1 && m.unquoted_text)) &&
             !m.plain.empty()) {
    out.push_back(m.plain);  // words already joined without spaces
  }
  m.Reset();
}

}  // namespace

std::vector<std::string> ParseAddressList(std::string_view v) {
  std::vector<std::string> out;
  ParseAddressList(v, out);
  return out;
}

void ParseAddressList(std::string_view v, std::vector<std::string>& out) {
  Mailbox m;
  size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == '(') {  // comment, possibly nested
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
      continue;
    }
    if (c == '"') {  // quoted string: part of a display name or local part
      m.StartQuoted();
      m.plain.push_back('"');
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) m.plain.push_back(v[i++]);
        m.plain.push_back(v[i++]);
      }
      if (i < v.size()) ++i;
      m.plain.push_back('"');
      continue;
    }
    if (c == '<') {
      ++i;
      const size_t b = i;
      while (i < v.size() && v[i] != '>') ++i;
      if (!m.has_angle) {
        m.angle = v.substr(b, i - b);
        m.has_angle = true;
      }
      if (i < v.size()) ++i;
      continue;
    }
    if (c == ',' || c == ';') {
      Finish(m, out);
      ++i;
      continue;
    }
    if (c == ':' && !m.has_angle) {  // group name ends; drop it
      m.Reset();
      ++i;
      continue;
    }
    if (IsWsp(c)) {
      m.in_word = false;
      ++i;
      continue;
    }
    // A run of other characters (a ':' after an angle address among them):
    // text of the display name or of a bare address.
    const size_t b = i;
    bool at = false;
    while (i < v.size() && !IsWsp(v[i]) && !IsSpecial(v[i], m.has_angle)) {
      at = at || v[i] == '@';
      ++i;
    }
    m.AddRun(v.substr(b, i - b), at);  // not empty: v[b] is neither
  }
  Finish(m, out);
}

std::string StripAngleBrackets(std::string_view path) {
  std::string s = Trim(path);
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') {
    s = Trim(std::string_view(s).substr(1, s.size() - 2));
  }
  return s;
}

}  // namespace seal::mime
