// RunHttpServer: the thin cpp-httplib adapter in front of App: turns each
// HTTP request into a Request, calls App::Handle and writes the Response.
// Limits on the wire: request line and headers capped by cpp-httplib
// (8 KiB line), bodies at `max_body` bytes (413 otherwise), a read and a
// write timeout, and a bounded worker pool.
// Thread-safety: Stop may be called from another thread (signal watcher).
#ifndef SEALMILTER_PORTAL_HTTP_SERVER_H_
#define SEALMILTER_PORTAL_HTTP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "lib/status.h"
#include "portal/app.h"

namespace seal::portal {

class HttpServer {
 public:
  HttpServer(App* app, size_t max_body);
  ~HttpServer();
  // Binds host:port (port 0: any; see port()). Then Run blocks until Stop.
  Status Bind(const std::string& host, int port);
  int port() const { return port_; }
  Status Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_HTTP_SERVER_H_
