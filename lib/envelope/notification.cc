// The recipient's notification message (see notification.h).
#include "lib/envelope/notification.h"

#include "lib/envelope/base64.h"
#include "lib/envelope/csp.h"
#include "lib/envelope/mime_writer.h"

namespace seal::envelope {
namespace {

constexpr std::string_view kLogoCid = "logo@sealmilter.invalid";

bool IsFileName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return name.size() > 5 && (name.substr(name.size() - 5) == ".html" ||
                             name.substr(name.size() - 4) == ".htm");
}

bool IsOurHeader(std::string_view name) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  };
  std::string n = lower(name);
  return n == "subject" || n == "mime-version" ||
         n.compare(0, 8, "content-") == 0 || IsOptionHeader(name);
}

}  // namespace

Result<Notification> Notification::Prepare(const EnvelopeTemplates& templates,
                                           const NotificationRequest& r) {
  if (!IsFileName(r.file_name)) {
    return InvalidArgumentError("notification: file name '" + r.file_name +
                                "' must be [A-Za-z0-9._-] ending in .html");
  }
  Notification n;
  n.file_name_ = r.file_name;
  Scope scope = templates.BaseScope(r.locale);
  const Branding& brand = templates.branding();
  std::string sender = r.sender_name.empty()
                           ? r.sender_address
                           : r.sender_name + " <" + r.sender_address + ">";
  scope.Set("sender", sender);
  scope.Set("sender_name",
            r.sender_name.empty() ? r.sender_address : r.sender_name);
  scope.Set("sender_address", r.sender_address);
  scope.Set("recipient", r.recipient);
  scope.Set("subject", r.subject.value_or(""));
  scope.Set("file_name", r.file_name);
  scope.Set("mixed_passphrases", r.mixed_passphrases ? "1" : "");
  scope.Set("new_passphrase",
            r.new_passphrase && !r.mixed_passphrases ? "1" : "");
  if (r.expires.has_value()) {
    scope.Set("expires", FormatRfc3339(*r.expires));
    scope.Set("expires_text", FormatHumanUtc(*r.expires));
  }
  if (!r.portal_url.empty()) {
    auto portal = ParsePortalUrl(r.portal_url);
    if (!portal.ok()) return portal.status();
    scope.Set("portal_url", portal->url);
    scope.Set("portal_host", portal->host);
  }
  if (brand.LogoForMail()) {
    scope.Set("logo_src", "cid:" + std::string(kLogoCid));
    n.logo_type_ = brand.logo_type;
    n.logo_data_ = brand.logo_data;
  }

  auto text =
      templates.notification_text().RenderToString(scope, Escaping::kText);
  if (!text.ok()) return text.status();
  n.text_ = std::move(*text);
  auto html =
      templates.notification_html().RenderToString(scope, Escaping::kHtml);
  if (!html.ok()) return html.status();
  n.html_ = std::move(*html);
  auto subject = scope.Render(
      r.subject.has_value() ? "notify.subject_with" : "notify.subject",
      Escaping::kText);
  if (!subject.ok()) return subject.status();

  for (std::string* b : {&n.outer_, &n.alternative_, &n.related_}) {
    auto boundary = NewBoundary();
    if (!boundary.ok()) return boundary.status();
    *b = *boundary;
  }
  n.headers_.push_back(HeaderField{"Subject", EncodeHeaderValue(*subject, 7)});
  n.headers_.push_back(HeaderField{"MIME-Version", "1.0"});
  n.headers_.push_back(HeaderField{
      "Content-Type", "multipart/mixed;\r\n boundary=\"" + n.outer_ + "\""});
  return n;
}

