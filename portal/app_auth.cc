// App: accounts: registration, confirmation, login (rate limits, lockout,
// no enumeration), logout and password reset.
#include <algorithm>
#include <cctype>

#include "lib/envelope/escape.h"
#include "lib/log.h"
#include "lib/store/x509_parse.h"
#include "portal/app.h"

namespace seal::portal {
namespace {

constexpr size_t kMaxUnknown = 10000;
constexpr int64_t kSessionAbsoluteSeconds = 12 * 3600;

std::string NormalizeEmail(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A plausible address: local@domain, printable ASCII, no spaces.
bool PlausibleEmail(std::string_view e) {
  if (e.size() < 3 || e.size() > 254) return false;
  size_t at = e.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= e.size()) {
    return false;
  }
  for (char c : e) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' ||
        c == '>' || c == ',' || c == '"' || c == '\\') {
      return false;
    }
  }
  return true;
}

std::string Field(const FormFields& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

}  // namespace

Response App::RegisterGet(Ctx& ctx) {
  std::string body =
      "<p>" + H(ctx, "register.intro") +
      "</p>\n"
      "<form method=\"post\" action=\"/register\">" +
      CsrfField(ctx, "register") + "<label for=\"email\">" +
      H(ctx, "form.email") +
      "</label>"
      "<input id=\"email\" name=\"email\" type=\"email\" required "
      "autocomplete=\"email\">"
      "<button type=\"submit\">" +
      H(ctx, "register.submit") + "</button></form>";
  return Page(ctx, 200, "register.title", body);
}

Response App::RegisterPost(Ctx& ctx) {
  Response err;
  auto form = Form(ctx, &err);
  if (!form) return err;
  if (!CheckCsrf(ctx, *form, "register")) return Forbidden(ctx);
  std::string email = NormalizeEmail(Field(*form, "email"));
  if (!PlausibleEmail(email)) {
    return Message(ctx, 400, "register.title", "form.bad_email");
  }
  int64_t now_ms = NowMs();
  if (!login_by_client_.Allow("reg:" + ctx.client, now_ms)) {
    return TooMany(
        ctx, login_by_client_.RetryAfterSeconds("reg:" + ctx.client, now_ms));
  }
  // From here on every case answers the same page.
  Response same = Message(ctx, 200, "register.title", "register.sent");
  if (!mail_by_email_.Allow(email, now_ms)) return same;
  auto account = store_->GetPortalAccount(email);
  if (account.ok()) {
    if (account->confirmed_at != 0) {
      (void)Mail({email}, T(ctx, "mail.exists.subject"),
                 T(ctx, "mail.exists.body",
                   {{"email", email},
                    {"reset_url", LinkUrl("/reset")},
                    {"login_url", LinkUrl("/login")}}));
      return same;
    }
  } else if (account.status().code() != StatusCode::kNotFound) {
    Log().Error() << "register: " << account.status().ToString();
    return same;
  } else {
    store::EnvelopeFilter filter;
    filter.recipient = email;
    filter.state = store::EnvelopeState::kActive;
    filter.limit = 1;
    auto envs = store_->ListEnvelopes(filter);
    if (!envs.ok()) {
      Log().Error() << "register: " << envs.status().ToString();
      return same;
    }
    if (envs->empty()) return same;
    store::PortalAccount acc;
    acc.email = email;
    acc.locale = ctx.lang;
    Status s = store_->PutPortalAccount(acc);
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) {
      Log().Error() << "register: " << s.ToString();
      return same;
    }
  }
  // Not confirmed yet: a (new) confirmation link.
  std::string token = RandomToken(32);
  store::PortalToken t;
  t.token_hash = store::Sha256Hex(token);
  t.email = email;
  t.purpose = store::PortalTokenPurpose::kConfirm;
  t.expires_at = Now() + std::max<int64_t>(60, options_.token_seconds);
  Status s = store_->PutPortalToken(t);
  if (!s.ok()) {
    Log().Error() << "register token: " << s.ToString();
    return same;
  }
  (void)Mail(
      {email}, T(ctx, "mail.confirm.subject"),
      T(ctx, "mail.confirm.body",
        {{"email", email},
         {"url", LinkUrl("/confirm?t=" + token + "&lang=" + ctx.lang)}}));
  return same;
}

