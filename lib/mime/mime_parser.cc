// MIME structure parser: one pass, explicit stack (see mime_parser.h).
#include "lib/mime/mime_parser.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <utility>

#include "lib/mime/charset.h"
#include "lib/mime/warning_list.h"

namespace seal::mime {
namespace {

constexpr size_t kMaxBoundary = 200;  // RFC 2046 says 70; be generous

struct Line {
  size_t begin;        // first byte
  size_t content_end;  // end without CR LF
  size_t next;         // start of the next line
};

Line NextLine(std::string_view s, size_t pos) {
  const void* nl = std::memchr(s.data() + pos, '\n', s.size() - pos);
  if (nl == nullptr) return {pos, s.size(), s.size()};
  const auto i = static_cast<size_t>(static_cast<const char*>(nl) - s.data());
  const size_t cend = (i > pos && s[i - 1] == '\r') ? i - 1 : i;
  return {pos, cend, i + 1};
}

bool AllBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

bool ValidBoundary(std::string_view b) {
  if (b.empty() || b.size() > kMaxBoundary) return false;
  for (char c : b) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool ValidTypeToken(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127 || c == '/' || c == '"' || c == ',' || c == '@' ||
        c == '[' || c == ']' || c == '?' || c == '<' || c == '>') {
      return false;
    }
  }
  return true;
}

std::string JoinPath(const std::string& parent, size_t n) {
  return parent.empty() ? std::to_string(n) : parent + "." + std::to_string(n);
}

class Parser {
 public:
  Parser(std::string_view raw, const MimeLimits& limits,
         const EnclosingPart* enclosing)
      : raw_(raw),
        limits_(limits),
        enclosing_(enclosing),
        warnings_(limits.max_warnings) {}

  Result<ParsedMime> Run() {
    SEAL_RETURN_IF_ERROR(NewNode(kNoParent, 0, 1));
    size_t pos = 0;
    size_t prev_content_end = 0;
    while (pos < raw_.size()) {
      const Line line = NextLine(raw_, pos);
      SEAL_RETURN_IF_ERROR(OnLine(line, prev_content_end));
      prev_content_end = line.content_end;
      pos = line.next;
      // In a body with no multipart open, no later line can start a part or
      // a header (OnLine would return at once for each): skip them, so a
      // single-part body is not read line by line here.
      if (frames_open_ == 0 && !stack_.empty() && !stack_.back().in_header) {
        break;
      }
    }
    while (!stack_.empty()) CloseTop(raw_.size(), /*at_eof=*/true);
    ParsedMime out;
    out.raw = raw_;
    out.parts = std::move(parts_);
    out.warnings = warnings_.Take();
    return out;
  }

 private:
  // An entity whose end has not been seen yet.
  struct Open {
    size_t node = 0;
    size_t number = 1;       // 1-based position among its siblings
    bool in_header = true;   // still reading header fields
    bool frame = false;      // multipart with a boundary
    bool closed = false;     // saw "--boundary--"
    size_t child_count = 0;  // parts seen (frames only)
    std::string boundary;    // frames only
    // Header problems, reported once the path is known.
    bool nul_in_header = false;
    bool orphan_continuation = false;
    bool skipped_from_line = false;
  };

  enum class LineResult { kDone, kReprocess };

  Status OnLine(const Line& line, size_t prev_content_end) {
    // A header that ends without a blank line hands the same line to the
    // next state (boundary check, or the header of an encapsulated message).
    // Each hand-over creates a node or ends a header, so this terminates.
    for (;;) {
      const std::string_view content =
          raw_.substr(line.begin, line.content_end - line.begin);
      if (frames_open_ > 0 && content.size() >= 2 && content[0] == '-' &&
          content[1] == '-') {
        size_t k = 0;
        bool close = false;
        if (MatchBoundary(content, &k, &close)) {
          const size_t delim = line.begin == 0 ? 0 : prev_content_end;
          return OnBoundary(k, close, delim, line);
        }
      }
      if (!stack_.back().in_header) return Status::Ok();
      Result<LineResult> r = HeaderLine(line, content);
      if (!r.ok()) return r.status();
      if (*r == LineResult::kDone) return Status::Ok();
    }
  }

  bool MatchBoundary(std::string_view content, size_t* k, bool* close) const {
    for (size_t i = stack_.size(); i-- > 0;) {
      const Open& o = stack_[i];
      if (!o.frame || o.closed) continue;
      const std::string& b = o.boundary;
      if (content.size() < 2 + b.size() ||
          content.compare(2, b.size(), b) != 0) {
        continue;
      }
      std::string_view rest = content.substr(2 + b.size());
      bool is_close = false;
      if (rest.size() >= 2 && rest[0] == '-' && rest[1] == '-') {
        is_close = true;
        rest.remove_prefix(2);
      }
      if (!AllBlank(rest)) continue;
      *k = i;
      *close = is_close;
      return true;
    }
    return false;
  }

