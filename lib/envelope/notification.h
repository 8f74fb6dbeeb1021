// The notification the recipient receives: a short localized message
// (text/plain and text/html alternatives, branded, with the logo as a cid:
// part when it suits mail clients) with the envelope page attached as
// secure-message.html (base64, streamed: the page is produced while the
// body is written and never held in memory).
//
// Shape:
//   multipart/mixed
//     multipart/alternative
//       text/plain (quoted-printable)
//       text/html (quoted-printable)   or multipart/related [html, logo]
//     text/html; name="secure-message.html" (attachment, base64)
// Prepare() renders the texts and chooses boundaries; headers() are the
// fields the notification sets (Subject, MIME-Version, Content-Type), for an
// in-place rewrite; WriteBody() streams the body; WriteMessage() writes a
// whole message with the caller's pass-through headers (From, To, Date...).
// The notification never contains the passphrase.
// Thread-safety: a Notification is immutable after Prepare.
#ifndef SEALMILTER_LIB_ENVELOPE_NOTIFICATION_H_
#define SEALMILTER_LIB_ENVELOPE_NOTIFICATION_H_

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lib/envelope/metadata.h"
#include "lib/envelope/options.h"
#include "lib/envelope/sink.h"
#include "lib/envelope/template_set.h"
#include "lib/status.h"

namespace seal::envelope {

struct NotificationRequest {
  std::string locale = "en";
  std::string sender_address;
  std::string sender_name;
  std::string recipient;  // shown in the greeting when set
  // The original subject: put into the notification's subject and text only
  // when set (policy decides whether subjects may travel in clear).
  std::optional<std::string> subject;
  // true: the recipient gets a new passphrase from the sender separately;
  // false: the recipient uses their personal (stored) passphrase.
  bool new_passphrase = true;
  // Per-recipient passphrases, several recipients: some got a new personal
  // passphrase with this message, some have one already. Takes precedence
  // over new_passphrase (the step says both).
  bool mixed_passphrases = false;
  std::string portal_url;  // "" = no online opening
  std::optional<TimePoint> expires;
  std::string file_name = "secure-message.html";  // [A-Za-z0-9._-], .html
};

// Writes the envelope page into the given sink (e.g. calls MakeEnvelope).
using EnvelopeSource = std::function<Status(const Sink&)>;

class Notification {
 public:
  static Result<Notification> Prepare(const EnvelopeTemplates& templates,
                                      const NotificationRequest& request);

  // Subject, MIME-Version, Content-Type. Values are already encoded for
  // the wire (RFC 2047 words, folded with CRLF + space).
  const std::vector<HeaderField>& headers() const { return headers_; }

  // The MIME body (after the blank line), CRLF line ends.
  Status WriteBody(const EnvelopeSource& envelope, const Sink& out) const;

  // `passthrough` headers (written as given, "Name: value"; any Subject,
  // MIME-Version, Content-*, and X-Seal-* among them are skipped), then
  // headers(), a blank line and the body.
  Status WriteMessage(std::span<const HeaderField> passthrough,
                      const EnvelopeSource& envelope, const Sink& out) const;

  const std::string& text() const { return text_; }  // for tests and logs
  const std::string& html() const { return html_; }

 private:
  std::vector<HeaderField> headers_;
  std::string text_;
  std::string html_;
  std::string logo_type_;
  std::string logo_data_;
  std::string file_name_;
  std::string outer_, alternative_, related_;  // boundaries
};

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_NOTIFICATION_H_
