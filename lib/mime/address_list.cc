// RFC 5322 address lists (see address_list.h).
#include "lib/mime/address_list.h"

#include <cstddef>

namespace seal::mime {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsWsp(s[b])) ++b;
  while (e > b && IsWsp(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

// One mailbox being read.
struct Mailbox {
  std::string plain;  // text outside comments and angle brackets
  std::string angle;  // content of <...>
  bool has_angle = false;
  size_t words = 0;  // whitespace-separated words in `plain`
  bool in_word = false;
  bool at_outside_quotes = false;  // an '@' not inside a quoted string
  bool unquoted_text = false;      // some text outside quoted strings

  void AddPlain(char c) {
    if (IsWsp(c)) {
      in_word = false;
      return;
    }
    if (!in_word) ++words;
    in_word = true;
    if (c == '@') at_outside_quotes = true;
    unquoted_text = true;
    plain.push_back(c);
  }
  void AddQuoted(std::string_view q) {
    if (!in_word) ++words;
    in_word = true;
    plain.append(q);
  }
};

void Finish(Mailbox& m, std::vector<std::string>& out) {
  std::string addr;
  if (m.has_angle) {
    addr = Trim(m.angle);
    // Obsolete source route "@a,@b:user@host".
    if (!addr.empty() && addr[0] == '@') {
      const size_t colon = addr.find(':');
      addr =
          colon == std::string::npos ? std::string() : addr.substr(colon + 1);
    }
    std::string compact;
    for (char c : addr) {
      if (!IsWsp(c)) compact.push_back(c);
    }
    addr = compact;
  } else if (m.at_outside_quotes || (m.words == 1 && m.unquoted_text)) {
    addr = m.plain;  // words already joined without spaces
  }
  if (!addr.empty()) out.push_back(std::move(addr));
  m = Mailbox();
}

}  // namespace

std::vector<std::string> ParseAddressList(std::string_view v) {
  std::vector<std::string> out;
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
      std::string q = "\"";
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) q.push_back(v[i++]);
        q.push_back(v[i++]);
      }
      if (i < v.size()) ++i;
      q.push_back('"');
      m.AddQuoted(q);
      continue;
    }
    if (c == '<') {
      ++i;
      const size_t b = i;
      while (i < v.size() && v[i] != '>') ++i;
      if (!m.has_angle) {
        m.angle = std::string(v.substr(b, i - b));
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
      m = Mailbox();
      ++i;
      continue;
    }
    m.AddPlain(c);
    ++i;
  }
  Finish(m, out);
  return out;
}

std::string StripAngleBrackets(std::string_view path) {
  std::string s = Trim(path);
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') {
    s = Trim(std::string_view(s).substr(1, s.size() - 2));
  }
  return s;
}

}  // namespace seal::mime
