// App: the JS-free "open online" path (release_protocol.md): POST /open
// keeps the upload in the PendingStore, GET /open/ID decrypts it on the
// server (never on disk) once the recipient may see it and shows the text,
// the HTML in a sandboxed frame without scripts, and the attachments as
// downloads. For security "high" a password form comes first.
#include <algorithm>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"
#include "lib/envelope/escape.h"
#include "lib/envelope/key_slots.h"
#include "lib/envelope/metadata.h"
#include "lib/log.h"
#include "lib/mime/charset.h"
#include "lib/mime/encoded_words.h"
#include "lib/mime/mime_parser.h"
#include "portal/app.h"
#include "portal/multipart.h"
#include "portal/web.h"

namespace seal::portal {
namespace {

constexpr size_t kMaxPartBytes = 64u << 20;

std::string HeaderValue(const mime::ParsedMime& m, const mime::PartView& p,
                        std::string_view name) {
  const mime::HeaderField* f = m.FindField(p, name);
  if (f == nullptr) return "";
  mime::CharsetConverter conv;
  mime::TextIssues issues;
  return envelope::SanitizeLine(mime::DecodeEncodedWords(
      mime::UnfoldValue(mime::FieldRawValue(m.raw, *f)), conv, issues));
}

bool IsAttachment(const mime::PartView& p) {
  if (p.disposition == mime::Disposition::kAttachment ||
      p.disposition == mime::Disposition::kOther) {
    return true;
  }
  return !p.FileName().empty() && p.disposition != mime::Disposition::kInline;
}

std::string SafeFileName(std::string_view name) {
  std::string out;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
        (u >= '0' && u <= '9') || c == '.' || c == '-' || c == '_') {
      out += c;
    } else if (out.empty() || out.back() != '_') {
      out += '_';
    }
  }
  if (out.empty() || out.front() == '.') out = "attachment" + out;
  return out.substr(0, 128);
}

}  // namespace

Response App::OpenPost(Ctx& ctx) {
  const Request& r = *ctx.req;
  if (r.body.size() > options_.max_upload) {
    return Message(ctx, 413, "error.title", "error.too_large");
  }
  auto form = ParseMultipartForm(r.Header("content-type"), r.body);
  if (!form.ok()) {
    return Message(ctx, 400, "error.title", "open.bad_upload");
  }
  auto field = [&](const char* n) -> std::string {
    auto it = form->find(n);
    return it == form->end() ? std::string() : it->second;
  };
  auto id = store::NormalizeEnvelopeId(field("envelope_id"));
  std::string json = field("envelope");
  // The page's metadata may carry surrounding whitespace; the JSON text
  // itself is the additional data, so only trim it.
  while (!json.empty() &&
         std::isspace(static_cast<unsigned char>(json.back()))) {
    json.pop_back();
  }
  size_t lead = 0;
  while (lead < json.size() &&
         std::isspace(static_cast<unsigned char>(json[lead]))) {
    ++lead;
  }
  json.erase(0, lead);
  if (!id.ok() || json.empty() || json.size() > envelope::kMaxMetadataSize) {
    return Message(ctx, 400, "error.title", "open.bad_upload");
  }
  auto meta = envelope::ParseMetadata(json);
  if (!meta.ok() || meta->id != *id) {
    return Message(ctx, 400, "error.title", "open.bad_upload");
  }
  auto ciphertext = envelope::Base64Decode(field("ciphertext"));
  if (!ciphertext.ok() || ciphertext->size() < 16) {
    return Message(ctx, 400, "error.title", "open.bad_upload");
  }
  PendingUpload up;
  up.envelope_id = *id;
  up.metadata_json = std::move(json);
  up.ciphertext = std::move(*ciphertext);
  auto pid = pending_.Put(std::move(up), Now());
  if (!pid.ok()) return Message(ctx, 413, "error.title", "error.too_large");
  return Redirect(ctx, "/open/" + *pid);
}

