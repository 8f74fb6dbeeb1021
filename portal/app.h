// App: sealportal's router and request handlers, without sockets. Every
// answer goes through Handle(), which catches everything, adds the security
// headers (web.h) and never throws. The pages:
//   GET  /                      landing
//   GET  /register, POST        registration (same answer whatever the
//                               address: no account enumeration)
//   GET  /confirm?t=, POST      set the password from the mailed link
//   GET  /login?next=, POST     login (rate limits, lockout)
//   POST /logout
//   GET  /reset, POST           reset request (same answer for every address)
//   GET  /reset/confirm?t=, POST  new password; every session deleted
//   GET  /release?id=, POST     the key-release page (release_protocol.md),
//                               POST = password re-auth for security "high"
//   POST /api/release           the key release (JSON)
//   POST /open                  JS-free "open online" upload (multipart)
//   GET  /open/PENDING          the decrypted message (part=N: attachment;
//                               html=1: the HTML part for the sandbox frame)
//   GET  /reply?id=&mode=, POST reply / reply all / forward by portal mail
//   GET  /assets/NAME           embedded CSS and scripts
// The code is split by concern: app.cc (routing, sessions, pages),
// app_auth.cc, app_release.cc, app_open.cc, app_reply.cc.
// Thread-safety: Handle may be called concurrently (the store is
// thread-safe; the in-memory tables have their own locks).
#ifndef SEALMILTER_PORTAL_APP_H_
#define SEALMILTER_PORTAL_APP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/envelope/branding.h"
#include "lib/envelope/locale_strings.h"
#include "lib/envelope/portal_key.h"
#include "lib/gateway/networks.h"
#include "lib/log.h"
#include "lib/status.h"
#include "lib/store/store.h"
#include "portal/csrf.h"
#include "portal/http.h"
#include "portal/passwords.h"
#include "portal/pending_store.h"
#include "portal/rate_limit.h"
#include "portal/web.h"

namespace seal::portal {

// sealportal's logger (context "portal").
const Logger& Log();

// One mail the portal sends (confirm/reset links, receipts, replies).
struct OutgoingMail {
  std::vector<std::string> recipients;
  std::string data;  // the whole message, CRLF line ends
};
using MailSender = std::function<Status(const OutgoingMail&)>;

struct AppOptions {
  std::string url;  // portal.url, no trailing slash
  bool https = true;
  bool secure_cookies = true;
  std::string mail_from = "postmaster@localhost";
  int64_t session_seconds = 3600;
  int64_t token_seconds = 86400;
  int64_t lockout_failures = 5;
  int64_t lockout_seconds = 900;
  uint64_t max_upload = 32u << 20;
  uint64_t max_pending_total = 256u << 20;
  std::vector<gateway::Cidr> trusted_proxies;
  std::vector<std::string> internal_domains;  // for forward
  HashCost hash_cost = kDefaultCost;
  // Rate limits (burst, per minute): logins per client address (one office
  // behind NAT is one address, so this is wider) and per email (the
  // lockout is the real guard of an account).
  double client_login_burst = 40, client_login_per_minute = 30;
  double login_burst = 10, login_per_minute = 10;
  double mail_burst = 3, mail_per_minute = 2;
  double api_burst = 30, api_per_minute = 60;
};

// Percent-encoding for a query value; whether `next` is a local path.
std::string PercentEncode(std::string_view s);
bool SafeNext(std::string_view next);

class App {
 public:
  // `store` and `clock` must outlive the App. `send_mail` delivers portal
  // mail. `now_ms`: monotonic milliseconds for the rate limits (null:
  // steady_clock).
  static Result<std::unique_ptr<App>> Create(
      AppOptions options, store::Store* store, const store::Clock* clock,
      envelope::PortalKeyRing keys, envelope::Branding branding,
      MailSender send_mail, std::function<int64_t()> now_ms = nullptr);

  // Never throws.
  Response Handle(const Request& request);

  // For tests and the periodic purge.
  void PurgeExpired();
  const AppOptions& options() const { return options_; }

  // Per-request context built by Handle (public for the handler files).
  struct Ctx {
    const Request* req = nullptr;
    std::string lang = "en";
    const envelope::LocaleStrings* strings = nullptr;
    std::string client;      // ClientAddress
    std::string user_agent;  // sanitized, capped
    std::string pre;         // pre-session id (cookie sp_pre)
    bool new_pre = false;
    std::optional<store::PortalSession> session;
    std::string session_hash;          // when session
    std::vector<std::string> cookies;  // to set
  };

 private:
  App(AppOptions options, store::Store* store, const store::Clock* clock,
      envelope::PortalKeyRing keys, envelope::Branding branding,
      MailSender send_mail, std::function<int64_t()> now_ms, CsrfGuard csrf);

  Response Route(Ctx& ctx);

