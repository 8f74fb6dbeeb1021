// Locale string files (see locale_strings.h).
#include "lib/envelope/locale_strings.h"

#include "lib/envelope/escape.h"

namespace seal::envelope {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<LocaleStrings> LocaleStrings::Parse(std::string_view text,
                                           std::string_view file_name) {
  LocaleStrings strings;
  if (!IsValidUtf8(text)) {
    return ParseError(std::string(file_name) + ": not valid UTF-8");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    std::string where = std::string(file_name) + ":" + std::to_string(line_no);
    line = TrimBlanks(line);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return ParseError(where + ": expected key = value");
    }
    std::string_view key = TrimBlanks(line.substr(0, eq));
    std::string_view value = TrimBlanks(line.substr(eq + 1));
    if (key.empty() || key.find('.') == std::string_view::npos ||
        key.front() == '.' || key.back() == '.') {
      return ParseError(where + ": key must look like group.name");
    }
    for (char c : key) {
      if (!IsKeyChar(c)) {
        return ParseError(where + ": bad character in key '" +
                          std::string(key) + "'");
      }
    }
    if (strings.entries_.count(key) != 0) {
      return ParseError(where + ": key '" + std::string(key) +
                        "' appears twice");
    }
    Template::ParseOptions options;
    options.allow_sections = false;
    options.allow_strings = false;
    options.literal_is_text = true;
    auto tmpl = Template::Parse(value, where, options);
    if (!tmpl.ok()) return tmpl.status();
    strings.entries_.emplace(std::string(key),
                             Entry{std::string(value), std::move(*tmpl)});
  }
  return strings;
}

void LocaleStrings::Overlay(const LocaleStrings& other) {
  for (const auto& [key, entry] : other.entries_) entries_[key] = entry;
}

const Template* LocaleStrings::Find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.tmpl;
}

const std::string* LocaleStrings::FindText(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.text;
}

std::vector<std::string> LocaleStrings::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, entry] : entries_) keys.push_back(key);
  return keys;
}

std::string LocaleStrings::ToJson(std::string_view prefix) const {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, entry] : entries_) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (!first) out += ",";
    first = false;
    out += JsonQuote(key);
    out += ":";
    out += JsonQuote(entry.text);
  }
  out += "}";
  return out;
}

std::string CanonicalLocale(std::string_view locale) {
  std::string out;
  for (char c : locale) {
    if (c == '_') c = '-';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(c);
  }
  return out;
}

std::string_view LocaleLanguage(std::string_view canonical) {
  return canonical.substr(0, canonical.find('-'));
}

}  // namespace seal::envelope
