// Passphrase and failure notices to the sender (see sender_notices.h).
#include "lib/envelope/sender_notices.h"

#include <algorithm>

#include "lib/envelope/crypto.h"
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
  if (r.passphrase.empty() == r.personal.empty()) {
    return InvalidArgumentError(
        "passphrase notice: needs either one passphrase or personal ones");
  }
  if (r.personal.size() > kMaxPersonalPassphrases) {
    return InvalidArgumentError(
        "passphrase notice: at most 64 personal passphrases");
  }
  std::string lines;
  for (const auto& p : r.personal) {
    if (p.recipient.empty() || p.passphrase.empty()) {
      return InvalidArgumentError(
          "passphrase notice: a personal passphrase needs a recipient and a "
          "passphrase");
    }
    if (!lines.empty()) lines += "\n";
    lines +=
        "    " + SanitizeLine(p.recipient) + ": " + SanitizeLine(p.passphrase);
  }
  const Template& body = templates.passphrase_text();
  if (!r.personal.empty() && !templates.HasPersonalPassphraseList()) {
    return FailedPreconditionError(
        body.name() +
        ": needs {{=personal_passphrases}} for per-recipient passphrases");
  }
  Scope scope = templates.BaseScope(r.addressing.locale);
  scope.Set("sender", r.addressing.to);
  scope.Set("sender_address", r.addressing.to);
  scope.Set("recipients", Join(r.recipients));
  scope.Set("recipient", r.recipients.empty() ? "" : r.recipients.front());
  scope.Set("subject", r.subject.value_or(""));
  scope.Set("passphrase", r.passphrase);
  scope.Set("personal", r.personal.empty() ? "" : "1");
  scope.set_blocks([&lines](std::string_view name, BufferedSink& o) -> Status {
    if (name == "personal_passphrases") return o.Write(lines);
    return InternalError("unknown block " + std::string(name));
  });
  scope.Set("file_name", r.file_name);
  if (r.expires.has_value()) {
    scope.Set("expires", FormatRfc3339(*r.expires));
    scope.Set("expires_text", FormatHumanUtc(*r.expires));
  }
  Result<std::string> notice = Assemble(
      r.addressing, scope, body,
      r.personal.empty() ? "sender.subject" : "sender.subject_personal");
  Cleanse(&lines);
  return notice;
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
