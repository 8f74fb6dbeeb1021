// HTML to text (see html_text.h).
#include "lib/mime/html_text.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <iterator>

#include "lib/ascii.h"
#include "lib/mime/html_entities.h"

namespace seal::mime {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool StartsWithNoCase(std::string_view s, size_t pos, std::string_view lit) {
  if (s.size() - pos < lit.size()) return false;
  for (size_t k = 0; k < lit.size(); ++k) {
    if (LowerAscii(s[pos + k]) != lit[k]) return false;
  }
  return true;
}

enum class TagKind { kBlock, kPhrase, kSpace, kRawText };

TagKind Classify(std::string_view name) {
  static constexpr std::string_view kBlock[] = {
      "address", "article", "aside",    "blockquote", "body",   "br",
      "caption", "center",  "dd",       "details",    "dialog", "div",
      "dl",      "dt",      "fieldset", "figcaption", "figure", "footer",
      "form",    "h1",      "h2",       "h3",         "h4",     "h5",
      "h6",      "head",    "header",   "hr",         "html",   "legend",
      "li",      "main",    "nav",      "ol",         "option", "p",
      "pre",     "section", "summary",  "table",      "tbody",  "tfoot",
      "thead",   "title",   "tr",       "ul"};
  static constexpr std::string_view kPhrase[] = {
      "a",   "abbr", "b",  "bdi",  "bdo",   "big",  "cite",   "code",   "data",
      "del", "dfn",  "em", "font", "i",     "ins",  "kbd",    "mark",   "nobr",
      "o:p", "q",    "s",  "samp", "small", "span", "strike", "strong", "sub",
      "sup", "time", "tt", "u",    "var",   "wbr"};
  static constexpr std::string_view kRaw[] = {"script", "style",   "template",
                                              "xml",    "noembed", "noframes"};
  for (std::string_view n : kRaw) {
    if (n == name) return TagKind::kRawText;
  }
  for (std::string_view n : kBlock) {
    if (n == name) return TagKind::kBlock;
  }
  for (std::string_view n : kPhrase) {
    if (n == name) return TagKind::kPhrase;
  }
  return TagKind::kSpace;
}

class TextSink {
 public:
  explicit TextSink(size_t reserve) { out_.reserve(reserve); }
  void Space() { pending_space_ = true; }
  void Break() { pending_break_ = true; }
  void Text(std::string_view t) {
    for (char c : t) {
      if (IsSpace(c)) {
        pending_space_ = true;
        continue;
      }
      if (!out_.empty()) {
        if (pending_break_) {
          out_.push_back('\n');
        } else if (pending_space_) {
          out_.push_back(' ');
        }
      }
      pending_break_ = pending_space_ = false;
      out_.push_back(c);
    }
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  bool pending_space_ = false;
  bool pending_break_ = false;
};

constexpr size_t kNone = std::string_view::npos;

// Finds tag ends and raw-text ends, remembering failed searches: a search
// that found nothing from position p finds nothing from any later position,
// which keeps hostile input ("<a<a<a...", "<script><script>...") linear.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  // Index just past the '>' ending the tag that starts at `i` ('<'), or
  // kNone. Quoted attribute values may contain '>' until the first quote
  // that never closes; from then on the next '>' ends every tag.
  size_t TagEnd(size_t i) {
    if (quotes_ok_) {
      const size_t e = QuotedTagEnd(i);
      if (e != kNone) return e;
      quotes_ok_ = false;
      unclosed_ = true;
    }
    return NextGt(i);
  }

  // Index just past "</name ...>" (case-insensitive) at or after `from`, or
  // kNone.
  size_t RawTextEnd(size_t from, std::string_view name) {
    size_t& failed = no_close_from_[RawIndex(name)];
    if (from >= failed) return kNone;
    size_t k = from;
    while (k < s_.size()) {
      const void* p = std::memchr(s_.data() + k, '<', s_.size() - k);
      if (p == nullptr) break;
      k = static_cast<size_t>(static_cast<const char*>(p) - s_.data());
      if (k + 1 < s_.size() && s_[k + 1] == '/' &&
          StartsWithNoCase(s_, k + 2, name)) {
        const size_t after = k + 2 + name.size();
        if (after >= s_.size() || !IsAlpha(s_[after])) {
          const size_t e = NextGt(k);
          return e == kNone ? s_.size() : e;
        }
      }
      ++k;
    }
    failed = from;
    return kNone;
  }

  // Index just past the next "-->" at or after `from`, or kNone.
  size_t CommentEnd(size_t from) {
    if (from >= no_comment_end_from_) return kNone;
    const size_t p = s_.find("-->", from);
    if (p == std::string_view::npos) {
      no_comment_end_from_ = from;
      return kNone;
    }
    return p + 3;
  }

  bool unclosed() const { return unclosed_; }

