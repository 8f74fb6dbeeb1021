// Entity splitting, Content-Type parsing, multipart/signed framing.
#include "lib/crypto/mime_frame.h"

#include <algorithm>

#include "lib/ascii.h"

namespace seal::crypto {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (IsWsp(s.front()) || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (IsWsp(s.back()) || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 2045 tspecials plus controls and space end a token.
bool IsTokenChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u >= 127) return false;
  static constexpr std::string_view kSpecials = "()<>@,;:\\\"/[]?=";
  return kSpecials.find(c) == std::string_view::npos;
}

// Removes RFC 822 comments outside quoted strings.
std::string StripComments(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quoted) {
      out += c;
      if (c == '\\' && i + 1 < v.size()) {
        out += v[++i];
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (depth > 0) {
      if (c == '\\') {
        ++i;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      }
      continue;
    }
    if (c == '(') {
      depth = 1;
    } else {
      if (c == '"') quoted = true;
      out += c;
    }
  }
  return out;
}

// Position just after the line end starting at `at` ("\r\n" or "\n"), or
// npos when `at` is not a line end.
size_t AfterLineEnd(std::string_view s, size_t at) {
  if (at < s.size() && s[at] == '\n') return at + 1;
  if (at + 1 < s.size() && s[at] == '\r' && s[at + 1] == '\n') return at + 2;
  return std::string_view::npos;
}

struct Delimiter {
  size_t line_start;  // where "--boundary" starts
  size_t before;      // where the preceding line end starts
  size_t after;       // after the delimiter line's line end (or the end)
  bool close;         // "--boundary--"
};

// Finds the next delimiter line at or after `from`. A delimiter starts a
// line: at `from` itself when `at_line_start`, else after a line end.
bool FindDelimiter(std::string_view body, std::string_view dash_boundary,
                   size_t from, bool at_line_start, Delimiter* out) {
  size_t pos = from;
  while (pos <= body.size()) {
    size_t hit = body.find(dash_boundary, pos);
    if (hit == std::string_view::npos) return false;
    bool line_start =
        (hit == from && at_line_start) || (hit > 0 && body[hit - 1] == '\n');
    if (!line_start) {
      pos = hit + 1;
      continue;
    }
    size_t end = hit + dash_boundary.size();
    bool close = false;
    if (body.substr(end, 2) == "--") {
      close = true;
      end += 2;
    }
    // Transport padding, then the line end (or the end of the body).
    size_t p = end;
    while (p < body.size() && IsWsp(body[p])) ++p;
    size_t after = p == body.size() ? p : AfterLineEnd(body, p);
    if (after == std::string_view::npos && !close) {
      // "--boundaryX...": a longer string that starts with the boundary.
      pos = hit + 1;
      continue;
    }
    if (after == std::string_view::npos) after = p;  // junk after close
    size_t before = hit;
    if (hit > 0 && body[hit - 1] == '\n') {
      before = hit - 1;
      if (before > 0 && body[before - 1] == '\r') --before;
    }
    *out = Delimiter{hit, before, after, close};
    return true;
  }
  return false;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return EqualsIgnoreAsciiCase(a, b);
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

const std::string* ParsedEntity::Find(std::string_view name) const {
  for (const HeaderField& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

EntityRef ParsedEntity::ref() const {
  EntityRef r;
  if (const std::string* v = Find("Content-Type")) r.content_type = *v;
  if (const std::string* v = Find("Content-Transfer-Encoding")) {
    r.transfer_encoding = *v;
  }
  r.body = body;
  return r;
}

Result<ParsedEntity> SplitEntity(std::string_view entity,
                                 size_t max_header_bytes) {
  ParsedEntity parsed;
  size_t pos = 0;
  size_t line_no = 0;
  bool found_empty = false;
  while (pos < entity.size()) {
    if (pos > max_header_bytes) {
      return ResourceExhaustedError("entity headers exceed " +
                                    std::to_string(max_header_bytes) +
                                    " bytes");
    }
    size_t nl = entity.find('\n', pos);
    size_t next = nl == std::string_view::npos ? entity.size() : nl + 1;
    std::string_view line = entity.substr(pos, next - pos);
    ++line_no;
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\n') bare.remove_suffix(1);
    if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
    if (bare.empty()) {
      found_empty = true;
      parsed.header_block = entity.substr(0, next);
      parsed.body = entity.substr(next);
      break;
    }
    if (IsWsp(bare.front())) {
      if (parsed.headers.empty()) {
        return ParseError("entity starts with a continuation line");
      }
      std::string& v = parsed.headers.back().value;
      v += ' ';
      v += Trim(bare);
    } else {
      size_t colon = bare.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return ParseError("malformed header line " + std::to_string(line_no) +
                          " (no field name and colon)");
      }
      std::string_view name = bare.substr(0, colon);
      while (!name.empty() && IsWsp(name.back())) name.remove_suffix(1);
      for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u >= 127) {
          return ParseError("malformed header line " + std::to_string(line_no) +
                            " (invalid character in field name)");
        }
      }
      parsed.headers.push_back(
          {std::string(name), std::string(Trim(bare.substr(colon + 1)))});
    }
    pos = next;
  }
  if (!found_empty) {
    parsed.header_block = entity;
    parsed.body = entity.substr(entity.size());
  }
  return parsed;
}

std::string ContentType::Param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::string();
}

