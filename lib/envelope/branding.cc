// branding.txt parsing (see branding.h).
#include "lib/envelope/branding.h"

#include "lib/envelope/base64.h"
#include "lib/envelope/escape.h"

namespace seal::envelope {
namespace {

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

bool EndsWith(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

bool IsHexColor(std::string_view s) {
  if (s.size() != 4 && s.size() != 7) return false;
  if (s[0] != '#') return false;
  for (char c : s.substr(1)) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
               (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

bool IsSafeUrl(std::string_view s) {
  if (s.substr(0, 8) != "https://" && s.substr(0, 7) != "http://") {
    return false;
  }
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\'' || c == '<' ||
        c == '>' || c == '\\' || c == '`') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Branding::LogoDataUri() const {
  if (logo_type.empty()) return "";
  return "data:" + logo_type + ";base64," + Base64Encode(logo_data);
}

bool Branding::LogoForMail() const {
  return logo_type == "image/png" || logo_type == "image/jpeg" ||
         logo_type == "image/gif";
}

Result<Branding> ParseBranding(std::string_view text,
                               std::string_view file_name,
                               const FileReader& read_file) {
  Branding b;
  if (!IsValidUtf8(text)) {
    return ParseError(std::string(file_name) + ": not valid UTF-8");
  }
  int line_no = 0;
  bool seen[5] = {false, false, false, false, false};
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = TrimBlanks(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    std::string where = std::string(file_name) + ":" + std::to_string(line_no);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return ParseError(where + ": expected key = value");
    }
    std::string_view key = TrimBlanks(line.substr(0, eq));
    std::string value(TrimBlanks(line.substr(eq + 1)));
    static constexpr std::string_view kKeys[] = {"organization", "link",
                                                 "support", "accent", "logo"};
    size_t index = 5;
    for (size_t i = 0; i < 5; ++i) {
      if (key == kKeys[i]) index = i;
    }
    if (index == 5) {
      return ParseError(where + ": unknown key '" + std::string(key) +
                        "' (organization, link, support, accent, logo)");
    }
    if (seen[index]) {
      return ParseError(where + ": '" + std::string(key) + "' appears twice");
    }
    seen[index] = true;
    switch (index) {
      case 0:
        b.organization = SanitizeLine(value);
        break;
      case 1:
        if (!value.empty() && !IsSafeUrl(value)) {
          return ParseError(where +
                            ": link must be an http(s) URL without "
                            "spaces or quotes");
        }
        b.link = value;
        break;
      case 2:
        b.support = SanitizeLine(value);
        break;
      case 3:
        if (!IsHexColor(value)) {
          return ParseError(where + ": accent must be #rgb or #rrggbb");
        }
        b.accent = value;
        break;
      case 4: {
        if (value.empty()) break;
        if (value.find('/') != std::string::npos || value.front() == '.') {
          return ParseError(where +
                            ": logo must be a file name in the same "
                            "directory");
        }
        if (EndsWith(value, ".png")) {
          b.logo_type = "image/png";
        } else if (EndsWith(value, ".jpg") || EndsWith(value, ".jpeg")) {
          b.logo_type = "image/jpeg";
        } else if (EndsWith(value, ".gif")) {
          b.logo_type = "image/gif";
        } else if (EndsWith(value, ".svg")) {
          b.logo_type = "image/svg+xml";
        } else {
          return ParseError(where + ": logo must be .png, .jpg, .gif or .svg");
        }
        auto data = read_file(value);
        if (!data.ok()) return data.status().WithContext(where);
        if (data->size() > kMaxLogoSize) {
          return ParseError(where + ": logo is larger than 256 KiB");
        }
        b.logo_data = std::move(*data);
        break;
      }
    }
  }
  return b;
}

}  // namespace seal::envelope
