// Passphrase and failure notices to the sender (see sender_notices.h).
#include "lib/envelope/sender_notices.h"

#include "lib/envelope/escape.h"
#include "lib/envelope/mime_writer.h"

namespace seal::envelope {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

Result<std::string> Assemble(const NoticeAddressing& a, Scope& scope,
                             const Template& body,
                             std::string_view subject_key) {
  if (a.from.empty() || a.to.empty()) {
    return InvalidArgumentError("notice: From and To are required");
  }
  auto text = body.RenderToString(scope, Escaping::kText);
  if (!text.ok()) return text.status();
  auto subject = scope.Render(subject_key, Escaping::kText);
  if (!subject.ok()) return subject.status();
  auto message_id = NewMessageId(a.message_id_domain);
  if (!message_id.ok()) return message_id.status();
  TimePoint now = a.now.value_or(
      std::chrono::time_point_cast<std::chrono::seconds>(Clock::now()));
  std::string out;
  out += "From: " + SanitizeLine(a.from) + "\r\n";
  out += "To: " + SanitizeLine(a.to) + "\r\n";
  out += "Date: " + FormatMailDate(now) + "\r\n";
  out += "Message-ID: " + *message_id + "\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += HeaderLine("Subject", *subject);
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += EncodeQuotedPrintable(*text);
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
    out += "\r\n";
  }
  return out;
}

}  // namespace

Result<std::string> BuildPassphraseNotice(const EnvelopeTemplates& templates,
                                          const PassphraseNoticeRequest& r) {
  if (r.passphrase.empty()) {
    return InvalidArgumentError("passphrase notice: empty passphrase");
  }
  Scope scope = templates.BaseScope(r.addressing.locale);
  scope.Set("sender", r.addressing.to);
  scope.Set("sender_address", r.addressing.to);
  scope.Set("recipients", Join(r.recipients));
  scope.Set("recipient", r.recipients.empty() ? "" : r.recipients.front());
  scope.Set("subject", r.subject.value_or(""));
  scope.Set("passphrase", r.passphrase);
  scope.Set("file_name", r.file_name);
  if (r.expires.has_value()) {
    scope.Set("expires", FormatRfc3339(*r.expires));
    scope.Set("expires_text", FormatHumanUtc(*r.expires));
  }
  return Assemble(r.addressing, scope, templates.passphrase_text(),
                  "sender.subject");
}

Result<std::string> BuildFailureNotice(const EnvelopeTemplates& templates,
                                       const FailureNoticeRequest& r) {
  Scope scope = templates.BaseScope(r.addressing.locale);
  scope.Set("sender", r.addressing.to);
  scope.Set("sender_address", r.addressing.to);
  scope.Set("recipients", Join(r.recipients));
  scope.Set("recipient", r.recipients.empty() ? "" : r.recipients.front());
  scope.Set("subject", r.subject.value_or(""));
  scope.Set("reason", r.reason);
  if (r.held) scope.Set("held", "1");
  return Assemble(r.addressing, scope, templates.failure_text(),
                  r.held ? "held.subject" : "failure.subject");
}

}  // namespace seal::envelope
