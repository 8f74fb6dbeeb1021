// App: reply, reply all and forward from the portal (release_protocol.md):
// a form, then a mail through portal.smtp From portal.mail_from with the
// recipient's address as Reply-To. Who receives it comes from the
// envelope record, never from the form (except the forward address, which
// must be in an internal domain).
#include <algorithm>
#include <cctype>

#include "lib/envelope/escape.h"
#include "lib/log.h"
#include "portal/app.h"

namespace seal::portal {
namespace {

constexpr size_t kMaxReplyText = 64 * 1024;

bool InDomains(const std::string& address,
               const std::vector<std::string>& domains) {
  size_t at = address.rfind('@');
  if (at == std::string::npos || at == 0) return false;
  std::string domain = address.substr(at + 1);
  for (std::string d : domains) {
    for (char& c : d)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!d.empty() && d.front() == '.') {
      if (domain.size() > d.size() && domain.ends_with(d)) return true;
    } else if (domain == d) {
      return true;
    }
  }
  return false;
}

bool SimpleAddress(const std::string& a) {
  if (a.size() < 3 || a.size() > 254) return false;
  size_t at = a.rfind('@');
  if (at == 0 || at == std::string::npos || at + 1 >= a.size()) return false;
  for (char c : a) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' ||
        c == '>' || c == ',' || c == '"' || c == '\\' || c == ';') {
      return false;
    }
  }
  return true;
}

}  // namespace

Response App::ReplyGet(Ctx& ctx) {
  const Request& r = *ctx.req;
  auto id = store::NormalizeEnvelopeId(r.Query("id"));
  const std::string& mode = r.Query("mode");
  if (!id.ok() ||
      (mode != "reply" && mode != "reply_all" && mode != "forward")) {
    return BadRequest(ctx);
  }
  if (!ctx.session) {
    return RedirectToLogin(
        ctx, "/reply?id=" + *id + "&mode=" + mode + "&subject=" +
                 PercentEncode(r.Query("subject").substr(0, 500)));
  }
  auto rec = store_->GetEnvelope(*id);
  if (!rec.ok()) {
    return rec.status().code() == StatusCode::kNotFound
               ? Message(ctx, 404, "error.title", "release.unknown")
               : Message(ctx, 500, "error.title", "error.internal");
  }
  if (std::find(rec->recipients.begin(), rec->recipients.end(),
                ctx.session->email) == rec->recipients.end()) {
    Audit(ctx, *id, ctx.session->email, "denied_not_recipient", "reply");
    return Message(ctx, 403, "error.title", "release.not_recipient");
  }
  if (auto refusal = CheckAccess(ctx, *rec, false)) return *refusal;
  bool allowed = (mode == "reply" && rec->reply) ||
                 (mode == "reply_all" && rec->reply_all) ||
                 (mode == "forward" && rec->forward);
  if (!allowed || (mode != "forward" && rec->sender.empty())) {
    return Message(ctx, 403, "error.title", "reply.not_allowed");
  }
  std::string subject =
      envelope::SanitizeLine(r.Query("subject").substr(0, 500));
  std::string prefix = mode == "forward" ? "Fwd: " : "Re: ";
  if (!subject.starts_with(prefix)) subject = prefix + subject;
  std::string to;
  if (mode != "forward") {
    to = rec->sender;
    if (mode == "reply_all") {
      for (const auto& rc : rec->recipients) {
        if (rc != ctx.session->email) to += ", " + rc;
      }
    }
  }
  std::string body =
      "<form method=\"post\" action=\"/reply\">" + CsrfField(ctx, "reply") +
      "<input type=\"hidden\" name=\"id\" value=\"" + *id +
      "\"><input type=\"hidden\" name=\"mode\" value=\"" + mode + "\">";
  if (mode == "forward") {
    body += "<label for=\"to\">" + H(ctx, "reply.to") +
            "</label><input id=\"to\" name=\"to\" type=\"email\" required>"
            "<p class=\"help\">" +
            H(ctx, "reply.forward_help") + "</p>";
  } else {
    body += "<p><strong>" + H(ctx, "reply.to") + "</strong> " +
            envelope::EscapeHtml(to) + "</p>";
  }
  body += "<label for=\"subject\">" + H(ctx, "open.subject") +
          "</label><input id=\"subject\" name=\"subject\" value=\"" +
          envelope::EscapeHtml(subject) +
          "\" maxlength=\"500\">"
          "<label for=\"text\">" +
          H(ctx, "reply.text") +
          "</label><textarea id=\"text\" name=\"text\" rows=\"12\" required>"
          "</textarea><button type=\"submit\">" +
          H(ctx, "reply.send") + "</button></form>";
  return Page(ctx, 200, "reply.title", body);
}