 private:
  static size_t RawIndex(std::string_view name) {
    static constexpr std::string_view kRaw[] = {
        "script", "style", "template", "xml", "noembed", "noframes"};
    for (size_t k = 0; k < std::size(kRaw); ++k) {
      if (kRaw[k] == name) return k;
    }
    return 0;
  }

  size_t NextGt(size_t i) {
    if (i >= no_gt_from_) return kNone;
    const void* p = std::memchr(s_.data() + i, '>', s_.size() - i);
    if (p == nullptr) {
      no_gt_from_ = i;
      return kNone;
    }
    return static_cast<size_t>(static_cast<const char*>(p) - s_.data()) + 1;
  }

  size_t QuotedTagEnd(size_t i) const {
    char quote = 0;
    for (size_t k = i + 1; k < s_.size(); ++k) {
      const char c = s_[k];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        // Only a quote that opens an attribute value (after '=') counts.
        size_t b = k;
        while (b > i && IsSpace(s_[b - 1])) --b;
        if (b > i && s_[b - 1] == '=') quote = c;
      } else if (c == '>') {
        return k + 1;
      }
    }
    return kNone;
  }

  std::string_view s_;
  bool quotes_ok_ = true;
  bool unclosed_ = false;
  size_t no_gt_from_ = kNone;
  size_t no_comment_end_from_ = kNone;
  size_t no_close_from_[6] = {kNone, kNone, kNone, kNone, kNone, kNone};
};

}  // namespace

std::string HtmlToText(std::string_view s, HtmlIssues* issues) {
  TextSink sink(s.size());
  Scanner scan(s);
  bool unclosed = false;
  std::string entity;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '&') {
      entity.clear();
      const size_t n = DecodeHtmlEntity(s.substr(i), entity);
      if (n > 0) {
        sink.Text(entity);
        i += n;
      } else {
        sink.Text("&");
        ++i;
      }
      continue;
    }
    if (c != '<') {
      // Copy up to the next markup character in one go.
      size_t j = i;
      while (j < s.size() && s[j] != '<' && s[j] != '&') ++j;
      sink.Text(s.substr(i, j - i));
      i = j;
      continue;
    }
    // c == '<'
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t e = scan.CommentEnd(i + 4);
      if (e == kNone) {
        unclosed = true;  // read the rest as text
        i += 4;
      } else {
        i = e;
      }
      continue;
    }
    size_t j = i + 1;
    const bool declaration = j < s.size() && (s[j] == '!' || s[j] == '?');
    const bool closing = j < s.size() && s[j] == '/';
    if (closing) ++j;
    if (!declaration && (j >= s.size() || !IsAlpha(s[j]))) {
      sink.Text("<");  // "a < b" is text
      ++i;
      continue;
    }
    const size_t end = scan.TagEnd(i);
    if (end == kNone) {  // no '>' anywhere after: the rest is text
      unclosed = true;
      sink.Text("<");
      ++i;
      continue;
    }
    if (declaration) {  // doctype, CDATA, processing instruction
      i = end;
      continue;
    }
    std::string name;
    while (j < s.size() && !IsSpace(s[j]) && s[j] != '/' && s[j] != '>' &&
           name.size() < 32) {
      name.push_back(LowerAscii(s[j]));
      ++j;
    }
    switch (Classify(name)) {
      case TagKind::kRawText:
        sink.Space();
        if (closing) {
          i = end;
        } else if (const size_t e = scan.RawTextEnd(end, name); e != kNone) {
          i = e;
        } else {
          unclosed = true;  // read the rest as HTML
          i = end;
        }
        continue;
      case TagKind::kBlock:
        sink.Break();
        break;
      case TagKind::kSpace:
        sink.Space();
        break;
      case TagKind::kPhrase:
        break;
    }
    i = end;
  }
  if (issues != nullptr) issues->unclosed = unclosed || scan.unclosed();
  return sink.Take();
}

std::string SniffHtmlCharset(std::string_view html) {
  const std::string_view head =
      html.substr(0, std::min<size_t>(html.size(), 2048));
  for (size_t i = 0; i + 8 <= head.size(); ++i) {
    if (!StartsWithNoCase(head, i, "charset=")) continue;
    size_t k = i + 8;
    while (k < head.size() &&
           (head[k] == '"' || head[k] == '\'' || IsSpace(head[k]))) {
      ++k;
    }
    std::string cs;
    while (k < head.size() && cs.size() < 40 &&
           (IsAlpha(head[k]) || (head[k] >= '0' && head[k] <= '9') ||
            head[k] == '-' || head[k] == '_' || head[k] == '.' ||
            head[k] == ':')) {
      cs.push_back(LowerAscii(head[k]));
      ++k;
    }
    if (!cs.empty()) return cs;
  }
  return "";
}

}  // namespace seal::mime
