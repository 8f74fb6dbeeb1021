// HttpServer: cpp-httplib in front of App (see header). The only logic
// here is translation; everything a page does is in App.
#include "portal/http_server.h"

#include <httplib.h>

#include <cctype>
#include <exception>

#include "lib/log.h"
#include "portal/web.h"

namespace seal::portal {
namespace {

const Logger& HttpLog() {
  static const Logger* log = new Logger("http");
  return *log;
}

constexpr std::string_view kRawTypeHeader = "X-Sealportal-Raw-Content-Type";

}  // namespace

struct HttpServer::Impl {
  httplib::Server server;
  App* app;
};

HttpServer::HttpServer(App* app, size_t max_body) : impl_(new Impl) {
  impl_->app = app;
  httplib::Server& s = impl_->server;
  s.set_payload_max_length(max_body);
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  s.set_keep_alive_max_count(100);
  // cpp-httplib parses multipart/form-data itself and keeps no raw body;
  // the portal parses it strictly (multipart.h), so the type is renamed
  // before the body is read (the Request is the server's own object).
  s.set_pre_routing_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        auto& r = const_cast<httplib::Request&>(req);
        // No byte ranges: httplib builds a multi-range answer in memory, so
        // "Range: bytes=0-,0-,..." would multiply any page or download.
        r.ranges.clear();
        r.headers.erase("Range");
        // A body must have a Content-Length: httplib applies the body limit
        // (set_payload_max_length) only then, and reads a chunked or
        // unframed body whole. The connection closes, so no unread body
        // is taken for the next request.
        if (req.method == "POST" && (req.has_header("Transfer-Encoding") ||
                                     !req.has_header("Content-Length"))) {
          res.status = 411;
          res.set_header("Connection", "close");
          res.set_content("A request body needs a Content-Length.\n",
                          "text/plain; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        }
        if (req.is_multipart_form_data()) {
          std::string type = r.get_header_value("Content-Type");
          r.headers.erase("Content-Type");
          r.headers.emplace(std::string(kRawTypeHeader), type);
          r.headers.emplace("Content-Type", "application/octet-stream");
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  auto handler = [this](const httplib::Request& in, httplib::Response& out) {
    Request req;
    req.method = in.method;
    req.path = in.path;
    for (const auto& [k, v] : in.params) req.query.emplace(k, v);
    for (const auto& [k, v] : in.headers) {
      std::string name = k;
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "content-type" &&
          in.has_header(std::string(kRawTypeHeader).c_str())) {
        continue;
      }
      if (name == "x-sealportal-raw-content-type") name = "content-type";
      AddRequestHeader(req.headers, std::move(name), v);
    }
    req.body = in.body;
    req.remote = in.remote_addr;
    Response resp = impl_->app->Handle(req);
    out.status = resp.status;
    for (const auto& [k, v] : resp.headers) out.set_header(k.c_str(), v);
    for (const auto& c : resp.cookies) out.headers.emplace("Set-Cookie", c);
    if (resp.status == 303 || resp.status == 302) {
      out.set_content(resp.body, "text/plain; charset=utf-8");
    } else {
      out.set_content(resp.body, resp.content_type.c_str());
    }
  };
  s.Get(R"(/.*)", handler);
  s.Post(R"(/.*)", handler);
  s.set_exception_handler([](const httplib::Request& req,
                             httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    HttpLog().Error() << req.method << " " << req.path << ": " << what;
    res.status = 500;
    res.set_content("Internal error\n", "text/plain; charset=utf-8");
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    for (const auto& [k, v] : SecurityHeaders(false)) {
      if (!res.has_header(k.c_str())) res.set_header(k.c_str(), v);
    }
    if (res.body.empty()) {
      res.set_content(std::to_string(res.status) + "\n",
                      "text/plain; charset=utf-8");
    }
  });
}

HttpServer::~HttpServer() = default;

Status HttpServer::Bind(const std::string& host, int port) {
  if (port == 0) {
    int p = impl_->server.bind_to_any_port(host);
    if (p <= 0) return UnavailableError("cannot listen on " + host);
    port_ = p;
    return Status::Ok();
  }
  if (!impl_->server.bind_to_port(host, port)) {
    return UnavailableError("cannot listen on " + host + ":" +
                            std::to_string(port));
  }
  port_ = port;
  return Status::Ok();
}

Status HttpServer::Run() {
  if (!impl_->server.listen_after_bind()) {
    return UnavailableError("the HTTP server stopped with an error");
  }
  return Status::Ok();
}

void HttpServer::Stop() { impl_->server.stop(); }

}  // namespace seal::portal