Response App::ReplyPost(Ctx& ctx) {
  Response err;
  auto form = Form(ctx, &err);
  if (!form) return err;
  if (!CheckCsrf(ctx, *form, "reply")) return Forbidden(ctx);
  if (!ctx.session) return RedirectToLogin(ctx, "/");
  auto field = [&](const char* n) -> std::string {
    auto it = form->find(n);
    return it == form->end() ? std::string() : it->second;
  };
  auto id = store::NormalizeEnvelopeId(field("id"));
  std::string mode = field("mode");
  std::string text = field("text");
  if (!id.ok() ||
      (mode != "reply" && mode != "reply_all" && mode != "forward") ||
      text.empty() || text.size() > kMaxReplyText) {
    return BadRequest(ctx);
  }
  auto rec = store_->GetEnvelope(*id);
  if (!rec.ok()) {
    return rec.status().code() == StatusCode::kNotFound
               ? Message(ctx, 404, "error.title", "release.unknown")
               : Message(ctx, 500, "error.title", "error.internal");
  }
  const std::string& me = ctx.session->email;
  if (std::find(rec->recipients.begin(), rec->recipients.end(), me) ==
      rec->recipients.end()) {
    Audit(ctx, *id, me, "denied_not_recipient", "reply");
    return Message(ctx, 403, "error.title", "release.not_recipient");
  }
  if (auto refusal = CheckAccess(ctx, *rec, false)) return *refusal;
  bool allowed = (mode == "reply" && rec->reply) ||
                 (mode == "reply_all" && rec->reply_all) ||
                 (mode == "forward" && rec->forward);
  if (!allowed || (mode != "forward" && rec->sender.empty())) {
    return Message(ctx, 403, "error.title", "reply.not_allowed");
  }
  int64_t now_ms = NowMs();
  if (!mail_by_email_.Allow("reply:" + me, now_ms)) {
    return TooMany(ctx,
                   mail_by_email_.RetryAfterSeconds("reply:" + me, now_ms));
  }
  std::vector<std::string> to;
  if (mode == "forward") {
    std::string a = field("to");
    for (char& c : a)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!SimpleAddress(a) || !InDomains(a, options_.internal_domains)) {
      return Message(ctx, 400, "reply.title", "reply.forward_refused");
    }
    to.push_back(a);
  } else {
    to.push_back(rec->sender);
    if (mode == "reply_all") {
      for (const auto& rc : rec->recipients) {
        if (rc != me && std::find(to.begin(), to.end(), rc) == to.end()) {
          to.push_back(rc);
        }
      }
    }
  }
  std::string subject = envelope::SanitizeLine(field("subject").substr(0, 500));
  std::string full =
      T(ctx, "mail.reply.intro", {{"email", me}}) + "\n\n" + text;
  Status s = Mail(to, subject, full, me);
  Audit(ctx, *id, me, s.ok() ? "reply" : "reply_failed", mode);
  if (!s.ok()) return Message(ctx, 503, "reply.title", "reply.failed");
  return Message(ctx, 200, "reply.title", "reply.sent");
}

}  // namespace seal::portal