  Status OnBoundary(size_t k, bool close, size_t delim, const Line& line) {
    while (stack_.size() > k + 1) CloseTop(delim, /*at_eof=*/false);
    Open& f = stack_[k];
    PartView& container = parts_[f.node];
    if (f.child_count == 0) {
      container.preamble_end = std::max(container.body_begin, delim);
    }
    if (close) {
      f.closed = true;
      --frames_open_;
      container.epilogue_begin = line.next;
      return Status::Ok();
    }
    const size_t number = ++f.child_count;
    return NewNode(f.node, line.next, number);
  }

  Result<LineResult> HeaderLine(const Line& line, std::string_view content) {
    Open& o = stack_.back();
    PartView& p = parts_[o.node];
    if (line.next - p.header_begin > limits_.max_header_bytes) {
      return ResourceExhaustedError("MIME header block larger than " +
                                    std::to_string(limits_.max_header_bytes) +
                                    " bytes");
    }
    if (std::memchr(content.data(), '\0', content.size()) != nullptr) {
      o.nul_in_header = true;
    }
    if (content.empty()) {  // the blank line ending the header
      p.header_end = line.begin;
      p.body_begin = line.next;
      p.body_end = line.next;
      SEAL_RETURN_IF_ERROR(FinishHeader(/*allow_children=*/true));
      return LineResult::kDone;
    }
    if (content[0] == ' ' || content[0] == '\t') {
      if (p.headers.empty()) {
        o.orphan_continuation = true;
      } else {
        p.headers.back().value_end = line.content_end;
        p.headers.back().end = line.next;
      }
      p.header_end = line.next;
      return LineResult::kDone;
    }
    size_t colon = 0;
    const size_t name_len = FieldNameLength(content, &colon);
    if (name_len > 0) {
      HeaderField f;
      f.begin = line.begin;
      f.name_end = line.begin + name_len;
      f.value_begin = line.begin + colon + 1;
      f.value_end = line.content_end;
      f.end = line.next;
      // A top-level header block has a dozen fields or more: one
      // allocation for them, not four or five as the vector doubles.
      if (p.headers.empty()) p.headers.reserve(p.index == 0 ? 24 : 4);
      p.headers.push_back(f);
      p.header_end = line.next;
      return LineResult::kDone;
    }
    if (o.node == 0 && line.begin == 0 && content.substr(0, 5) == "From ") {
      o.skipped_from_line = true;  // mbox separator
      p.header_begin = line.next;
      p.header_end = line.next;
      return LineResult::kDone;
    }
    // Not a header line: the header ended without a blank line.
    p.header_end = line.begin;
    p.body_begin = line.begin;
    p.body_end = line.begin;
    const size_t node = o.node;
    SEAL_RETURN_IF_ERROR(FinishHeader(/*allow_children=*/true));
    const PartView& done = parts_[node];
    warnings_.Add(done.Label() + (done.headers.empty()
                                      ? ": no header block"
                                      : ": header not ended by a blank line"));
    return LineResult::kReprocess;
  }

  // Interprets the Content-* fields of the top entity, emits its header
  // warnings and, when allowed, opens its boundary frame or its
  // encapsulated message.
  Status FinishHeader(bool allow_children) {
    const size_t top = stack_.size() - 1;
    const size_t node = stack_[top].node;
    ApplyContentFields(node);
    {
      PartView& p = parts_[node];
      const Open& o = stack_[top];
      const std::string label = p.Label();
      if (o.nul_in_header) warnings_.Add(label + ": NUL byte in header");
      if (o.orphan_continuation) {
        warnings_.Add(label + ": continuation line without a header field");
      }
      if (o.skipped_from_line)
        warnings_.Add("skipped a leading mbox From line");
    }
    stack_[top].in_header = false;
    if (!allow_children) return Status::Ok();

    PartView& p = parts_[node];
    if (p.IsMultipart()) {
      if (ValidBoundary(p.boundary)) {
        stack_[top].frame = true;
        stack_[top].boundary = p.boundary;
        ++frames_open_;
      } else {
        warnings_.Add(p.Label() + ": multipart without a usable boundary");
      }
      return Status::Ok();
    }
    if (p.type == "message" &&
        (p.subtype == "rfc822" || p.subtype == "global") &&
        (p.encoding == TransferEncoding::k7Bit ||
         p.encoding == TransferEncoding::k8Bit ||
         p.encoding == TransferEncoding::kBinary)) {
      return NewNode(node, p.body_begin, 1);
    }
    return Status::Ok();
  }