Response App::OpenGet(Ctx& ctx, const std::string& pending_id) {
  const Request& r = *ctx.req;
  auto up = pending_.Get(pending_id, Now());
  if (!up) return Message(ctx, 404, "error.title", "open.gone");
  auto rec = store_->GetEnvelope(up->envelope_id);
  if (!rec.ok()) {
    if (rec.status().code() == StatusCode::kNotFound) {
      Audit(ctx, up->envelope_id, ctx.session ? ctx.session->email : "",
            "denied_unknown");
      return Message(ctx, 404, "error.title", "release.unknown");
    }
    Log().Error() << "open: " << rec.status().ToString();
    return Message(ctx, 500, "error.title", "error.internal");
  }
  if (auto refusal = CheckAccess(ctx, *rec, false)) return *refusal;
  if (rec->security != store::EnvelopeSecurity::kNone && !ctx.session) {
    return RedirectToLogin(ctx, "/open/" + pending_id);
  }
  const std::string& part_q = r.Query("part");
  const std::string& html_q = r.Query("html");
  bool sub = !part_q.empty() || !html_q.empty();
  if (rec->security == store::EnvelopeSecurity::kHigh) {
    std::string grant_key = "open:" + pending_id;
    bool granted = false;
    if (r.method == "POST") {
      Response err;
      auto form = Form(ctx, &err);
      if (!form) return err;
      if (!CheckCsrf(ctx, *form, "open")) return Forbidden(ctx);
      auto pw = form->find("password");
      bool locked = false;
      if (pw != form->end() &&
          CheckPassword(ctx, ctx.session->email, pw->second, &locked)) {
        granted = true;
        // The frame and the downloads of this page come next.
        Grant(ctx.session_hash, grant_key);
      } else {
        return Page(ctx, 401, "open.title",
                    "<p class=\"error\" role=\"alert\">" +
                        H(ctx, locked ? "login.locked" : "login.failed") +
                        "</p><form method=\"post\" action=\"/open/" +
                        pending_id + "\">" + CsrfField(ctx, "open") +
                        "<label for=\"password\">" + H(ctx, "form.password") +
                        "</label><input id=\"password\" name=\"password\" "
                        "type=\"password\" required><button type=\"submit\">" +
                        H(ctx, "release.reauth_submit") + "</button></form>");
      }
    } else if (sub) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = grants_.find(ctx.session_hash + "|" + grant_key);
      granted = it != grants_.end() && it->second > Now();
    }
    if (!granted) {
      return Page(ctx, 200, "open.title",
                  "<p>" + H(ctx, "release.reauth_intro") +
                      "</p><form method=\"post\" action=\"/open/" + pending_id +
                      "\">" + CsrfField(ctx, "open") +
                      "<label for=\"password\">" + H(ctx, "form.password") +
                      "</label><input id=\"password\" name=\"password\" "
                      "type=\"password\" required><button type=\"submit\">" +
                      H(ctx, "release.reauth_submit") + "</button></form>");
    }
  } else if (r.method == "POST") {
    return Message(ctx, 405, "error.title", "error.method");
  }
  std::string email = ctx.session ? ctx.session->email : "";
  // Decrypt.
  auto meta = envelope::ParseMetadata(up->metadata_json);
  if (!meta.ok()) return Message(ctx, 400, "error.title", "open.bad_upload");
  const envelope::KeySlot* slot = nullptr;
  for (const auto& s : meta->slots) {
    if (s.type == envelope::KeySlot::Type::kPortal) slot = &s;
  }
  const envelope::PortalKey* key =
      slot == nullptr ? nullptr : keys_.Find(slot->key_id);
  if (key == nullptr) {
    Audit(ctx, rec->id, email, "denied_bad_key", "open online");
    return Message(ctx, 400, "error.title", "open.bad_upload");
  }
  auto content_key = envelope::UnwrapPortalSlot(*slot, rec->id, key->key);
  if (!content_key.ok()) {
    Audit(ctx, rec->id, email, "denied_bad_slot", "open online");
    return Message(ctx, 400, "error.title", "open.bad_upload");
  }
  auto plain = envelope::AesGcmOpen(*content_key, meta->content_iv,
                                    up->metadata_json, up->ciphertext);
  envelope::Cleanse(&*content_key);
  if (!plain.ok()) {
    Audit(ctx, rec->id, email, "denied_tampered", "open online");
    return Message(ctx, 400, "error.title", "open.tampered");
  }
  auto mime = mime::ParseMime(*plain);
  if (!mime.ok()) return Message(ctx, 400, "error.title", "open.tampered");
  const mime::ParsedMime& m = *mime;
  if (sub) {
    const std::string& q = part_q.empty() ? html_q : part_q;
    size_t n = 0;
    if (q.size() > 6 ||
        q.find_first_not_of("0123456789") != std::string::npos) {
      return BadRequest(ctx);
    }
    n = std::stoul(q);
    if (n >= m.parts.size() || !m.parts[n].children.empty()) {
      return NotFound(ctx);
    }
    const mime::PartView& p = m.parts[n];
    auto body = mime::DecodeBody(m, p, kMaxPartBytes);
    if (!body.ok()) return BadRequest(ctx);
    Response resp;
    if (!html_q.empty()) {
      if (p.MimeType() != "text/html") return NotFound(ctx);
      mime::CharsetConverter conv;
      mime::TextIssues issues;
      resp.body = conv.ToUtf8(body->bytes, p.charset, issues);
      resp.content_type = "text/html; charset=utf-8";
      resp.message_frame = true;
      resp.SetHeader("Content-Security-Policy",
                     "default-src 'none'; img-src data:; style-src "
                     "'unsafe-inline'; sandbox; frame-ancestors 'self'");
      resp.SetHeader("X-Frame-Options", "SAMEORIGIN");
      return resp;
    }
    resp.body = std::move(body->bytes);
    resp.content_type = "application/octet-stream";
    std::string name =
        SafeFileName(p.FileName().empty() ? "attachment.bin" : p.FileName());
    resp.SetHeader("Content-Disposition",
                   "attachment; filename=\"" + name + "\"");
    resp.SetHeader("Content-Security-Policy", "default-src 'none'; sandbox");
    return resp;
  }
  std::string subject = HeaderValue(m, m.root(), "Subject");
  std::string body =
      "<dl class=\"headers\"><dt>" + H(ctx, "open.from") + "</dt><dd>" +
      envelope::EscapeHtml(HeaderValue(m, m.root(), "From")) + "</dd><dt>" +
      H(ctx, "open.subject") + "</dt><dd>" + envelope::EscapeHtml(subject) +
      "</dd><dt>" + H(ctx, "open.date") + "</dt><dd>" +
      envelope::EscapeHtml(HeaderValue(m, m.root(), "Date")) + "</dd></dl>\n";
  std::string attachments;
  bool shown_text = false;
  for (const mime::PartView& p : m.parts) {
    if (!p.children.empty() || p.type == "multipart") continue;
    if (IsAttachment(p)) {
      attachments +=
          "<li><a href=\"/open/" + pending_id +
          "?part=" + std::to_string(p.index) + "\" download>" +
          envelope::EscapeHtml(p.FileName().empty() ? std::string("attachment")
                                                    : p.FileName()) +
          "</a></li>";
      continue;
    }
    if (p.MimeType() == "text/plain" && !shown_text) {
      auto b = mime::DecodeBody(m, p, kMaxPartBytes);
      if (!b.ok()) continue;
      mime::CharsetConverter conv;
      mime::TextIssues issues;
      body += "<pre class=\"message-text\">" +
              envelope::EscapeHtml(conv.ToUtf8(b->bytes, p.charset, issues)) +
              "</pre>\n";
      shown_text = true;
    } else if (p.MimeType() == "text/html") {
      if (shown_text) continue;  // alternative already shown as text
      body += "<iframe class=\"message-html\" sandbox=\"\" title=\"" +
              H(ctx, "open.html_title") + "\" src=\"/open/" + pending_id +
              "?html=" + std::to_string(p.index) + "\"></iframe>\n";
      shown_text = true;
    }
  }
  if (!attachments.empty()) {
    body += "<h2>" + H(ctx, "open.attachments") +
            "</h2><ul class=\"attachments\">" + attachments + "</ul>\n";
  }
  std::string actions;
  auto button = [&](const char* mode, bool allowed, const char* label) {
    if (!allowed) return;
    actions += "<li><a class=\"button\" href=\"/reply?id=" + rec->id +
               "&amp;mode=" + mode +
               "&amp;subject=" + envelope::EscapeHtml(PercentEncode(subject)) +
               "\">" + H(ctx, label) + "</a></li>";
  };
  button("reply", rec->reply, "reply.reply");
  button("reply_all", rec->reply_all, "reply.reply_all");
  button("forward", rec->forward, "reply.forward");
  if (!actions.empty()) body += "<ul class=\"actions\">" + actions + "</ul>";
  Audit(ctx, rec->id, email, "open_online");
  NoteOpened(ctx, *rec);
  Response resp = Page(ctx, 200, "open.title", body);
  std::string csp;
  for (auto& [n, v] : SecurityHeaders(options_.https, false)) {
    if (n == "Content-Security-Policy") csp = v;
  }
  resp.SetHeader("Content-Security-Policy", csp + "; frame-src 'self'");
  return resp;
}

}  // namespace seal::portal
