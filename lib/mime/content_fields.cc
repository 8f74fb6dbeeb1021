// Content-Type / Content-Disposition value parsing (see content_fields.h).
#include "lib/mime/content_fields.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "lib/ascii.h"
#include "lib/mime/encoded_words.h"

namespace seal::mime {
namespace {

// More parameters than this in one field are ignored (malformed): keeps the
// grouping below cheap on hostile input.
constexpr size_t kMaxParams = 256;
constexpr size_t kMaxSection = 9999;

bool IsWsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }
  void next() { ++pos_; }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  std::string_view text() const { return s_; }

  // Skips whitespace and (nested) comments. Returns false when a comment
  // was not closed.
  bool SkipCfws() {
    bool ok = true;
    while (pos_ < s_.size()) {
      if (IsWsp(s_[pos_])) {
        ++pos_;
      } else if (s_[pos_] == '(') {
        size_t depth = 0;
        while (pos_ < s_.size()) {
          const char c = s_[pos_++];
          if (c == '\\') {
            ++pos_;
          } else if (c == '(') {
            ++depth;
          } else if (c == ')' && --depth == 0) {
            break;
          }
        }
        if (depth != 0) ok = false;
      } else {
        break;
      }
    }
    if (pos_ > s_.size()) pos_ = s_.size();
    return ok;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool IsTokenStop(char c) {
  return IsWsp(c) || c == ';' || c == '(' || c == '=' || c == '"';
}

// Appends the token at the cursor to `out`, lower-cased, and moves past
// it: one append, not a push_back per character.
void AppendLowerToken(Cursor& c, std::string& out) {
  const std::string_view s = c.text();
  const size_t begin = c.pos();
  size_t end = begin;
  while (end < s.size() && !IsTokenStop(s[end])) ++end;
  const size_t at = out.size();
  out.append(s.substr(begin, end - begin));
  for (size_t k = at; k < out.size(); ++k) out[k] = LowerAscii(out[k]);
  c.set_pos(end);
}

// Leading "type/subtype" or disposition token, lower-cased; tolerates
// spaces around '/'.
std::string ReadLeadingToken(Cursor& c) {
  std::string out;
  AppendLowerToken(c, out);
  const size_t save = c.pos();
  if (!out.empty() && out.find('/') == std::string::npos) {
    (void)c.SkipCfws();
    if (!c.done() && c.peek() == '/') {
      out.push_back('/');
      c.next();
      (void)c.SkipCfws();
      AppendLowerToken(c, out);
      return out;
    }
    c.set_pos(save);
  }
  return out;
}

// True when text at `p` looks like another parameter: token chars, optional
// spaces, '='.
bool LooksLikeParam(std::string_view s, size_t p) {
  const size_t start = p;
  while (p < s.size() && !IsTokenStop(s[p])) ++p;
  if (p == start) return false;
  while (p < s.size() && IsWsp(s[p])) ++p;
  return p < s.size() && s[p] == '=';
}

std::string ReadQuoted(Cursor& c, bool* unterminated) {
  std::string out;
  c.next();  // opening quote
  while (!c.done()) {
    const char ch = c.peek();
    c.next();
    if (ch == '"') return out;
    if (ch == '\\' && !c.done()) {
      out.push_back(c.peek());
      c.next();
    } else if (ch != '\r' && ch != '\n') {
      out.push_back(ch);
    }
  }
  *unterminated = true;
  return out;
}

std::string ReadUnquoted(Cursor& c) {
  const std::string_view s = c.text();
  const size_t start = c.pos();
  size_t p = start;
  size_t end = start;
  while (p < s.size()) {
    while (p < s.size() && s[p] != ';' && s[p] != '(' && !IsWsp(s[p])) ++p;
    end = p;
    size_t q = p;
    while (q < s.size() && IsWsp(s[q])) ++q;
    if (q == p || q >= s.size() || s[q] == ';' || s[q] == '(' ||
        LooksLikeParam(s, q)) {
      break;
    }
    p = q;  // a space inside an unquoted value: keep going
  }
  c.set_pos(end);
  return std::string(s.substr(start, end - start));
}

struct RawParam {
  std::string base;       // lower-case name without RFC 2231 suffix
  int section = -1;       // RFC 2231 section number, -1 when none
  bool extended = false;  // name ended in '*': charset'lang'%XX form
  std::string value;      // unquoted bytes
};

// Splits "name", "name*", "name*3", "name*3*". False on a bad suffix.
bool SplitName(std::string_view name, RawParam& p) {
  const size_t star = name.find('*');
  if (star == std::string_view::npos) {
    p.base = std::string(name);
    return true;
  }
  p.base = std::string(name.substr(0, star));
  std::string_view rest = name.substr(star + 1);
  if (rest.empty()) {
    p.extended = true;
    return !p.base.empty();
  }
  if (rest.back() == '*') {
    p.extended = true;
    rest.remove_suffix(1);
  }
  if (rest.empty() || rest.size() > 4) return false;
  size_t n = 0;
  for (char ch : rest) {
    if (ch < '0' || ch > '9') return false;
    n = n * 10 + static_cast<size_t>(ch - '0');
  }
  if (n > kMaxSection) return false;
  p.section = static_cast<int>(n);
  return !p.base.empty();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s, bool* bad) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      const int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
      *bad = true;
    }
    out.push_back(s[i]);
  }
  return out;
}