Status Notification::WriteBody(const EnvelopeSource& envelope,
                               const Sink& out) const {
  BufferedSink o(out);
  auto part_head = [&](std::string_view boundary) {
    return o.Write("--" + std::string(boundary) + "\r\n");
  };
  SEAL_RETURN_IF_ERROR(o.Write(
      "This is a secure message in MIME format.\r\nOpen the attachment " +
      file_name_ + " in a web browser.\r\n\r\n"));
  SEAL_RETURN_IF_ERROR(part_head(outer_));
  SEAL_RETURN_IF_ERROR(
      o.Write("Content-Type: multipart/alternative;\r\n"
              " boundary=\"" +
              alternative_ + "\"\r\n\r\n"));
  SEAL_RETURN_IF_ERROR(part_head(alternative_));
  SEAL_RETURN_IF_ERROR(
      o.Write("Content-Type: text/plain; charset=utf-8\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n\r\n"));
  SEAL_RETURN_IF_ERROR(o.Write(EncodeQuotedPrintable(text_)));
  SEAL_RETURN_IF_ERROR(o.Write("\r\n"));
  SEAL_RETURN_IF_ERROR(part_head(alternative_));
  const bool related = !logo_type_.empty();
  if (related) {
    SEAL_RETURN_IF_ERROR(
        o.Write("Content-Type: multipart/related;\r\n"
                " type=\"text/html\"; boundary=\"" +
                related_ + "\"\r\n\r\n"));
    SEAL_RETURN_IF_ERROR(part_head(related_));
  }
  SEAL_RETURN_IF_ERROR(
      o.Write("Content-Type: text/html; charset=utf-8\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n\r\n"));
  SEAL_RETURN_IF_ERROR(o.Write(EncodeQuotedPrintable(html_)));
  SEAL_RETURN_IF_ERROR(o.Write("\r\n"));
  if (related) {
    SEAL_RETURN_IF_ERROR(part_head(related_));
    std::string ext = logo_type_.substr(6);  // "png", "jpeg", "gif"
    SEAL_RETURN_IF_ERROR(
        o.Write("Content-Type: " + logo_type_ +
                "\r\nContent-Transfer-Encoding: "
                "base64\r\nContent-ID: <" +
                std::string(kLogoCid) +
                ">\r\n"
                "Content-Disposition: inline; filename=\"logo." +
                ext + "\"\r\n\r\n"));
    Sink to_o = o.AsSink();
    Base64Writer logo(to_o, 76, "\r\n");
    SEAL_RETURN_IF_ERROR(logo.Write(logo_data_));
    SEAL_RETURN_IF_ERROR(logo.Finish());
    SEAL_RETURN_IF_ERROR(o.Write("--" + related_ + "--\r\n"));
  }
  SEAL_RETURN_IF_ERROR(o.Write("--" + alternative_ + "--\r\n"));
  SEAL_RETURN_IF_ERROR(part_head(outer_));
  SEAL_RETURN_IF_ERROR(
      o.Write("Content-Type: text/html; charset=utf-8; name=\"" + file_name_ +
              "\"\r\nContent-Transfer-Encoding: base64\r\n"
              "Content-Disposition: attachment; filename=\"" +
              file_name_ + "\"\r\n\r\n"));
  {
    Sink to_o = o.AsSink();
    Base64Writer page(to_o, 76, "\r\n");
    Sink to_page = page.AsSink();
    SEAL_RETURN_IF_ERROR(envelope(to_page));
    SEAL_RETURN_IF_ERROR(page.Finish());
  }
  SEAL_RETURN_IF_ERROR(o.Write("--" + outer_ + "--\r\n"));
  return o.Flush();
}

Status Notification::WriteMessage(std::span<const HeaderField> passthrough,
                                  const EnvelopeSource& envelope,
                                  const Sink& out) const {
  std::string head;
  for (const HeaderField& h : passthrough) {
    if (IsOurHeader(h.name)) continue;
    head += h.name + ": " + h.value + "\r\n";
  }
  for (const HeaderField& h : headers_) {
    head += h.name + ": " + h.value + "\r\n";
  }
  head += "\r\n";
  SEAL_RETURN_IF_ERROR(out(head));
  return WriteBody(envelope, out);
}

}  // namespace seal::envelope