  void ApplyContentFields(size_t node) {
    PartView& p = parts_[node];
    const PartView* parent =
        p.parent == kNoParent ? nullptr : &parts_[p.parent];
    TextIssues issues;
    bool seen_type = false, seen_cte = false, seen_cd = false;
    bool bad_type = false, duplicate = false, bad_charset = false;
    std::string malformed;  // names of fields whose syntax was repaired
    for (const HeaderField& f : p.headers) {
      const std::string_view name = FieldName(raw_, f);
      const bool is_type = NameEquals(name, "Content-Type");
      const bool is_cte = NameEquals(name, "Content-Transfer-Encoding");
      const bool is_cd = NameEquals(name, "Content-Disposition");
      if (!is_type && !is_cte && !is_cd) continue;
      bool& seen = is_type ? seen_type : (is_cte ? seen_cte : seen_cd);
      if (seen) {
        duplicate = true;
        continue;
      }
      seen = true;
      std::string unfolded;
      ContentField cf = ParseContentField(
          UnfoldedView(FieldRawValue(raw_, f), unfolded), conv_, issues);
      if (cf.malformed) {
        malformed += malformed.empty() ? "" : ", ";
        malformed += std::string(name);
      }
      if (is_type) {
        const size_t slash = cf.token.find('/');
        const std::string_view t = std::string_view(cf.token).substr(
            0, slash == std::string::npos ? 0 : slash);
        const std::string_view s =
            slash == std::string::npos
                ? std::string_view()
                : std::string_view(cf.token).substr(slash + 1);
        if (ValidTypeToken(t) && ValidTypeToken(s)) {
          p.type = std::string(t);
          p.subtype = std::string(s);
          p.type_defaulted = false;
        } else {
          bad_type = true;
        }
        p.params = std::move(cf.params);
        if (const MimeParam* cs = FindParam(p.params, "charset")) {
          p.charset = NormalizeCharset(cs->raw);
          bad_charset = p.charset.empty() && !cs->raw.empty();
        }
        if (const MimeParam* b = FindParam(p.params, "boundary")) {
          p.boundary = b->raw;
        }
        if (const MimeParam* n = FindParam(p.params, "name")) {
          p.name = n->value;
        }
      } else if (is_cte) {
        p.encoding_token = cf.token;
        p.encoding = ParseTransferEncoding(cf.token);
      } else {
        if (cf.token == "inline") {
          p.disposition = Disposition::kInline;
        } else if (cf.token == "attachment") {
          p.disposition = Disposition::kAttachment;
        } else {
          p.disposition = Disposition::kOther;
        }
        p.disposition_params = std::move(cf.params);
        if (const MimeParam* fn = FindParam(p.disposition_params, "filename")) {
          p.filename = fn->value;
        }
      }
    }
    if (p.type_defaulted) {
      p.type = "text";
      p.subtype = "plain";
      if (parent != nullptr && parent->type == "multipart" &&
          parent->subtype == "digest") {
        p.type = "message";
        p.subtype = "rfc822";
      }
    }
    // Path (needs the type: see part_view.h).
    if (parent == nullptr && enclosing_ != nullptr) {
      // Like the child of a message/rfc822 part (see below).
      p.path =
          p.IsMultipart() ? enclosing_->path : JoinPath(enclosing_->path, 1);
    } else if (parent == nullptr) {
      p.path = p.IsMultipart() ? "" : "1";
    } else if (parent->IsMultipart()) {
      p.path = JoinPath(parent->path, stack_.back().number);
    } else {
      p.path = p.IsMultipart() ? parent->path : JoinPath(parent->path, 1);
    }
    const std::string label = p.Label();
    if (bad_type)
      warnings_.Add(label + ": invalid Content-Type, using " + p.MimeType());
    if (duplicate) warnings_.Add(label + ": duplicate Content-* header");
    if (!malformed.empty()) {
      warnings_.Add(label + ": malformed parameters in " + malformed);
    }
    if (bad_charset) {
      warnings_.Add(label +
                    ": invalid charset label, read as UTF-8 or Windows-1252");
    }
    if (p.encoding == TransferEncoding::kUnknown) {
      warnings_.Add(label + ": unknown Content-Transfer-Encoding, not decoded");
    }
    if (!issues.unknown_charset.empty()) {
      warnings_.Add(label + ": unknown charset '" + issues.unknown_charset +
                    "' in a parameter");
    }
    if (issues.bad_encoding) {
      warnings_.Add(label + ": malformed encoded-word in a parameter");
    }
    if (issues.raw_not_utf8) {
      warnings_.Add(label +
                    ": 8-bit parameter text is not UTF-8, read as "
                    "Windows-1252");
    }
  }

