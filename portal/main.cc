// sealportal: the recipient key service and web portal for secure
// envelopes (man sealportal(8)). Loads the sealmilter configuration (-c),
// opens the store and the portal key file, and serves App over plain HTTP
// on portal.listen (TLS by a reverse proxy). SIGTERM/SIGINT stop it
// cleanly; logs go to syslog and stderr.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ctl/store_options.h"
#include "lib/config.h"
#include "lib/envelope/template_set.h"
#include "lib/gateway/networks.h"
#include "lib/gateway/smtp_client.h"
#include "lib/log.h"
#include "lib/store/open_store.h"
#include "portal/app.h"
#include "portal/http_server.h"

namespace {

using seal::Status;

constexpr char kUsage[] =
    "usage: sealportal [-c FILE] [--check] [--version]\n"
    "  -c FILE    configuration (default /etc/sealmilter/sealmilter.conf)\n"
    "  --check    load everything, then exit 0 (or 1 with the error)\n";

// Both syslog and stderr.
class TeeSink final : public seal::LogSink {
 public:
  TeeSink(std::shared_ptr<seal::LogSink> a, std::shared_ptr<seal::LogSink> b)
      : a_(std::move(a)), b_(std::move(b)) {}
  void Write(seal::LogLevel level, std::string_view line) override {
    a_->Write(level, line);
    b_->Write(level, line);
  }

 private:
  std::shared_ptr<seal::LogSink> a_, b_;
};

int Fail(const std::string& what, const Status& s) {
  seal::LogLine(seal::LogLevel::kError, "sealportal",
                what + ": " + s.ToString());
  return 1;
}

bool SplitHostPort(const std::string& text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  std::string p = text.substr(colon + 1);
  if (p.empty() || p.size() > 5 ||
      p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *port = std::stoi(p);
  return *port >= 0 && *port <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "/etc/sealmilter/sealmilter.conf";
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-c" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--check") {
      check = true;
    } else if (a == "--version") {
      std::printf("sealportal %s\n", SEALMILTER_VERSION);
      return 0;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  auto config = seal::LoadConfigFile(config_path);
  if (!config.ok()) return Fail("configuration", config.status());
  const seal::Config& c = *config;
  seal::SetLogSink(std::make_shared<TeeSink>(
      seal::MakeSyslogSink("sealportal",
                           c.log.facility.empty() ? "mail" : c.log.facility),
      seal::MakeStderrSink("sealportal")));
  if (!c.log.level.empty()) {
    auto level = seal::ParseLogLevel(c.log.level);
    if (level.ok()) seal::SetLogLevel(*level);
  }
  if (c.portal.url.empty()) {
    return Fail("configuration",
                seal::InvalidArgumentError("portal.url is not set"));
  }
  auto keys = seal::envelope::LoadPortalKeyFile(c.portal.key_file);
  if (!keys.ok()) return Fail("portal.key_file", keys.status());
  auto templates =
      seal::envelope::EnvelopeTemplates::Load(c.envelope.templates);
  if (!templates.ok()) return Fail("envelope.templates", templates.status());
  auto proxies = seal::gateway::ParseNetworks(c.portal.trusted_proxies);
  if (!proxies.ok()) return Fail("portal.trusted_proxies", proxies.status());
  auto smtp = seal::gateway::ParseSmtpTarget(
      c.portal.smtp.empty() ? "127.0.0.1:25" : c.portal.smtp);
  if (!smtp.ok()) return Fail("portal.smtp", smtp.status());
  std::string host;
  int port = 0;
  std::string listen =
      c.portal.listen.empty() ? "127.0.0.1:8480" : c.portal.listen;
  if (!SplitHostPort(listen, &host, &port)) {
    return Fail("portal.listen",
                seal::InvalidArgumentError("want HOST:PORT, not " + listen));
  }
  auto store =
      seal::store::OpenStore(seal::ctl::StoreOptionsFor(c, std::nullopt));
  if (!store.ok()) return Fail("store", store.status());

  seal::portal::AppOptions opt;
  opt.url = c.portal.url;
  opt.https = c.portal.url.starts_with("https://");
  opt.secure_cookies = c.portal.secure_cookies;
  if (!c.portal.mail_from.empty()) opt.mail_from = c.portal.mail_from;
  if (c.portal.session_seconds > 0)
    opt.session_seconds = c.portal.session_seconds;
  if (c.portal.token_seconds > 0) opt.token_seconds = c.portal.token_seconds;
  if (c.portal.lockout_failures > 0)
    opt.lockout_failures = c.portal.lockout_failures;
  if (c.portal.lockout_seconds > 0)
    opt.lockout_seconds = c.portal.lockout_seconds;
  if (c.portal.max_upload > 0) opt.max_upload = c.portal.max_upload;
  opt.max_pending_total =
      std::max<uint64_t>(opt.max_pending_total, 4 * opt.max_upload);
  opt.trusted_proxies = *proxies;
  opt.internal_domains = c.gateway.internal_domains;
  seal::gateway::SmtpTarget target = *smtp;
  std::string mail_from = opt.mail_from;
  auto send = [target, mail_from](const seal::portal::OutgoingMail& m) {
    seal::gateway::SmtpMessage msg;
    msg.mail_from = mail_from;
    msg.recipients = m.recipients;
    msg.data = m.data;
    return seal::gateway::SendSmtp(target, msg, std::chrono::seconds(30),
                                   "sealportal.localhost");
  };
  auto app = seal::portal::App::Create(
      opt, store->get(), &seal::store::SystemClock::Instance(),
      std::move(*keys), (*templates)->branding(), send);
  if (!app.ok()) return Fail("portal", app.status());
  if (check) {
    std::puts("sealportal: configuration OK");
    return 0;
  }
  // Signals go to the watcher thread only.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  // The body cap: the JS-free upload plus its form overhead.
  seal::portal::HttpServer server(app->get(), opt.max_upload + 64 * 1024);
  Status bound = server.Bind(host, port);
  if (!bound.ok()) return Fail("portal.listen", bound);
  seal::LogLine(seal::LogLevel::kInfo, "sealportal",
                "listening on " + host + ":" + std::to_string(server.port()) +
                    " for " + opt.url);
  seal::portal::App* a = app->get();
  std::thread watcher([&server, &set, a] {
    for (;;) {
      timespec timeout{60, 0};
      int sig = sigtimedwait(&set, nullptr, &timeout);
      if (sig == SIGTERM || sig == SIGINT) {
        seal::LogLine(seal::LogLevel::kInfo, "sealportal",
                      std::string("stopping on ") + strsignal(sig));
        server.Stop();
        return;
      }
      a->PurgeExpired();
    }
  });
  Status run = server.Run();
  // Run also ends when the listener fails: wake the watcher.
  if (!run.ok()) kill(getpid(), SIGTERM);
  watcher.join();
  if (!run.ok()) return Fail("http", run);
  seal::LogLine(seal::LogLevel::kInfo, "sealportal", "stopped");
  return 0;
}
