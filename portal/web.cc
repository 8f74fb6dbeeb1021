// Forms, cookies, client address and security headers for sealportal
// (web.h).
#include "portal/web.h"

#include <cctype>

#include "lib/envelope/escape.h"

namespace seal::portal {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= s.size()) {
        return InvalidArgumentError("a form field has a cut-off % escape");
      }
      int hi = Hex(s[i + 1]), lo = Hex(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError("a form field has a bad % escape");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
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

bool Trusted(std::string_view addr, const std::vector<gateway::Cidr>& nets) {
  return !nets.empty() && gateway::AddressInNetworks(addr, nets);
}

// An IPv4 or IPv6 literal as a hop may carry it (no port, no brackets).
bool LooksLikeAddress(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
              (c >= 'A' && c <= 'F') || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<FormFields> ParseForm(std::string_view body, const FormLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return ResourceExhaustedError("the form is too large");
  }
  FormFields out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) {
      if (end == body.size()) break;
      continue;
    }
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    Result<std::string> name = Unescape(raw_name);
    if (!name.ok()) return name.status();
    Result<std::string> value = Unescape(raw_value);
    if (!value.ok()) return value.status();
    if (name->empty()) return InvalidArgumentError("a form field has no name");
    if (name->size() > limits.max_name_bytes) {
      return ResourceExhaustedError("a form field name is too long");
    }
    if (value->size() > limits.max_value_bytes) {
      return ResourceExhaustedError(
          "the form field '" + envelope::ToValidUtf8(*name) + "' is too long");
    }
    for (char c : *name) {
      if (!IsTokenChar(c)) {
        return InvalidArgumentError("a form field name is not a token");
      }
    }
    if (!envelope::IsValidUtf8(*value)) {
      return InvalidArgumentError("the form field '" + *name +
                                  "' is not valid UTF-8");
    }
    if (out.size() >= limits.max_fields) {
      return ResourceExhaustedError("the form has too many fields");
    }
    if (!out.emplace(std::move(name).value(), std::move(value).value())
             .second) {
      return InvalidArgumentError("a form field is repeated");
    }
    if (end == body.size()) break;
  }
  return out;
}

std::map<std::string, std::string> ParseCookies(std::string_view header) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = Trim(header.substr(start, end - start));
    start = end + 1;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view name = Trim(pair.substr(0, eq));
    std::string_view value = Trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    bool ok = !name.empty() && name.size() <= 64 && value.size() <= 4096;
    for (char c : name) ok = ok && IsTokenChar(c);
    if (!ok) continue;
    out.emplace(std::string(name), std::string(value));
  }
  return out;
}

Result<std::string> SetCookie(std::string_view name, std::string_view value,
                              const CookieOptions& options) {
  if (name.empty() || name.size() > 64) {
    return InvalidArgumentError("bad cookie name");
  }
  for (char c : name) {
    if (!IsTokenChar(c)) return InvalidArgumentError("bad cookie name");
  }
  if (value.size() > 4096) return InvalidArgumentError("cookie too long");
  for (char c : value) {
    if (!IsTokenChar(c)) return InvalidArgumentError("bad cookie value");
  }
  std::string out(name);
  out += '=';
  out += value;
  out += "; Path=/; HttpOnly; SameSite=Lax";
  if (options.secure) out += "; Secure";
  if (options.max_age_seconds >= 0) {
    out += "; Max-Age=" + std::to_string(options.max_age_seconds);
  }
  return out;
}

std::string ClientAddress(std::string_view remote,
                          std::string_view forwarded_for,
                          const std::vector<gateway::Cidr>& trusted_proxies) {
  std::string client(remote);
  if (!Trusted(client, trusted_proxies)) return client;
  size_t end = forwarded_for.size();
  while (end > 0) {
    size_t comma = forwarded_for.rfind(',', end - 1);
    size_t begin = comma == std::string_view::npos ? 0 : comma + 1;
    std::string_view hop = Trim(forwarded_for.substr(begin, end - begin));
    if (!LooksLikeAddress(hop)) break;
    client = std::string(hop);
    if (!Trusted(client, trusted_proxies)) break;
    if (comma == std::string_view::npos) break;
    end = comma;
  }
  return client;
}

void AddRequestHeader(std::map<std::string, std::string>& headers,
                      std::string name, const std::string& value) {
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  auto it = headers.find(name);
  if (it == headers.end()) {
    headers.emplace(std::move(name), value);
  } else {
    it->second += (name == "cookie" ? "; " : ", ") + value;
  }
}

std::vector<std::pair<std::string, std::string>> SecurityHeaders(
    bool https, bool opener_allowed) {
  std::vector<std::pair<std::string, std::string>> h = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; connect-src 'self'; "
       "style-src 'self'; "
       "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-store"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Cross-Origin-Opener-Policy",
       opener_allowed ? "unsafe-none" : "same-origin"},
  };
  if (https) {
    h.emplace_back("Strict-Transport-Security",
                   "max-age=31536000; includeSubDomains");
  }
  return h;
}

}  // namespace seal::portal