  // Text of a locale key with {{var}} replaced (values not escaped here).
  std::string T(const Ctx& ctx, std::string_view key,
                const std::map<std::string, std::string>& vars = {}) const;
  // Escaped for HTML.
  std::string H(const Ctx& ctx, std::string_view key,
                const std::map<std::string, std::string>& vars = {}) const;
  Response Page(const Ctx& ctx, int status, std::string_view title_key,
                const std::string& body_html) const;
  Response PageWith(const Ctx& ctx, int status, std::string_view title_key,
                    const std::string& body_html,
                    const std::string& main_attrs) const;
  Response Message(const Ctx& ctx, int status, std::string_view title_key,
                   std::string_view text_key,
                   const std::map<std::string, std::string>& vars = {}) const;
  Response Forbidden(const Ctx& ctx) const;  // CSRF
  Response BadRequest(const Ctx& ctx) const;
  Response NotFound(const Ctx& ctx) const;
  Response TooMany(const Ctx& ctx, int64_t retry_after) const;
  Response Redirect(const Ctx& ctx, const std::string& location) const;
  Response RedirectToLogin(const Ctx& ctx, const std::string& next) const;
  std::string CsrfField(const Ctx& ctx, std::string_view purpose) const;
  std::string Binding(const Ctx& ctx) const;
  bool CheckCsrf(const Ctx& ctx, const FormFields& form,
                 std::string_view purpose) const;
  void Audit(const Ctx& ctx, std::string_view envelope_id,
             std::string_view email, std::string_view action,
             std::string_view detail = "");
  Status Mail(const std::vector<std::string>& to, std::string_view subject,
              std::string_view text, std::string_view reply_to = "");
  std::string LinkUrl(std::string_view path) const;
  int64_t NowMs() const;
  int64_t Now() const { return clock_->Now(); }
  // Parses the urlencoded body; nullopt → answer `*error`.
  std::optional<FormFields> Form(const Ctx& ctx, Response* error) const;
  bool SessionCookie(Ctx& ctx, const std::string& email);

  // Handlers.
  Response Landing(Ctx& ctx);
  Response RegisterGet(Ctx& ctx);
  Response RegisterPost(Ctx& ctx);
  Response ConfirmGet(Ctx& ctx, bool reset);
  Response ConfirmPost(Ctx& ctx, bool reset);
  Response LoginGet(Ctx& ctx, const std::string& error_key = "");
  Response LoginPost(Ctx& ctx);
  Response LoginForm(Ctx& ctx, std::string next, const std::string& email,
                     const std::string& error_key, int status);
  Response LogoutPost(Ctx& ctx);
  Response ResetGet(Ctx& ctx);
  Response ResetPost(Ctx& ctx);
  Response ReleaseGet(Ctx& ctx);
  Response ReleasePost(Ctx& ctx);
  Response ReleasePage(Ctx& ctx, const store::EnvelopeRecord& rec, bool ready,
                       const std::string& error_key);
  std::string ConfirmSection(const Ctx& ctx,
                             const store::EnvelopeRecord& rec) const;
  Response ApiRelease(Ctx& ctx);
  Response OpenPost(Ctx& ctx);
  Response OpenGet(Ctx& ctx, const std::string& pending_id);
  Response ReplyGet(Ctx& ctx);
  Response ReplyPost(Ctx& ctx);
  Response Asset(const Ctx& ctx, std::string_view name) const;

  // Login check shared by /login and the re-auth of /release: true when
  // the password is right and the account may log in. `*locked` is set
  // when the account is (or just became) locked.
  bool CheckPassword(Ctx& ctx, const std::string& email,
                     const std::string& password, bool* locked);
  // The in-memory lockout of unknown addresses (looks like the store's).
  bool UnknownLocked(const std::string& email);
  void UnknownFailure(const std::string& email);
  // One-time grants after a re-auth for a "high" envelope.
  void Grant(const std::string& session_hash, const std::string& id);
  bool TakeGrant(const std::string& session_hash, const std::string& id);
  // An envelope the signed-in user may see, or the page to answer.
  std::optional<Response> CheckAccess(Ctx& ctx,
                                      const store::EnvelopeRecord& rec,
                                      bool json);
  Response ApiError(const Ctx& ctx, int status, std::string_view code);
  // Counts the opening and mails the read receipt once.
  void NoteOpened(Ctx& ctx, const store::EnvelopeRecord& rec);

  AppOptions options_;
  store::Store* store_;
  const store::Clock* clock_;
  envelope::PortalKeyRing keys_;
  envelope::Branding branding_;
  MailSender send_mail_;
  std::function<int64_t()> now_ms_;
  CsrfGuard csrf_;
  std::map<std::string, envelope::LocaleStrings, std::less<>> locales_;
  std::map<std::string, std::string, std::less<>> assets_;
  RateLimiter login_by_client_;
  RateLimiter login_by_email_;
  RateLimiter mail_by_email_;
  RateLimiter api_by_client_;
  PendingStore pending_;
  std::mutex mu_;
  // Guarded by mu_:
  struct UnknownAccount {
    int64_t failures = 0;
    int64_t locked_until = 0;
  };
  std::map<std::string, UnknownAccount> unknown_;  // capped
  std::map<std::string, int64_t> grants_;  // session|id -> expiry; capped
};

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_APP_H_
