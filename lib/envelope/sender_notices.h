// Messages to the sender, both short localized text/plain mails:
//   - the passphrase notice: the passphrase of a generated-passphrase
//     envelope, with the instruction to give it to the recipient by phone or
//     in person and never by email (passphrase.txt); or, for per-recipient
//     passphrases, the new personal passphrase of each recipient that had
//     none yet, one line each ({{=personal_passphrases}}), valid for all
//     future secure messages to them and sent only this once;
//   - the failure notice: the message had to be encrypted but could not be,
//     and was not sent (failure.txt).
// Each is a complete RFC 5322 message (From, To, Date, Message-ID,
// Auto-Submitted: auto-generated, Subject, MIME headers, quoted-printable
// UTF-8 body) that the caller injects.
// Limits: text/plain only.
#ifndef SEALMILTER_LIB_ENVELOPE_SENDER_NOTICES_H_
#define SEALMILTER_LIB_ENVELOPE_SENDER_NOTICES_H_

#include <optional>
#include <string>
#include <vector>

#include "lib/envelope/metadata.h"
#include "lib/envelope/template_set.h"
#include "lib/status.h"

namespace seal::envelope {

struct NoticeAddressing {
  std::string locale = "en";
  std::string from;  // header value: "Secure Mail <postmaster@example.com>"
  std::string to;    // the sender's address
  std::string message_id_domain;  // for Message-ID, e.g. "example.com"
  std::optional<TimePoint> now;   // Date; default: the current time
};

struct PassphraseNoticeRequest {
  struct PersonalPassphrase {
    std::string recipient;
    std::string passphrase;
  };
  NoticeAddressing addressing;
  std::vector<std::string> recipients;
  std::optional<std::string> subject;  // the original subject
  // Exactly one of the two: the envelope's one passphrase, or the new
  // personal passphrases (at most kMaxPersonalPassphrases).
  std::string passphrase;
  std::vector<PersonalPassphrase> personal;
  std::optional<TimePoint> expires;
  std::string file_name = "secure-message.html";
};

inline constexpr size_t kMaxPersonalPassphrases = 64;

struct FailureNoticeRequest {
  NoticeAddressing addressing;
  std::vector<std::string> recipients;
  std::optional<std::string> subject;
  std::string reason;  // one line for people; never key material
  // Held for review (a content-rule quarantine), not failed: the held.*
  // strings replace failure.* (subject, intro, action).
  bool held = false;
};

// Errors: kInvalidArgument for a bad request (neither or both of
// passphrase / personal, an empty recipient or passphrase, too many lines);
// kFailedPrecondition when personal is set and passphrase.txt (an admin's
// override) lacks {{=personal_passphrases}}.
Result<std::string> BuildPassphraseNotice(const EnvelopeTemplates& templates,
                                          const PassphraseNoticeRequest& r);
Result<std::string> BuildFailureNotice(const EnvelopeTemplates& templates,
                                       const FailureNoticeRequest& r);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_SENDER_NOTICES_H_