// Joins the RFC 2231 pieces of one parameter into `out`.
void Join2231(std::vector<const RawParam*> pieces, MimeParam& out,
              CharsetConverter& conv, TextIssues& issues, bool* malformed) {
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const RawParam* a, const RawParam* b) {
                     return a->section < b->section;
                   });
  std::string charset;
  bool have_charset = false;
  std::string bytes;
  int expect = pieces.front()->section < 0 ? -1 : 0;
  int last = -2;
  for (size_t k = 0; k < pieces.size(); ++k) {
    const RawParam& p = *pieces[k];
    if (p.section == last) {
      *malformed = true;  // duplicate section: first wins
      continue;
    }
    if (p.section != expect) *malformed = true;  // gap or missing *0
    last = p.section;
    expect = p.section + 1;
    std::string_view v = p.value;
    if (p.extended && k == 0) {
      // charset'language'value
      const size_t q1 = v.find('\'');
      const size_t q2 =
          q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
      if (q2 != std::string_view::npos) {
        charset = std::string(v.substr(0, q1));
        have_charset = !charset.empty();
        v = v.substr(q2 + 1);
      } else {
        *malformed = true;
      }
    }
    bytes += p.extended ? PercentDecode(v, malformed) : std::string(v);
  }
  out.raw = bytes;
  out.value = have_charset ? conv.ToUtf8(bytes, charset, issues)
                           : DecodeEncodedWords(bytes, conv, issues);
}

}  // namespace

ContentField ParseContentField(std::string_view value, CharsetConverter& conv,
                               TextIssues& issues) {
  ContentField f;
  Cursor c(value);
  if (!c.SkipCfws()) f.malformed = true;
  f.token = ReadLeadingToken(c);

  std::vector<RawParam> raw;
  while (true) {
    if (!c.SkipCfws()) f.malformed = true;
    if (c.done()) break;
    if (c.peek() == ';') {
      c.next();
      continue;
    }
    std::string name;
    AppendLowerToken(c, name);
    if (name.empty()) {  // stray character such as '=' or '"'
      f.malformed = true;
      if (!c.done() && c.peek() == '"') {
        bool unterminated = false;
        (void)ReadQuoted(c, &unterminated);
      } else {
        c.next();
      }
      continue;
    }
    if (!c.SkipCfws()) f.malformed = true;
    if (c.done() || c.peek() != '=') {
      f.malformed = true;  // parameter without value
      continue;
    }
    c.next();
    if (!c.SkipCfws()) f.malformed = true;
    RawParam p;
    if (!c.done() && c.peek() == '"') {
      bool unterminated = false;
      p.value = ReadQuoted(c, &unterminated);
      if (unterminated) f.malformed = true;
    } else {
      p.value = ReadUnquoted(c);
    }
    if (!SplitName(name, p)) {
      f.malformed = true;
      continue;
    }
    if (raw.size() >= kMaxParams) {
      f.malformed = true;
      continue;
    }
    raw.push_back(std::move(p));
  }

  // Group by base name, in order of first appearance: each group starts at
  // the first parameter with its base name (no list of names to build).
  f.params.reserve(raw.size());
  for (size_t first = 0; first < raw.size(); ++first) {
    const std::string& base = raw[first].base;
    bool seen_before = false;
    for (size_t k = 0; k < first && !seen_before; ++k) {
      seen_before = raw[k].base == base;
    }
    if (seen_before) continue;
    std::vector<const RawParam*> rfc2231;
    const RawParam* plain = nullptr;
    for (size_t k = first; k < raw.size(); ++k) {
      const RawParam& p = raw[k];
      if (p.base != base) continue;
      if (p.section >= 0 || p.extended) {
        rfc2231.push_back(&p);
      } else if (plain == nullptr) {
        plain = &p;
      } else {
        f.malformed = true;  // duplicate: first wins
      }
    }
    MimeParam out;
    out.name = base;
    if (!rfc2231.empty()) {
      Join2231(std::move(rfc2231), out, conv, issues, &f.malformed);
    } else {
      out.raw = plain->value;
      out.value = DecodeEncodedWords(plain->value, conv, issues);
    }
    f.params.push_back(std::move(out));
  }
  return f;
}

const MimeParam* FindParam(const std::vector<MimeParam>& params,
                           std::string_view name) {
  for (const MimeParam& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace seal::mime