bool ContentType::HasParam(std::string_view name) const {
  for (const auto& p : params) {
    if (p.first == name) return true;
  }
  return false;
}

Result<ContentType> ParseContentType(std::string_view value) {
  ContentType ct;
  std::string clean = StripComments(value);
  std::string_view v = Trim(clean);
  if (v.empty()) {
    ct.type = "text";
    ct.subtype = "plain";
    return ct;
  }
  size_t semi = v.find(';');
  std::string_view media = Trim(v.substr(0, semi));
  size_t slash = media.find('/');
  if (slash == std::string_view::npos) {
    return ParseError("Content-Type \"" + std::string(media.substr(0, 64)) +
                      "\" has no subtype");
  }
  ct.type = ToLowerAscii(Trim(media.substr(0, slash)));
  ct.subtype = ToLowerAscii(Trim(media.substr(slash + 1)));
  if (ct.type.empty() || ct.subtype.empty()) {
    return ParseError("Content-Type has an empty type or subtype");
  }
  if (semi == std::string_view::npos) return ct;
  size_t i = semi + 1;
  while (i < v.size()) {
    while (i < v.size() &&
           (IsWsp(v[i]) || v[i] == ';' || v[i] == '\r' || v[i] == '\n')) {
      ++i;
    }
    size_t name_start = i;
    while (i < v.size() && IsTokenChar(v[i])) ++i;
    std::string name = ToLowerAscii(v.substr(name_start, i - name_start));
    while (i < v.size() && IsWsp(v[i])) ++i;
    if (name.empty() || i >= v.size() || v[i] != '=') {
      // Malformed parameter: skip to the next ';'.
      size_t next = v.find(';', i);
      if (next == std::string_view::npos) break;
      i = next + 1;
      continue;
    }
    ++i;  // '='
    while (i < v.size() && IsWsp(v[i])) ++i;
    std::string val;
    if (i < v.size() && v[i] == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        val += v[i++];
      }
      if (i < v.size()) ++i;  // closing quote
    } else {
      size_t val_start = i;
      // Lenient: accept anything up to ';' or white space (some agents
      // send unquoted boundaries with tspecials such as '=' or '/').
      while (i < v.size() && v[i] != ';' && !IsWsp(v[i])) ++i;
      val = std::string(v.substr(val_start, i - val_start));
    }
    ct.params.emplace_back(std::move(name), std::move(val));
  }
  return ct;
}

std::string NormalizeTransferEncoding(std::string_view value) {
  std::string clean = StripComments(value);
  std::string v = ToLowerAscii(Trim(clean));
  return v.empty() ? "7bit" : v;
}

Result<MultipartSignedParts> SplitMultipartSigned(std::string_view body,
                                                  std::string_view boundary) {
  if (boundary.empty() || boundary.size() > 200) {
    return ParseError("multipart/signed boundary is missing or too long");
  }
  std::string dash = "--";
  dash += boundary;
  Delimiter first;
  if (!FindDelimiter(body, dash, 0, true, &first) || first.close) {
    return ParseError("multipart/signed body has no opening boundary");
  }
  Delimiter second;
  if (!FindDelimiter(body, dash, first.after, true, &second)) {
    return ParseError(
        "multipart/signed body is truncated: no boundary after "
        "the signed part");
  }
  if (second.close) {
    return ParseError("multipart/signed body has only one part");
  }
  Delimiter third;
  if (!FindDelimiter(body, dash, second.after, true, &third)) {
    return ParseError(
        "multipart/signed body is truncated: no boundary after "
        "the signature part");
  }
  // Exactly two parts (RFC 1847): a third would be shown by many clients
  // beside the signed part, unsigned, under the signature's verdict.
  if (!third.close) {
    return ParseError("multipart/signed body has more than two parts");
  }
  MultipartSignedParts parts;
  size_t signed_end = std::max(second.before, first.after);
  parts.signed_part = body.substr(first.after, signed_end - first.after);
  size_t sig_end = std::max(third.before, second.after);
  parts.signature_entity = body.substr(second.after, sig_end - second.after);
  return parts;
}

std::string FormatHeaders(const std::vector<HeaderField>& headers) {
  std::string out;
  for (const HeaderField& h : headers) {
    std::string line = h.name + ": ";
    size_t line_len = line.size();
    std::string_view v = h.value;
    // Fold after "; " separators when the line would pass 78 characters.
    while (!v.empty()) {
      size_t semi = v.find("; ");
      std::string_view piece =
          semi == std::string_view::npos ? v : v.substr(0, semi + 1);
      if (line_len > h.name.size() + 2 && line_len + piece.size() > 78) {
        line += "\r\n\t";
        line_len = 8;
      } else if (line_len > h.name.size() + 2) {
        line += ' ';
        ++line_len;
      }
      line += piece;
      line_len += piece.size();
      if (semi == std::string_view::npos) break;
      v.remove_prefix(semi + 2);
    }
    out += line;
    out += "\r\n";
  }
  return out;
}

}  // namespace seal::crypto
