// App: the key release (release_protocol.md): the /release page with its
// re-auth form for security "high", POST /api/release, access checks shared
// with the JS-free open, and the read receipt.
#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"
#include "lib/envelope/escape.h"
#include "lib/envelope/key_slots.h"
#include "lib/log.h"
#include "portal/app.h"
#include "portal/key_release.h"

namespace seal::portal {
namespace {

constexpr size_t kMaxGrants = 10000;
constexpr int64_t kGrantSeconds = 120;
constexpr size_t kMaxApiBody = 16 * 1024;

bool IsRecipient(const store::EnvelopeRecord& rec, const std::string& email) {
  return std::find(rec.recipients.begin(), rec.recipients.end(), email) !=
         rec.recipients.end();
}

}  // namespace

void App::Grant(const std::string& session_hash, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (grants_.size() >= kMaxGrants) grants_.erase(grants_.begin());
  grants_[session_hash + "|" + id] = Now() + kGrantSeconds;
}

bool App::TakeGrant(const std::string& session_hash, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = grants_.find(session_hash + "|" + id);
  if (it == grants_.end()) return false;
  bool ok = it->second > Now();
  grants_.erase(it);
  return ok;
}

std::optional<Response> App::CheckAccess(Ctx& ctx,
                                         const store::EnvelopeRecord& rec,
                                         bool json) {
  std::string email = ctx.session ? ctx.session->email : "";
  if (rec.security != store::EnvelopeSecurity::kNone) {
    if (!ctx.session) {
      if (json) return ApiError(ctx, 401, "login_required");
      return std::nullopt;  // the caller redirects to the login
    }
    if (!IsRecipient(rec, email)) {
      Audit(ctx, rec.id, email, "denied_not_recipient");
      if (json) return ApiError(ctx, 403, "not_recipient");
      return Message(ctx, 403, "error.title", "release.not_recipient");
    }
  }
  switch (rec.StateAt(Now())) {
    case store::EnvelopeState::kRevoked:
      Audit(ctx, rec.id, email, "denied_revoked");
      if (json) return ApiError(ctx, 410, "revoked");
      return Message(ctx, 410, "error.title", "release.revoked");
    case store::EnvelopeState::kExpired:
      Audit(ctx, rec.id, email, "denied_expired");
      if (json) return ApiError(ctx, 410, "expired");
      return Message(ctx, 410, "error.title", "release.expired");
    case store::EnvelopeState::kActive:
      break;
  }
  return std::nullopt;
}

void App::NoteOpened(Ctx& ctx, const store::EnvelopeRecord& rec) {
  auto opened = store_->NoteEnvelopeOpened(rec.id);
  if (!opened.ok()) Log().Warning() << "opened: " << opened.status().ToString();
  if (!rec.read_receipt || rec.sender.empty()) return;
  auto claim = store_->ClaimReadReceipt(rec.id);
  if (!claim.ok()) {
    Log().Warning() << "receipt: " << claim.status().ToString();
    return;
  }
  if (!*claim) return;
  std::string who =
      ctx.session ? ctx.session->email : T(ctx, "receipt.someone");
  Status s = Mail({rec.sender}, T(ctx, "mail.receipt.subject"),
                  T(ctx, "mail.receipt.body",
                    {{"recipient", who},
                     {"envelope_id", rec.id},
                     {"time", envelope::FormatHumanUtc(envelope::TimePoint(
                                  std::chrono::seconds(Now())))}}));
  Audit(ctx, rec.id, ctx.session ? ctx.session->email : "",
        s.ok() ? "read_receipt" : "read_receipt_failed");
}

Response App::ReleaseGet(Ctx& ctx) {
  auto id = store::NormalizeEnvelopeId(ctx.req->Query("id"));
  if (!id.ok()) return Message(ctx, 400, "error.title", "release.bad_id");
  auto rec = store_->GetEnvelope(*id);
  if (!rec.ok()) {
    if (rec.status().code() == StatusCode::kNotFound) {
      Audit(ctx, *id, ctx.session ? ctx.session->email : "", "denied_unknown");
      return Message(ctx, 404, "error.title", "release.unknown");
    }
    Log().Error() << "release: " << rec.status().ToString();
    return Message(ctx, 500, "error.title", "error.internal");
  }
  if (auto refusal = CheckAccess(ctx, *rec, false)) {
    // The envelope page learns the refusal too: release.js reads data-error
    // and posts it to the opener (release_protocol.md, P4).
    std::string code = refusal->status == 403 ? "not_recipient"
                       : rec->StateAt(Now()) == store::EnvelopeState::kRevoked
                           ? "revoked"
                           : "expired";
    std::string text = H(ctx, "release." + code);
    Response page = PageWith(
        ctx, refusal->status, "error.title",
        "<p class=\"message\">" + text +
            "</p>\n<script src=\"/assets/release.js\"></script>",
        " id=\"release\" data-envelope-id=\"" + rec->id + "\" data-error=\"" +
            code + "\" data-error-text=\"" + text + "\"");
    page.opener_allowed = true;
    return page;
  }
  if (rec->security != store::EnvelopeSecurity::kNone && !ctx.session) {
    std::string next = "/release?id=" + *id;
    if (!ctx.req->Query("lang").empty()) next += "&lang=" + ctx.lang;
    Response r = RedirectToLogin(ctx, next);
    r.opener_allowed = true;
    return r;
  }
  return ReleasePage(ctx, *rec, rec->security != store::EnvelopeSecurity::kHigh,
                     "");
}

// The confirmation release.js shows when a request has arrived (hidden
// until then): which page asks (filled in by the script from the message's
// origin), the envelope as the store knows it, and the two buttons. Nothing
// is released without a click on "Open the message": holding an envelope
// and getting its recipient to visit a page must not be enough.
std::string App::ConfirmSection(const Ctx& ctx,
                                const store::EnvelopeRecord& rec) const {
  std::string s = "<section id=\"release-confirm\" hidden>\n<p>" +
                  H(ctx, "release.confirm_intro") +
                  "</p>\n<dl class=\"headers\"><dt>" +
                  H(ctx, "release.confirm_requester") +
                  "</dt><dd id=\"release-origin\"></dd>";
  if (!rec.sender.empty()) {
    s += "<dt>" + H(ctx, "open.from") + "</dt><dd id=\"release-sender\">" +
         envelope::EscapeHtml(rec.sender) + "</dd>";
  }
  if (rec.created_at > 0) {
    s += "<dt>" + H(ctx, "open.date") + "</dt><dd>" +
         envelope::EscapeHtml(envelope::FormatHumanUtc(
             envelope::TimePoint(std::chrono::seconds(rec.created_at)))) +
         "</dd>";
  }
  s += "</dl>\n<p class=\"help\">" + H(ctx, "release.confirm_warning") +
       "</p>\n<p class=\"actions\"><button type=\"button\" "
       "id=\"release-confirm-open\" disabled>" +
       H(ctx, "release.confirm_open") +
       "</button> <button type=\"button\" id=\"release-confirm-cancel\" "
       "class=\"secondary\">" +
       H(ctx, "release.confirm_cancel") + "</button></p>\n</section>\n";
  return s;
}

Response App::ReleasePage(Ctx& ctx, const store::EnvelopeRecord& rec,
                          bool ready, const std::string& error_key) {
  std::string attrs =
      " id=\"release\" data-envelope-id=\"" + rec.id + "\" data-csrf=\"" +
      csrf_.Token("api_release", Binding(ctx)) +
      "\" data-api=\"/api/release\" data-ready=\"" + (ready ? "1" : "0") +
      "\" data-done-text=\"" + H(ctx, "release.done") +
      "\" data-error-text=\"" + H(ctx, "release.error") +
      "\" data-cancelled-text=\"" + H(ctx, "release.cancelled") +
      "\" data-origin-null-text=\"" + H(ctx, "release.origin_null") +
      "\" data-origin-framed-text=\"" + H(ctx, "release.origin_framed") + "\"";
  std::string body;
  if (!error_key.empty()) {
    body += "<p class=\"error\" role=\"alert\">" + H(ctx, error_key) + "</p>\n";
  }
  if (ready) {
    body += "<p id=\"release-status\" class=\"message\">" +
            H(ctx, "release.working") + "</p>\n<noscript><p>" +
            H(ctx, "release.noscript") + "</p></noscript>\n";
    body += ConfirmSection(ctx, rec);
  } else {
    body += "<p>" + H(ctx, "release.reauth_intro") +
            "</p>\n<form method=\"post\" action=\"/release\">" +
            CsrfField(ctx, "release") +
            "<input type=\"hidden\" name=\"id\" "
            "value=\"" +
            rec.id + "\"><label for=\"password\">" + H(ctx, "form.password") +
            "</label><input id=\"password\" "
            "name=\"password\" type=\"password\" required "
            "autocomplete=\"current-password\"><button type=\"submit\">" +
            H(ctx, "release.reauth_submit") + "</button></form>\n";
  }
  body += "<script src=\"/assets/release.js\"></script>";
  Response resp = PageWith(ctx, 200, "release.title", body, attrs);
  resp.opener_allowed = true;
  return resp;
}

Response App::ReleasePost(Ctx& ctx) {
  Response err;
  auto form = Form(ctx, &err);
  if (!form) return err;
  if (!CheckCsrf(ctx, *form, "release")) {
    Response r = Forbidden(ctx);
    r.opener_allowed = true;
    return r;
  }
  auto it = form->find("id");
  auto id = store::NormalizeEnvelopeId(it == form->end() ? "" : it->second);
  if (!id.ok()) return Message(ctx, 400, "error.title", "release.bad_id");
  auto rec = store_->GetEnvelope(*id);
  if (!rec.ok()) {
    if (rec.status().code() == StatusCode::kNotFound) {
      return Message(ctx, 404, "error.title", "release.unknown");
    }
    return Message(ctx, 500, "error.title", "error.internal");
  }
  if (auto refusal = CheckAccess(ctx, *rec, false)) return *refusal;
  if (!ctx.session) return RedirectToLogin(ctx, "/release?id=" + *id);
  if (rec->security != store::EnvelopeSecurity::kHigh) {
    return ReleasePage(ctx, *rec, true, "");
  }
  int64_t now_ms = NowMs();
  if (!login_by_email_.Allow(ctx.session->email, now_ms)) {
    return TooMany(
        ctx, login_by_email_.RetryAfterSeconds(ctx.session->email, now_ms));
  }
  auto pw = form->find("password");
  bool locked = false;
  if (pw == form->end() ||
      !CheckPassword(ctx, ctx.session->email, pw->second, &locked)) {
    Response r =
        ReleasePage(ctx, *rec, false, locked ? "login.locked" : "login.failed");
    r.status = 401;
    return r;
  }
  Grant(ctx.session_hash, *id);
  return ReleasePage(ctx, *rec, true, "");
}

Response App::ApiRelease(Ctx& ctx) {
  const Request& r = *ctx.req;
  int64_t now_ms = NowMs();
  if (!api_by_client_.Allow(ctx.client, now_ms)) {
    Response resp = ApiError(ctx, 429, "rate_limited");
    resp.SetHeader(
        "Retry-After",
        std::to_string(std::max<int64_t>(
            1, api_by_client_.RetryAfterSeconds(ctx.client, now_ms))));
    return resp;
  }
  std::string_view type = r.Header("content-type");
  type = type.substr(0, type.find(';'));
  if (type != "application/json" || r.body.size() > kMaxApiBody) {
    return ApiError(ctx, 400, "bad_request");
  }
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return ApiError(ctx, 400, "bad_request");
  }
  auto str = [&](const char* name) -> std::string {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return "";
    return it->get<std::string>();
  };
  auto id = store::NormalizeEnvelopeId(str("id"));
  std::string key_id = str("key_id");
  auto iv = envelope::Base64Decode(str("iv"));
  auto wrapped = envelope::Base64Decode(str("wrapped"));
  auto browser = envelope::Base64Decode(str("browser_public"));
  if (!id.ok() || key_id.empty() || key_id.size() > 128 || !iv.ok() ||
      !wrapped.ok() || !browser.ok() || iv->size() != 12 ||
      wrapped->size() != 48 || browser->size() != kP256PointBytes) {
    return ApiError(ctx, 400, "bad_request");
  }
  auto rec = store_->GetEnvelope(*id);
  if (!rec.ok()) {
    if (rec.status().code() == StatusCode::kNotFound) {
      Audit(ctx, *id, ctx.session ? ctx.session->email : "", "denied_unknown");
      return ApiError(ctx, 404, "unknown_envelope");
    }
    Log().Error() << "api release: " << rec.status().ToString();
    return ApiError(ctx, 500, "internal");
  }
  if (rec->security != store::EnvelopeSecurity::kNone && !ctx.session) {
    return ApiError(ctx, 401, "login_required");
  }
  if (!csrf_.Check(r.Header("x-csrf-token"), "api_release", Binding(ctx))) {
    Audit(ctx, *id, ctx.session ? ctx.session->email : "", "denied_csrf");
    return ApiError(ctx, 403, "csrf");
  }
  if (auto refusal = CheckAccess(ctx, *rec, true)) return *refusal;
  std::string email = ctx.session ? ctx.session->email : "";
  if (rec->security == store::EnvelopeSecurity::kHigh &&
      !TakeGrant(ctx.session_hash, *id)) {
    Audit(ctx, *id, email, "denied_reauth");
    return ApiError(ctx, 401, "login_required");
  }
  const envelope::PortalKey* key = keys_.Find(key_id);
  if (key == nullptr) {
    Audit(ctx, *id, email, "denied_bad_key", "unknown key id");
    return ApiError(ctx, 400, "bad_request");
  }
  envelope::KeySlot slot;
  slot.type = envelope::KeySlot::Type::kPortal;
  slot.iv = *iv;
  slot.wrapped = *wrapped;
  slot.key_id = key_id;
  auto content_key = envelope::UnwrapPortalSlot(slot, *id, key->key);
  if (!content_key.ok()) {
    Audit(ctx, *id, email, "denied_bad_slot");
    return ApiError(ctx, 400, "bad_request");
  }
  auto release = WrapForBrowser(*browser, *id, *content_key);
  envelope::Cleanse(&*content_key);
  if (!release.ok()) {
    Audit(ctx, *id, email, "denied_bad_key", "browser key");
    return ApiError(ctx, 400, "bad_request");
  }
  Audit(ctx, *id, email, "key_release");
  NoteOpened(ctx, *rec);
  nlohmann::json out = {
      {"portal_public", envelope::Base64Encode(release->portal_public)},
      {"iv", envelope::Base64Encode(release->iv)},
      {"wrapped", envelope::Base64Encode(release->wrapped)},
      {"reply", rec->reply},
      {"reply_all", rec->reply_all},
      {"forward", rec->forward}};
  Response resp;
  resp.content_type = "application/json";
  resp.body = out.dump();
  resp.opener_allowed = true;
  return resp;
}

}  // namespace seal::portal
