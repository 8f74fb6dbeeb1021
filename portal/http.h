// The request and answer sealportal's handlers see: plain structs, so the
// router (app.h) is tested without sockets and the HTTP library stays in
// http_server.cc. Header names are lower-case.
// Thread-safety: plain values.
#ifndef SEALMILTER_PORTAL_HTTP_H_
#define SEALMILTER_PORTAL_HTTP_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seal::portal {

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // without the query
  std::map<std::string, std::string> query;    // decoded; first value wins
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote;  // TCP peer address

  // "" when absent.
  const std::string& Header(std::string_view name) const;
  const std::string& Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set-Cookie values; sent as separate headers.
  std::vector<std::string> cookies;
  // The key-release page keeps window.opener (COOP unsafe-none).
  bool opener_allowed = false;
  // The frame holding a message's HTML: its own CSP, framable by us.
  bool message_frame = false;

  void SetHeader(std::string name, std::string value);
};

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_HTTP_H_
