// App: routing, per-request context (language, sessions, pre-sessions),
// the page layout, CSRF, audit, mail and the embedded assets. The handlers
// live in app_auth.cc, app_release.cc, app_open.cc and app_reply.cc.
#include "portal/app.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <utility>

#include "lib/envelope/escape.h"
#include "lib/envelope/mime_writer.h"
#include "lib/log.h"
#include "lib/store/x509_parse.h"
#include "portal/embedded_files.h"
#include "portal/web.h"

namespace seal::portal {

const Logger& Log() {
  static const Logger* log = new Logger("portal");
  return *log;
}

namespace {

constexpr std::string_view kSessionCookie = "sp_session";
constexpr std::string_view kPreCookie = "sp_pre";
constexpr std::string_view kLangCookie = "sp_lang";
constexpr size_t kMaxUserAgent = 256;

std::string CsrfSecret(const envelope::PortalKeyRing& keys) {
  // Every portal host derives the same secret from the shared key file.
  std::string material = "sealportal-csrf-v1";
  material += keys.keys().back().key;
  std::string hex = store::Sha256Hex(material);
  return hex;  // 64 bytes of text: enough for CsrfGuard
}

bool IsLocaleCode(std::string_view s) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

std::string RfcDate(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// The domain for Message-ID: after the address's '@', without a closing
// '>' or anything unsafe in a msg-id; "localhost" when there is none.
std::string MessageIdDomain(std::string_view from) {
  const size_t at = from.rfind('@');
  std::string out;
  if (at != std::string_view::npos) {
    for (char c : from.substr(at + 1)) {
      if (c == '>') break;
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '-';
      if (ok) out.push_back(c);
    }
  }
  return out.empty() ? std::string("localhost") : out;
}

}  // namespace

const std::string& Request::Header(std::string_view name) const {
  static const std::string kEmpty;
  auto it = headers.find(std::string(name));
  return it == headers.end() ? kEmpty : it->second;
}

const std::string& Request::Query(std::string_view name) const {
  static const std::string kEmpty;
  auto it = query.find(std::string(name));
  return it == query.end() ? kEmpty : it->second;
}

void Response::SetHeader(std::string name, std::string value) {
  for (auto& h : headers) {
    if (h.first == name) {
      h.second = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

Result<std::unique_ptr<App>> App::Create(
    AppOptions options, store::Store* store, const store::Clock* clock,
    envelope::PortalKeyRing keys, envelope::Branding branding,
    MailSender send_mail, std::function<int64_t()> now_ms) {
  if (store == nullptr || clock == nullptr || !send_mail) {
    return InvalidArgumentError("sealportal: store, clock and mail needed");
  }
  while (!options.url.empty() && options.url.back() == '/') {
    options.url.pop_back();
  }
  if (options.url.empty()) {
    return InvalidArgumentError("sealportal: portal.url is not set");
  }
  auto csrf = CsrfGuard::Create(CsrfSecret(keys));
  if (!csrf.ok()) return csrf.status();
  std::unique_ptr<App> app(new App(
      std::move(options), store, clock, std::move(keys), std::move(branding),
      std::move(send_mail), std::move(now_ms), std::move(*csrf)));
  // Locales: every file falls back key by key to en.
  const envelope::LocaleStrings* en = nullptr;
  std::map<std::string, envelope::LocaleStrings, std::less<>> parsed;
  for (const EmbeddedFile& f : EmbeddedPortalFiles()) {
    if (f.path.starts_with("locales/") && f.path.ends_with(".txt")) {
      std::string code(f.path.substr(8, f.path.size() - 12));
      auto strings = envelope::LocaleStrings::Parse(f.data, f.path);
      if (!strings.ok()) return strings.status();
      parsed.emplace(code, std::move(*strings));
    } else if (f.path.starts_with("assets/")) {
      app->assets_.emplace(std::string(f.path.substr(7)), std::string(f.data));
    }
  }
  auto it = parsed.find("en");
  if (it == parsed.end()) {
    return InternalError("sealportal: built without locales/en.txt");
  }
  en = &it->second;
  for (auto& [code, strings] : parsed) {
    envelope::LocaleStrings merged = *en;
    merged.Overlay(strings);
    app->locales_.emplace(code, std::move(merged));
  }
  std::string accent = app->branding_.accent.empty() ? std::string("#1f5f99")
                                                     : app->branding_.accent;
  app->assets_["brand.css"] = ":root { --accent: " + accent + "; }\n";
  return app;
}

App::App(AppOptions options, store::Store* store, const store::Clock* clock,
         envelope::PortalKeyRing keys, envelope::Branding branding,
         MailSender send_mail, std::function<int64_t()> now_ms, CsrfGuard csrf)
    : options_(std::move(options)),
      store_(store),
      clock_(clock),
      keys_(std::move(keys)),
      branding_(std::move(branding)),
      send_mail_(std::move(send_mail)),
      now_ms_(std::move(now_ms)),
      csrf_(std::move(csrf)),
      login_by_client_(options_.client_login_burst,
                       options_.client_login_per_minute),
      login_by_email_(options_.login_burst, options_.login_per_minute),
      mail_by_email_(options_.mail_burst, options_.mail_per_minute),
      api_by_client_(options_.api_burst, options_.api_per_minute),
      pending_(options_.max_upload, options_.max_pending_total) {}

int64_t App::NowMs() const {
  if (now_ms_) return now_ms_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void App::PurgeExpired() {
  pending_.Purge(Now());
  auto purged = store_->PurgePortalExpired();
  if (!purged.ok()) {
    Log().Warning() << "purge: " << purged.status().ToString();
  }
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = Now();
  for (auto it = grants_.begin(); it != grants_.end();) {
    it = it->second <= now ? grants_.erase(it) : std::next(it);
  }
  for (auto it = unknown_.begin(); it != unknown_.end();) {
    it = (it->second.locked_until <= now && it->second.failures == 0)
             ? unknown_.erase(it)
             : std::next(it);
  }
}

Response App::Handle(const Request& request) {
  Response resp;
  Ctx ctx;
  ctx.req = &request;
  try {
    // Language: ?lang=, then the cookie, then Accept-Language, then en.
    std::string lang;
    std::string q = envelope::CanonicalLocale(request.Query("lang"));
    auto cookies = ParseCookies(request.Header("cookie"));
    auto known = [&](const std::string& code) -> std::string {
      if (!IsLocaleCode(code)) return "";
      if (locales_.count(code)) return code;
      std::string base(envelope::LocaleLanguage(code));
      if (locales_.count(base)) return base;
      return "";
    };
    if (!q.empty()) {
      lang = known(q);
      if (!lang.empty()) {
        auto c = SetCookie(kLangCookie, lang,
                           {.max_age_seconds = 365 * 86400,
                            .secure = options_.secure_cookies});
        if (c.ok()) ctx.cookies.push_back(*c);
      }
    }
    if (lang.empty() && cookies.count(std::string(kLangCookie))) {
      lang = known(cookies[std::string(kLangCookie)]);
    }
    if (lang.empty()) {
      std::string_view al = request.Header("accept-language");
      size_t pos = 0;
      for (int i = 0; i < 10 && pos < al.size() && lang.empty(); ++i) {
        size_t end = al.find(',', pos);
        std::string_view item =
            al.substr(pos, end == std::string_view::npos ? al.npos : end - pos);
        item = item.substr(0, item.find(';'));
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        lang = known(envelope::CanonicalLocale(item));
        if (end == std::string_view::npos) break;
        pos = end + 1;
      }
    }
    if (lang.empty()) lang = "en";
    ctx.lang = lang;
    ctx.strings = &locales_.find(lang)->second;
    ctx.client =
        ClientAddress(request.remote, request.Header("x-forwarded-for"),
                      options_.trusted_proxies);
    ctx.user_agent =
        envelope::SanitizeLine(std::string_view(request.Header("user-agent"))
                                   .substr(0, kMaxUserAgent));
    // Pre-session (CSRF binding for visitors).
    auto pre = cookies.find(std::string(kPreCookie));
    if (pre != cookies.end() && pre->second.size() >= 22 &&
        pre->second.size() <= 64 && FromBase64Url(pre->second).ok()) {
      ctx.pre = pre->second;
    } else {
      ctx.pre = RandomToken(32);
      ctx.new_pre = true;
      auto c =
          SetCookie(kPreCookie, ctx.pre,
                    {.max_age_seconds = -1, .secure = options_.secure_cookies});
      if (c.ok()) ctx.cookies.push_back(*c);
    }
    // Session.
    auto sess = cookies.find(std::string(kSessionCookie));
    if (sess != cookies.end() && !sess->second.empty() &&
        sess->second.size() <= 64) {
      std::string hash = store::Sha256Hex(sess->second);
      auto s = store_->TouchPortalSession(hash, options_.session_seconds);
      if (s.ok()) {
        ctx.session = std::move(*s);
        ctx.session_hash = hash;
      } else {
        if (s.status().code() != StatusCode::kNotFound) {
          Log().Warning() << "session: " << s.status().ToString();
        }
        auto c = SetCookie(
            kSessionCookie, "x",
            {.max_age_seconds = 0, .secure = options_.secure_cookies});
        if (c.ok()) ctx.cookies.push_back(*c);
      }
    }
    resp = Route(ctx);
  } catch (const std::exception& e) {
    Log().Error() << request.method << " " << request.path
                  << ": exception: " << e.what();
    resp = Response();
    resp.status = 500;
    resp.body = "<!doctype html><title>500</title><p>Internal error</p>";
  } catch (...) {
    Log().Error() << request.method << " " << request.path
                  << ": unknown exception";
    resp = Response();
    resp.status = 500;
    resp.body = "<!doctype html><title>500</title><p>Internal error</p>";
  }
  for (auto& c : ctx.cookies) resp.cookies.push_back(c);
  for (auto& [name, value] :
       SecurityHeaders(options_.https, resp.opener_allowed)) {
    bool overridden = false;
    for (auto& h : resp.headers) overridden |= h.first == name;
    if (!overridden) resp.headers.emplace_back(name, value);
  }
  if (resp.status >= 500) {
    Log().Error() << request.method << " " << request.path << " -> "
                  << resp.status;
  }
  return resp;
}

Response App::Route(Ctx& ctx) {
  const Request& r = *ctx.req;
  const std::string& p = r.path;
  bool get = r.method == "GET" || r.method == "HEAD";
  bool post = r.method == "POST";
  // HEAD only where a GET changes nothing: on the envelope pages a GET
  // records an opening (audit, read receipt), which a link checker's HEAD
  // must not.
  const bool head_ok = p == "/" || p.empty() || p.starts_with("/assets/");
  if ((!get && !post) || (r.method == "HEAD" && !head_ok)) {
    Response resp = Message(ctx, 405, "error.title", "error.method");
    resp.SetHeader("Allow", head_ok ? "GET, HEAD, POST" : "GET, POST");
    return resp;
  }
  if (p.starts_with("/assets/")) {
    if (!get) return Message(ctx, 405, "error.title", "error.method");
    return Asset(ctx, std::string_view(p).substr(8));
  }
  if (p == "/" || p == "") return get ? Landing(ctx) : NotFound(ctx);
  if (p == "/register") return get ? RegisterGet(ctx) : RegisterPost(ctx);
  if (p == "/confirm") {
    return get ? ConfirmGet(ctx, false) : ConfirmPost(ctx, false);
  }
  if (p == "/login") {
    // Shown inside the envelope's portal window: COOP same-origin here would
    // cut window.opener for the /release page that follows (P4).
    Response login = get ? LoginGet(ctx) : LoginPost(ctx);
    login.opener_allowed = true;
    return login;
  }
  if (p == "/logout") {
    return post ? LogoutPost(ctx)
                : Message(ctx, 405, "error.title", "error.method");
  }
  if (p == "/reset") return get ? ResetGet(ctx) : ResetPost(ctx);
  if (p == "/reset/confirm") {
    return get ? ConfirmGet(ctx, true) : ConfirmPost(ctx, true);
  }
  if (p == "/release") return get ? ReleaseGet(ctx) : ReleasePost(ctx);
  if (p == "/api/release") {
    return post ? ApiRelease(ctx) : ApiError(ctx, 400, "bad_request");
  }
  if (p == "/open") {
    return post ? OpenPost(ctx) : Redirect(ctx, "/");
  }
  if (p.starts_with("/open/")) {
    std::string id = p.substr(6);
    if (id.empty() || id.size() > 64 || !FromBase64Url(id).ok()) {
      return NotFound(ctx);
    }
    if (get) return OpenGet(ctx, id);
    return OpenGet(ctx, id);  // POST: the re-auth form (checked inside)
  }
  if (p == "/reply") return get ? ReplyGet(ctx) : ReplyPost(ctx);
  return NotFound(ctx);
}

std::string App::T(const Ctx& ctx, std::string_view key,
                   const std::map<std::string, std::string>& vars) const {
  const std::string* text = ctx.strings->FindText(key);
  if (text == nullptr) return std::string(key);
  std::string lines;
  if (key.starts_with("mail.")) {
    for (size_t i = 0; i < text->size(); ++i) {
      if ((*text)[i] == '\\' && i + 1 < text->size() && (*text)[i + 1] == 'n') {
        lines += '\n';
        ++i;
      } else {
        lines += (*text)[i];
      }
    }
    text = &lines;
  }
  std::string out;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t open = text->find("{{", pos);
    if (open == std::string::npos) {
      out.append(*text, pos);
      break;
    }
    size_t close = text->find("}}", open + 2);
    if (close == std::string::npos) {
      out.append(*text, pos);
      break;
    }
    out.append(*text, pos, open - pos);
    auto it = vars.find(text->substr(open + 2, close - open - 2));
    if (it != vars.end()) out += it->second;
    pos = close + 2;
  }
  return out;
}

std::string App::H(const Ctx& ctx, std::string_view key,
                   const std::map<std::string, std::string>& vars) const {
  return envelope::EscapeHtml(T(ctx, key, vars));
}

Response App::Page(const Ctx& ctx, int status, std::string_view title_key,
                   const std::string& body_html) const {
  return PageWith(ctx, status, title_key, body_html, "");
}

Response App::PageWith(const Ctx& ctx, int status, std::string_view title_key,
                       const std::string& body_html,
                       const std::string& main_attrs) const {
  Response resp;
  resp.status = status;
  std::string org = branding_.organization.empty()
                        ? T(ctx, "page.default_organization")
                        : branding_.organization;
  std::string& b = resp.body;
  b += "<!doctype html>\n<html lang=\"" + envelope::EscapeHtml(ctx.lang) +
       "\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, "
       "initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
       "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>";
  b += H(ctx, title_key) + " - " + envelope::EscapeHtml(org);
  b += "</title>\n<link rel=\"stylesheet\" href=\"/assets/portal.css\">\n"
       "<link rel=\"stylesheet\" href=\"/assets/brand.css\">\n</head>\n"
       "<body>\n<header class=\"brand\">";
  std::string logo = branding_.LogoDataUri();
  if (!logo.empty()) {
    b += "<img class=\"logo\" alt=\"\" src=\"" + envelope::EscapeHtml(logo) +
         "\">";
  }
  if (!branding_.link.empty()) {
    b += "<a class=\"org\" href=\"" + envelope::EscapeHtml(branding_.link) +
         "\">" + envelope::EscapeHtml(org) + "</a>";
  } else {
    b += "<span class=\"org\">" + envelope::EscapeHtml(org) + "</span>";
  }
  b += "<nav>";
  if (ctx.session) {
    b += "<span class=\"who\">" + envelope::EscapeHtml(ctx.session->email) +
         "</span><form method=\"post\" action=\"/logout\" class=\"inline\">" +
         CsrfField(ctx, "logout") + "<button type=\"submit\">" +
         H(ctx, "nav.logout") + "</button></form>";
  } else {
    b += "<a href=\"/login\">" + H(ctx, "nav.login") + "</a>";
  }
  b += "</nav></header>\n<main" + main_attrs + ">\n<h1>" + H(ctx, title_key) +
       "</h1>\n" + body_html + "\n</main>\n<footer>";
  if (!branding_.support.empty()) {
    b += H(ctx, "page.support", {{"support", branding_.support}});
  }
  b += "</footer>\n</body>\n</html>\n";
  return resp;
}

Response App::Message(const Ctx& ctx, int status, std::string_view title_key,
                      std::string_view text_key,
                      const std::map<std::string, std::string>& vars) const {
  return Page(ctx, status, title_key,
              "<p class=\"message\">" + H(ctx, text_key, vars) + "</p>");
}

Response App::Forbidden(const Ctx& ctx) const {
  return Message(ctx, 403, "error.title", "error.csrf");
}
Response App::BadRequest(const Ctx& ctx) const {
  return Message(ctx, 400, "error.title", "error.bad_request");
}
Response App::NotFound(const Ctx& ctx) const {
  return Message(ctx, 404, "error.title", "error.not_found");
}
Response App::TooMany(const Ctx& ctx, int64_t retry_after) const {
  Response resp = Message(ctx, 429, "error.title", "error.rate_limited");
  resp.SetHeader("Retry-After",
                 std::to_string(std::max<int64_t>(1, retry_after)));
  return resp;
}

Response App::Redirect(const Ctx& /*ctx*/, const std::string& location) const {
  Response resp;
  resp.status = 303;
  resp.SetHeader("Location", location);
  resp.body = "";
  return resp;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool SafeNext(std::string_view next) {
  if (next.empty() || next.size() > 2048 || next[0] != '/') return false;
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return false;
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x21 || c == '\\' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

Response App::RedirectToLogin(const Ctx& ctx, const std::string& next) const {
  return Redirect(ctx, "/login?next=" + PercentEncode(next));
}

std::string App::Binding(const Ctx& ctx) const {
  return ctx.session ? ctx.session_hash : ctx.pre;
}

std::string App::CsrfField(const Ctx& ctx, std::string_view purpose) const {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" +
         csrf_.Token(purpose, Binding(ctx)) + "\">";
}

bool App::CheckCsrf(const Ctx& ctx, const FormFields& form,
                    std::string_view purpose) const {
  auto it = form.find("csrf");
  if (it == form.end()) return false;
  return csrf_.Check(it->second, purpose, Binding(ctx));
}

std::optional<FormFields> App::Form(const Ctx& ctx, Response* error) const {
  std::string_view type = ctx.req->Header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type != "application/x-www-form-urlencoded") {
    *error = Message(ctx, 415, "error.title", "error.bad_request");
    return std::nullopt;
  }
  auto form = ParseForm(ctx.req->body);
  if (!form.ok()) {
    *error = form.status().code() == StatusCode::kResourceExhausted
                 ? Message(ctx, 413, "error.title", "error.too_large")
                 : BadRequest(ctx);
    return std::nullopt;
  }
  return std::move(*form);
}

void App::Audit(const Ctx& ctx, std::string_view envelope_id,
                std::string_view email, std::string_view action,
                std::string_view detail) {
  store::PortalAuditRecord rec;
  rec.envelope_id = std::string(envelope_id);
  rec.email = std::string(email);
  rec.action = std::string(action);
  rec.remote_addr = ctx.client;
  rec.user_agent = ctx.user_agent;
  rec.detail = std::string(detail);
  Status s = store_->RecordPortalAudit(rec);
  if (!s.ok()) {
    Log().Warning() << "audit " << action << ": " << s.ToString();
  }
  Log().Info() << "audit " << action
               << " envelope=" << (envelope_id.empty() ? "-" : envelope_id)
               << " client=" << ctx.client;
}

std::string App::LinkUrl(std::string_view path) const {
  return options_.url + std::string(path);
}

Status App::Mail(const std::vector<std::string>& to, std::string_view subject,
                 std::string_view text, std::string_view reply_to) {
  OutgoingMail mail;
  mail.recipients = to;
  std::string& d = mail.data;
  // Address fields as they are (RFC 2047 words are not allowed in an
  // address; a non-ASCII address needs SMTPUTF8, not encoding), one line;
  // the subject, often localized, as folded encoded words.
  d += "From: " + envelope::SanitizeLine(options_.mail_from) + "\r\n";
  std::string to_line;
  for (const auto& r : to) to_line += (to_line.empty() ? "" : ", ") + r;
  d += "To: " + envelope::SanitizeLine(to_line) + "\r\n";
  if (!reply_to.empty()) {
    d += "Reply-To: " + envelope::SanitizeLine(reply_to) + "\r\n";
  }
  d += envelope::HeaderLine("Subject", subject);
  d += "Date: " + RfcDate(Now()) + "\r\n";
  d += "Message-ID: <" + RandomToken(16) + "@" +
       MessageIdDomain(options_.mail_from) + ">\r\n";
  d += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n"
       "\r\n";
  std::string body = envelope::ToValidUtf8(text);
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) d += '\r';
    d += body[i];
  }
  if (!d.ends_with("\r\n")) d += "\r\n";
  Status s = send_mail_(mail);
  if (!s.ok()) Log().Error() << "mail: " << s.ToString();
  return s;
}

Response App::Asset(const Ctx& ctx, std::string_view name) const {
  auto it = assets_.find(name);
  if (it == assets_.end()) return NotFound(ctx);
  Response resp;
  resp.body = it->second;
  if (name.ends_with(".css")) {
    resp.content_type = "text/css; charset=utf-8";
  } else if (name.ends_with(".js")) {
    resp.content_type = "text/javascript; charset=utf-8";
  } else {
    resp.content_type = "application/octet-stream";
  }
  return resp;
}

Response App::Landing(Ctx& ctx) {
  std::string body =
      "<p>" + H(ctx, "landing.intro") + "</p>\n<ul class=\"actions\">";
  if (!ctx.session) {
    body += "<li><a href=\"/login\">" + H(ctx, "landing.login") + "</a></li>";
    body +=
        "<li><a href=\"/register\">" + H(ctx, "landing.register") + "</a></li>";
    body += "<li><a href=\"/reset\">" + H(ctx, "landing.reset") + "</a></li>";
  } else {
    body = "<p>" +
           H(ctx, "landing.signed_in", {{"email", ctx.session->email}}) +
           "</p>\n<ul class=\"actions\">";
  }
  body += "</ul>";
  return Page(ctx, 200, "landing.title", body);
}

Response App::ApiError(const Ctx& ctx, int status, std::string_view code) {
  Response resp;
  resp.status = status;
  resp.content_type = "application/json";
  resp.body = "{\"error\":" + envelope::JsonQuote(code) + ",\"message\":" +
              envelope::JsonQuote(T(ctx, "api." + std::string(code))) + "}";
  resp.opener_allowed = true;
  return resp;
}

}  // namespace seal::portal