Response App::ConfirmGet(Ctx& ctx, bool reset) {
  const std::string& t = ctx.req->Query("t");
  if (t.empty() || t.size() > 64 || !FromBase64Url(t).ok()) {
    return Message(ctx, 400, "error.title", "token.invalid");
  }
  std::string purpose = reset ? "reset_confirm" : "confirm";
  std::string action = reset ? "/reset/confirm" : "/confirm";
  std::string body =
      "<p>" + H(ctx, "password.rules") +
      "</p>\n<form method=\"post\" action=\"" + action + "\">" +
      CsrfField(ctx, purpose) + "<input type=\"hidden\" name=\"t\" value=\"" +
      envelope::EscapeHtml(t) + "\"><label for=\"password\">" +
      H(ctx, "form.new_password") +
      "</label><input id=\"password\" name=\"password\" type=\"password\" "
      "required autocomplete=\"new-password\" minlength=\"12\">"
      "<label for=\"password2\">" +
      H(ctx, "form.repeat_password") +
      "</label><input id=\"password2\" name=\"password2\" type=\"password\" "
      "required autocomplete=\"new-password\" minlength=\"12\">"
      "<button type=\"submit\">" +
      H(ctx, "password.submit") + "</button></form>";
  return Page(ctx, 200, reset ? "reset.title" : "confirm.title", body);
}

Response App::ConfirmPost(Ctx& ctx, bool reset) {
  Response err;
  auto form = Form(ctx, &err);
  if (!form) return err;
  if (!CheckCsrf(ctx, *form, reset ? "reset_confirm" : "confirm")) {
    return Forbidden(ctx);
  }
  std::string t = Field(*form, "t");
  std::string password = Field(*form, "password");
  const char* title = reset ? "reset.title" : "confirm.title";
  if (t.empty() || t.size() > 64 || !FromBase64Url(t).ok()) {
    return Message(ctx, 400, "error.title", "token.invalid");
  }
  if (password != Field(*form, "password2")) {
    return Message(ctx, 400, title, "password.mismatch");
  }
  if (!CheckNewPassword(password, "").ok()) {
    return Message(ctx, 400, title, "password.weak");
  }
  auto token = store_->ConsumePortalToken(
      store::Sha256Hex(t), reset ? store::PortalTokenPurpose::kReset
                                 : store::PortalTokenPurpose::kConfirm);
  if (!token.ok()) {
    if (token.status().code() == StatusCode::kNotFound ||
        token.status().code() == StatusCode::kFailedPrecondition) {
      return Message(ctx, 400, "error.title", "token.invalid");
    }
    Log().Error() << "token: " << token.status().ToString();
    return Message(ctx, 500, "error.title", "error.internal");
  }
  if (!CheckNewPassword(password, token->email).ok()) {
    return Message(ctx, 400, title, "password.weak");
  }
  auto hash = HashPassword(password, options_.hash_cost);
  if (!hash.ok()) return Message(ctx, 500, "error.title", "error.internal");
  Status s = store_->SetPortalPassword(token->email, *hash);
  if (s.ok()) s = store_->ConfirmPortalAccount(token->email);
  if (s.ok() && reset) s = store_->DeletePortalSessionsFor(token->email);
  if (!s.ok()) {
    Log().Error() << "password: " << s.ToString();
    return Message(ctx, 500, "error.title", "error.internal");
  }
  Audit(ctx, "", token->email, reset ? "password_reset" : "account_confirmed");
  return Page(
      ctx, 200, title,
      "<p class=\"message\">" + H(ctx, reset ? "reset.done" : "confirm.done") +
          "</p><p><a href=\"/login\">" + H(ctx, "nav.login") + "</a></p>");
}

Response App::LoginGet(Ctx& ctx, const std::string& error_key) {
  std::string next = ctx.req->Query("next");
  if (ctx.req->method == "POST") next.clear();
  return LoginForm(ctx, next, "", error_key, error_key.empty() ? 200 : 401);
}

