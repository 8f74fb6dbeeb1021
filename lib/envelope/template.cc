// Template parsing and rendering (see template.h).
#include "lib/envelope/template.h"

#include <algorithm>

#include "lib/envelope/escape.h"
#include "lib/envelope/locale_strings.h"

namespace seal::envelope {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.';
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string Where(std::string_view tmpl, int line) {
  return std::string(tmpl) + ":" + std::to_string(line);
}

// Counts '\n' in s.
int Lines(std::string_view s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

Result<Template> Template::Parse(std::string_view text, std::string_view name,
                                 ParseOptions options) {
  Template t;
  t.name_ = std::string(name);
  t.literal_is_text_ = options.literal_is_text;
  // Stack of open sections: the node list being filled.
  std::vector<std::vector<Node>*> stack = {&t.nodes_};
  std::vector<const Node*> open;
  size_t pos = 0;
  int line = 1;
  auto add_text = [&](std::string_view s) {
    if (s.empty()) return;
    auto& nodes = *stack.back();
    if (!nodes.empty() && nodes.back().kind == Node::Kind::kText) {
      nodes.back().text.append(s);
    } else {
      nodes.push_back(Node{Node::Kind::kText, std::string(s), line, {}});
    }
  };
  while (pos <= text.size()) {
    size_t start = text.find("{{", pos);
    if (start == std::string_view::npos) {
      add_text(text.substr(pos));
      break;
    }
    size_t end = text.find("}}", start + 2);
    int tag_line = line + Lines(text.substr(pos, start - pos));
    if (end == std::string_view::npos) {
      return ParseError(Where(name, tag_line) + ": '{{' without '}}'");
    }
    std::string_view inner = text.substr(start + 2, end - start - 2);
    while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
    while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
    char sigil = inner.empty() ? '\0' : inner.front();
    bool is_section_tag = sigil == '#' || sigil == '^' || sigil == '/';
    if (is_section_tag || sigil == '=') inner.remove_prefix(1);
    if (inner.empty() || !std::all_of(inner.begin(), inner.end(), IsNameChar)) {
      return ParseError(Where(name, tag_line) + ": bad placeholder '{{" +
                        std::string(text.substr(start + 2, end - start - 2)) +
                        "}}'");
    }
    std::string tag_name(inner);
    bool is_string = tag_name.find('.') != std::string::npos;
    if (is_string && !options.allow_strings) {
      return ParseError(Where(name, tag_line) + ": {{" + tag_name +
                        "}}: only variables are allowed here");
    }
    if (is_section_tag && !options.allow_sections) {
      return ParseError(Where(name, tag_line) +
                        ": sections are not allowed here");
    }
    if (sigil == '=' && !options.allow_blocks) {
      return ParseError(Where(name, tag_line) + ": {{=" + tag_name +
                        "}} is not allowed here");
    }
    std::string_view before = text.substr(pos, start - pos);
    size_t after = end + 2;
    if (is_section_tag) {
      // Standalone: only blanks between the line start and the tag, and
      // between the tag and the line end. Then the whole line goes.
      size_t newline =
          start == 0 ? std::string_view::npos : text.rfind('\n', start - 1);
      size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
      bool blank_before =
          line_start >= pos &&
          std::all_of(text.begin() + static_cast<std::ptrdiff_t>(line_start),
                      text.begin() + static_cast<std::ptrdiff_t>(start),
                      IsBlank);
      size_t line_end = after;
      while (line_end < text.size() && IsBlank(text[line_end])) ++line_end;
      bool blank_after = line_end == text.size() || text[line_end] == '\n';
      if (blank_before && blank_after) {
        before = text.substr(pos, line_start - pos);
        after = line_end < text.size() ? line_end + 1 : line_end;
      }
    }
    add_text(before);
    line = tag_line;
    if (std::find(t.names_.begin(), t.names_.end(), tag_name) ==
        t.names_.end()) {
      t.names_.push_back(tag_name);
    }
    if (sigil == '#' || sigil == '^') {
      auto& nodes = *stack.back();
      nodes.push_back(
          Node{sigil == '#' ? Node::Kind::kSection : Node::Kind::kInverted,
               tag_name,
               tag_line,
               {}});
      open.push_back(&nodes.back());
      stack.push_back(&nodes.back().children);
    } else if (sigil == '/') {
      if (open.empty() || open.back()->text != tag_name) {
        return ParseError(Where(name, tag_line) + ": {{/" + tag_name +
                          "}} does not close an open section");
      }
      open.pop_back();
      stack.pop_back();
    } else {
      if (sigil == '=') t.blocks_.push_back(BlockUse{tag_name, !open.empty()});
      stack.back()->push_back(
          Node{sigil == '=' ? Node::Kind::kBlock : Node::Kind::kVar,
               tag_name,
               tag_line,
               {}});
    }
    line += Lines(text.substr(end, after - end));
    pos = after;
  }
  if (!open.empty()) {
    return ParseError(Where(name, open.back()->line) + ": section {{#" +
                      open.back()->text + "}} is not closed");
  }
  return t;
}

Status Template::Render(const Scope& scope, Escaping escaping,
                        BufferedSink& out) const {
  return RenderNodes(nodes_, scope, escaping, out);
}

Status Template::RenderNodes(const std::vector<Node>& nodes, const Scope& scope,
                             Escaping escaping, BufferedSink& out) const {
  for (const Node& node : nodes) {
    switch (node.kind) {
      case Node::Kind::kText:
        if (literal_is_text_ && escaping == Escaping::kHtml) {
          SEAL_RETURN_IF_ERROR(out.Write(EscapeHtml(node.text)));
        } else {
          SEAL_RETURN_IF_ERROR(out.Write(node.text));
        }
        break;
      case Node::Kind::kVar: {
        Status s = scope.WriteValue(node.text, escaping, out);
        if (!s.ok()) return s.WithContext(Where(name_, node.line));
        break;
      }
      case Node::Kind::kBlock: {
        Status s = scope.WriteBlock(node.text, out);
        if (!s.ok()) return s.WithContext(Where(name_, node.line));
        break;
      }
      case Node::Kind::kSection:
      case Node::Kind::kInverted: {
        auto set = scope.IsSet(node.text);
        if (!set.ok()) return set.status().WithContext(Where(name_, node.line));
        if (*set == (node.kind == Node::Kind::kSection)) {
          SEAL_RETURN_IF_ERROR(
              RenderNodes(node.children, scope, escaping, out));
        }
        break;
      }
    }
  }
  return Status::Ok();
}

Result<std::string> Template::RenderToString(const Scope& scope,
                                             Escaping escaping) const {
  std::string result;
  Sink sink = StringSink(&result);
  BufferedSink out(sink, 4096);
  SEAL_RETURN_IF_ERROR(Render(scope, escaping, out));
  SEAL_RETURN_IF_ERROR(out.Flush());
  return result;
}

Scope& Scope::Set(std::string name, std::string value) {
  vars_[std::move(name)] = std::move(value);
  return *this;
}

const std::string* Scope::FindVar(std::string_view name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : &it->second;
}

Result<bool> Scope::IsSet(std::string_view name) const {
  if (name.find('.') != std::string_view::npos) {
    const Template* t = strings_ ? strings_->Find(name) : nullptr;
    if (t == nullptr) {
      return NotFoundError("unknown string {{" + std::string(name) + "}}");
    }
    return true;
  }
  const std::string* v = FindVar(name);
  if (v == nullptr) {
    return NotFoundError("unknown placeholder {{" + std::string(name) + "}}");
  }
  return !v->empty();
}

Status Scope::WriteValue(std::string_view name, Escaping escaping,
                         BufferedSink& out) const {
  if (name.find('.') != std::string_view::npos) {
    const Template* t = strings_ ? strings_->Find(name) : nullptr;
    if (t == nullptr) {
      return NotFoundError("unknown string {{" + std::string(name) + "}}");
    }
    return t->Render(*this, escaping, out);
  }
  const std::string* v = FindVar(name);
  if (v == nullptr) {
    return NotFoundError("unknown placeholder {{" + std::string(name) + "}}");
  }
  std::string line = SanitizeLine(*v);
  return out.Write(escaping == Escaping::kHtml ? EscapeHtml(line) : line);
}

Result<std::string> Scope::Render(std::string_view name,
                                  Escaping escaping) const {
  std::string result;
  Sink sink = StringSink(&result);
  BufferedSink out(sink, 1024);
  SEAL_RETURN_IF_ERROR(WriteValue(name, escaping, out));
  SEAL_RETURN_IF_ERROR(out.Flush());
  return result;
}

Status Scope::WriteBlock(std::string_view name, BufferedSink& out) const {
  if (!blocks_) {
    return NotFoundError("unknown block {{=" + std::string(name) + "}}");
  }
  return blocks_(name, out);
}

}  // namespace seal::envelope