  Status NewNode(size_t parent, size_t header_begin, size_t number) {
    if (parts_.size() >= limits_.max_parts) {
      return ResourceExhaustedError("message has more than " +
                                    std::to_string(limits_.max_parts) +
                                    " MIME parts");
    }
    size_t depth = parent == kNoParent ? 0 : parts_[parent].depth + 1;
    if (parent == kNoParent && enclosing_ != nullptr) {
      depth = enclosing_->depth + 1;
    }
    if (depth > limits_.max_depth) {
      return ResourceExhaustedError("MIME nesting deeper than " +
                                    std::to_string(limits_.max_depth));
    }
    // Built in place: a PartView is a dozen strings and vectors.
    const size_t index = parts_.size();
    PartView& p = parts_.emplace_back();
    p.index = index;
    p.parent = parent;
    p.depth = depth;
    p.header_begin = p.header_end = p.body_begin = p.body_end = header_begin;
    if (parent != kNoParent) parts_[parent].children.push_back(index);
    Open& o = stack_.emplace_back();
    o.node = index;
    o.number = number;
    return Status::Ok();
  }

  // Ends the innermost open entity at `end` (the start of the delimiter that
  // closes it, or the end of input).
  void CloseTop(size_t end, bool at_eof) {
    Open& o = stack_.back();
    const size_t node = o.node;
    if (o.in_header) {
      PartView& p = parts_[node];
      const size_t h = std::max(p.header_begin, end);
      p.header_end = h;
      p.body_begin = p.body_end = p.preamble_end = p.epilogue_begin = h;
      for (HeaderField& f : p.headers) {
        f.end = std::min(f.end, h);
        f.value_end = std::min(f.value_end, h);
        f.value_begin = std::min(f.value_begin, f.value_end);
      }
      ApplyHeaderOnly();
      if (!(node == 0 && at_eof)) {
        warnings_.Add(parts_[node].Label() + ": header without body (" +
                      (at_eof ? "message truncated" : "cut by a boundary") +
                      ")");
      }
    } else {
      PartView& p = parts_[node];
      p.body_end = std::max(p.body_begin, end);
      if (!o.frame || o.child_count == 0) {
        p.preamble_end = p.body_begin;
        p.epilogue_begin = p.body_end;
      } else if (!o.closed) {
        p.epilogue_begin = p.body_end;
      } else {
        p.epilogue_begin = std::min(p.epilogue_begin, p.body_end);
      }
      if (o.frame && !o.closed) {
        --frames_open_;
        warnings_.Add(p.Label() + (o.child_count == 0
                                       ? ": boundary never found"
                                       : ": no closing boundary"));
      }
    }
    stack_.pop_back();
  }

  void ApplyHeaderOnly() { (void)FinishHeader(/*allow_children=*/false); }

  std::string_view raw_;
  const MimeLimits& limits_;
  const EnclosingPart* enclosing_;  // may be null
  WarningList warnings_;
  CharsetConverter conv_;
  std::vector<PartView> parts_;
  std::vector<Open> stack_;
  size_t frames_open_ = 0;  // frames on the stack not yet closed
};

}  // namespace

const HeaderField* ParsedMime::FindField(const PartView& p,
                                         std::string_view name) const {
  for (const HeaderField& f : p.headers) {
    if (NameEquals(FieldName(raw, f), name)) return &f;
  }
  return nullptr;
}

Result<ParsedMime> ParseMime(std::string_view raw, const MimeLimits& limits,
                             const EnclosingPart* enclosing) {
  try {
    Parser parser(raw, limits, enclosing);
    return parser.Run();
  } catch (const std::bad_alloc&) {
    return InternalError("out of memory while parsing MIME");
  } catch (const std::exception& e) {
    return InternalError(std::string("MIME parser failed: ") + e.what());
  } catch (...) {
    return InternalError("MIME parser failed");
  }
}

Result<Decoded> DecodeBody(const ParsedMime& mime, const PartView& part,
                           size_t max_bytes) {
  const std::string_view body = mime.BodyBytes(part);
  if (!part.children.empty()) {
    return DecodeTransfer(body, TransferEncoding::kBinary, max_bytes);
  }
  return DecodeTransfer(body, part.encoding, max_bytes);
}

}  // namespace seal::mime