Response App::LoginForm(Ctx& ctx, std::string next, const std::string& email,
                        const std::string& error_key, int status) {
  if (!SafeNext(next)) next = "/";
  std::string body;
  if (!error_key.empty()) {
    body += "<p class=\"error\" role=\"alert\">" + H(ctx, error_key) + "</p>\n";
  }
  body +=
      "<form method=\"post\" action=\"/login\">" + CsrfField(ctx, "login") +
      "<input type=\"hidden\" name=\"next\" value=\"" +
      envelope::EscapeHtml(next) + "\"><label for=\"email\">" +
      H(ctx, "form.email") +
      "</label><input id=\"email\" name=\"email\" type=\"email\" required "
      "autocomplete=\"username\" value=\"" +
      envelope::EscapeHtml(email) + "\"><label for=\"password\">" +
      H(ctx, "form.password") +
      "</label><input id=\"password\" name=\"password\" type=\"password\" "
      "required autocomplete=\"current-password\"><button type=\"submit\">" +
      H(ctx, "login.submit") + "</button></form>\n<p><a href=\"/register\">" +
      H(ctx, "landing.register") + "</a> &middot; <a href=\"/reset\">" +
      H(ctx, "landing.reset") + "</a></p>";
  return Page(ctx, status, "login.title", body);
}

bool App::UnknownLocked(const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = unknown_.find(email);
  return it != unknown_.end() && it->second.locked_until > Now();
}

void App::UnknownFailure(const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  if (unknown_.size() >= kMaxUnknown && !unknown_.count(email)) {
    unknown_.erase(unknown_.begin());
  }
  UnknownAccount& u = unknown_[email];
  if (++u.failures >= std::max<int64_t>(1, options_.lockout_failures)) {
    u.failures = 0;
    u.locked_until = Now() + options_.lockout_seconds;
  }
}

bool App::CheckPassword(Ctx& ctx, const std::string& email,
                        const std::string& password, bool* locked) {
  *locked = false;
  auto account = store_->GetPortalAccount(email);
  bool usable = account.ok() && account->confirmed_at != 0 &&
                !account->password_hash.empty();
  if (!account.ok() && account.status().code() != StatusCode::kNotFound) {
    Log().Error() << "login: " << account.status().ToString();
  }
  if (!usable) {
    // Costs the same as a real check; locks like a real account.
    (void)VerifyPassword(DummyHash(options_.hash_cost), password);
    if (UnknownLocked(email)) {
      *locked = true;
      Audit(ctx, "", email, "login_locked");
      return false;
    }
    UnknownFailure(email);
    *locked = UnknownLocked(email);
    Audit(ctx, "", email, "login_failed", *locked ? "locked" : "");
    if (*locked) Audit(ctx, "", email, "lockout");
    return false;
  }
  if (account->locked_until > Now()) {
    (void)VerifyPassword(DummyHash(options_.hash_cost), password);
    *locked = true;
    Audit(ctx, "", email, "login_locked");
    return false;
  }
  if (!VerifyPassword(account->password_hash, password)) {
    auto after = store_->NotePortalLoginFailure(
        email, std::max<int64_t>(1, options_.lockout_failures),
        options_.lockout_seconds);
    *locked = after.ok() && after->locked_until > Now();
    Audit(ctx, "", email, "login_failed", *locked ? "locked" : "");
    if (*locked) Audit(ctx, "", email, "lockout");
    return false;
  }
  Status s = store_->NotePortalLoginSuccess(email);
  if (!s.ok()) Log().Warning() << "login: " << s.ToString();
  if (NeedsRehash(account->password_hash, options_.hash_cost)) {
    auto hash = HashPassword(password, options_.hash_cost);
    if (hash.ok()) (void)store_->SetPortalPassword(email, *hash);
  }
  return true;
}

bool App::SessionCookie(Ctx& ctx, const std::string& email) {
  std::string id = RandomToken(32);
  store::PortalSession s;
  s.id_hash = store::Sha256Hex(id);
  s.email = email;
  s.expires_at = Now() + std::max<int64_t>(kSessionAbsoluteSeconds,
                                           options_.session_seconds);
  s.remote_addr = ctx.client;
  s.user_agent = ctx.user_agent;
  Status st = store_->PutPortalSession(s);
  if (!st.ok()) {
    Log().Error() << "session: " << st.ToString();
    return false;
  }
  auto c =
      SetCookie("sp_session", id,
                {.max_age_seconds = -1, .secure = options_.secure_cookies});
  if (!c.ok()) return false;
  ctx.cookies.push_back(*c);
  return true;
}

