// CSP text and portal URL validation (see csp.h).
#include "lib/envelope/csp.h"

namespace seal::envelope {
namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool IsPathChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '"':
    case '\'':
    case '<':
    case '>':
    case '\\':
    case ';':
    case ',':
    case '`':
      return false;
    default:
      return true;
  }
}

}  // namespace

Result<PortalUrl> ParsePortalUrl(std::string_view url) {
  auto bad = [&](std::string why) {
    return InvalidArgumentError("portal URL '" +
                                std::string(url.substr(0, 100)) + "': " + why);
  };
  std::string_view rest;
  std::string scheme;
  if (url.substr(0, 8) == "https://") {
    scheme = "https";
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    scheme = "http";
    rest = url.substr(7);
  } else {
    return bad("must start with https://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  std::string_view host = authority;
  std::string_view port;
  size_t colon = authority.find(':');
  if (colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return bad("bad port");
    for (char c : port) {
      if (c < '0' || c > '9') return bad("bad port");
    }
  }
  if (host.empty() || host.size() > 253) return bad("missing host");
  for (char c : host) {
    if (!IsHostChar(c)) return bad("host must be a DNS name or IPv4 address");
  }
  if (scheme == "http" && host != "localhost" && host != "127.0.0.1") {
    return bad("http:// is allowed for localhost only; use https://");
  }
  for (char c : path) {
    if (!IsPathChar(c)) return bad("path has a character that is not allowed");
  }
  PortalUrl out;
  out.url = std::string(url);
  out.origin = scheme + "://" + std::string(authority);
  for (char& c : out.origin) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  out.host = std::string(host);
  return out;
}

std::string BuildCsp(std::string_view script_hash,
                     std::string_view form_origin) {
  std::string csp = "default-src 'none'; script-src ";
  if (script_hash.empty()) {
    csp += "'none'";
  } else {
    csp += "'";
    csp += script_hash;
    csp += "'";
  }
  csp += "; style-src 'unsafe-inline'; img-src data: blob:; frame-src blob:";
  csp += "; form-action ";
  csp += form_origin.empty() ? std::string_view("'none'") : form_origin;
  csp += "; base-uri 'none'";
  return csp;
}

}  // namespace seal::envelope
