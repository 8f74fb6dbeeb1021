// ParseMultipartForm: strict multipart/form-data (see header).
#include "portal/multipart.h"

#include <cctype>
#include <string>

namespace seal::portal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The value of parameter `name` in "type; a=b; name=\"v\"", or nullopt.
Result<std::string> Param(std::string_view header, std::string_view name,
                          bool* found) {
  *found = false;
  size_t pos = header.find(';');
  while (pos != std::string_view::npos) {
    std::string_view rest = Trim(header.substr(pos + 1));
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return std::string();
    std::string key = Lower(Trim(rest.substr(0, eq)));
    std::string_view v = Trim(rest.substr(eq + 1));
    std::string value;
    size_t consumed = 0;
    if (!v.empty() && v.front() == '"') {
      size_t i = 1;
      for (; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\') {
          if (i + 1 >= v.size()) return InvalidArgumentError("bad quoting");
          ++i;
        }
        value.push_back(v[i]);
      }
      if (i >= v.size()) return InvalidArgumentError("unterminated quote");
      consumed = i + 1;
    } else {
      size_t end = v.find(';');
      value = std::string(Trim(v.substr(0, end)));
      consumed = end == std::string_view::npos ? v.size() : end;
    }
    if (key == name) {
      *found = true;
      return value;
    }
    std::string_view after = v.substr(consumed);
    size_t next = after.find(';');
    if (next == std::string_view::npos) break;
    header = after.substr(next);
    pos = 0;
  }
  return std::string();
}

}  // namespace

Result<FormFields> ParseMultipartForm(std::string_view content_type,
                                      std::string_view body,
                                      const MultipartLimits& limits) {
  std::string type =
      Lower(Trim(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") {
    return InvalidArgumentError("not multipart/form-data");
  }
  bool found = false;
  auto boundary = Param(content_type, "boundary", &found);
  if (!boundary.ok()) return boundary.status();
  if (!found || boundary->empty() || boundary->size() > 70) {
    return InvalidArgumentError("missing or bad boundary");
  }
  const std::string delim = "--" + *boundary;
  // The body starts with the first delimiter (a preamble is not allowed).
  if (body.substr(0, delim.size()) != delim) {
    return InvalidArgumentError("body does not start with the boundary");
  }
  FormFields fields;
  size_t pos = delim.size();
  const std::string next_delim = "\r\n" + delim;
  for (;;) {
    if (body.substr(pos, 2) == "--") return fields;  // closing delimiter
    // Transport padding, then CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") {
      return InvalidArgumentError("bad delimiter line");
    }
    pos += 2;
    if (fields.size() >= limits.max_parts) {
      return ResourceExhaustedError("too many parts");
    }
    size_t header_end = body.find("\r\n\r\n", pos);
    std::string_view headers;
    size_t content_begin;
    if (body.substr(pos, 2) == "\r\n") {
      headers = {};
      content_begin = pos + 2;
    } else {
      if (header_end == std::string_view::npos) {
        return InvalidArgumentError("part header without end");
      }
      headers = body.substr(pos, header_end - pos);
      content_begin = header_end + 4;
    }
    if (headers.size() > limits.max_header_bytes) {
      return ResourceExhaustedError("part header too large");
    }
    std::string name;
    bool have_name = false;
    size_t line_start = 0;
    while (line_start <= headers.size()) {
      size_t eol = headers.find("\r\n", line_start);
      std::string_view line = headers.substr(
          line_start, eol == std::string_view::npos ? std::string_view::npos
                                                    : eol - line_start);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        return InvalidArgumentError("bad part header line");
      }
      if (Lower(Trim(line.substr(0, colon))) == "content-disposition") {
        std::string_view value = Trim(line.substr(colon + 1));
        if (Lower(Trim(value.substr(0, value.find(';')))) != "form-data") {
          return InvalidArgumentError("part is not form-data");
        }
        auto n = Param(value, "name", &found);
        if (!n.ok()) return n.status();
        if (!found || n->empty()) {
          return InvalidArgumentError("part without a name");
        }
        if (n->size() > limits.max_name_bytes) {
          return ResourceExhaustedError("part name too long");
        }
        name = *n;
        have_name = true;
      }
      if (eol == std::string_view::npos) break;
      line_start = eol + 2;
    }
    if (!have_name) return InvalidArgumentError("part without a name");
    size_t end = body.find(next_delim, content_begin);
    if (end == std::string_view::npos) {
      return InvalidArgumentError("no closing boundary");
    }
    if (!fields
             .emplace(name, std::string(body.substr(content_begin,
                                                    end - content_begin)))
             .second) {
      return InvalidArgumentError("a field appears twice");
    }
    pos = end + next_delim.size();
  }
}

}  // namespace seal::portal