Response App::LoginPost(Ctx& ctx) {
  Response err;
  auto form = Form(ctx, &err);
  if (!form) return err;
  if (!CheckCsrf(ctx, *form, "login")) return Forbidden(ctx);
  std::string email = NormalizeEmail(Field(*form, "email"));
  std::string password = Field(*form, "password");
  std::string next = Field(*form, "next");
  int64_t now_ms = NowMs();
  if (!login_by_client_.Allow(ctx.client, now_ms)) {
    return TooMany(ctx, login_by_client_.RetryAfterSeconds(ctx.client, now_ms));
  }
  if (!login_by_email_.Allow(email, now_ms)) {
    return TooMany(ctx, login_by_email_.RetryAfterSeconds(email, now_ms));
  }
  bool locked = false;
  if (!PlausibleEmail(email) || password.empty() ||
      password.size() > kMaxPasswordBytes) {
    (void)VerifyPassword(DummyHash(options_.hash_cost), password);
    return LoginForm(ctx, next, email, "login.failed", 401);
  }
  if (!CheckPassword(ctx, email, password, &locked)) {
    return LoginForm(ctx, next, email, locked ? "login.locked" : "login.failed",
                     401);
  }
  if (ctx.session) (void)store_->DeletePortalSession(ctx.session_hash);
  if (!SessionCookie(ctx, email)) {
    return Message(ctx, 500, "error.title", "error.internal");
  }
  return Redirect(ctx, SafeNext(next) ? next : "/");
}

Response App::LogoutPost(Ctx& ctx) {
  Response err;
  auto form = Form(ctx, &err);
  if (!form) return err;
  if (!CheckCsrf(ctx, *form, "logout")) return Forbidden(ctx);
  if (ctx.session) {
    Status s = store_->DeletePortalSession(ctx.session_hash);
    if (!s.ok()) Log().Warning() << "logout: " << s.ToString();
    ctx.session.reset();
  }
  auto c = SetCookie("sp_session", "x",
                     {.max_age_seconds = 0, .secure = options_.secure_cookies});
  if (c.ok()) ctx.cookies.push_back(*c);
  return Message(ctx, 200, "logout.title", "logout.done");
}

Response App::ResetGet(Ctx& ctx) {
  std::string body =
      "<p>" + H(ctx, "reset.intro") +
      "</p>\n"
      "<form method=\"post\" action=\"/reset\">" +
      CsrfField(ctx, "reset") + "<label for=\"email\">" + H(ctx, "form.email") +
      "</label>"
      "<input id=\"email\" name=\"email\" type=\"email\" required "
      "autocomplete=\"email\"><button type=\"submit\">" +
      H(ctx, "reset.submit") + "</button></form>";
  return Page(ctx, 200, "reset.title", body);
}

Response App::ResetPost(Ctx& ctx) {
  Response err;
  auto form = Form(ctx, &err);
  if (!form) return err;
  if (!CheckCsrf(ctx, *form, "reset")) return Forbidden(ctx);
  std::string email = NormalizeEmail(Field(*form, "email"));
  if (!PlausibleEmail(email)) {
    return Message(ctx, 400, "reset.title", "form.bad_email");
  }
  int64_t now_ms = NowMs();
  if (!login_by_client_.Allow("reset:" + ctx.client, now_ms)) {
    return TooMany(
        ctx, login_by_client_.RetryAfterSeconds("reset:" + ctx.client, now_ms));
  }
  Response same = Message(ctx, 200, "reset.title", "reset.sent");
  if (!mail_by_email_.Allow(email, now_ms)) return same;
  auto account = store_->GetPortalAccount(email);
  if (!account.ok()) {
    if (account.status().code() != StatusCode::kNotFound) {
      Log().Error() << "reset: " << account.status().ToString();
    }
    return same;
  }
  std::string token = RandomToken(32);
  store::PortalToken t;
  t.token_hash = store::Sha256Hex(token);
  t.email = email;
  t.purpose = store::PortalTokenPurpose::kReset;
  t.expires_at = Now() + std::max<int64_t>(60, options_.token_seconds);
  Status s = store_->PutPortalToken(t);
  if (!s.ok()) {
    Log().Error() << "reset token: " << s.ToString();
    return same;
  }
  (void)Mail(
      {email}, T(ctx, "mail.reset.subject"),
      T(ctx, "mail.reset.body",
        {{"email", email},
         {"url", LinkUrl("/reset/confirm?t=" + token + "&lang=" + ctx.lang)}}));
  return same;
}

}  // namespace seal::portal
