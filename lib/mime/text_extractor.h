// Text extraction: one raw message -> seal::MessageText, the decoded text
// per scope that the rule engine scans (lib/message_text.h). Built once per
// message.
//
// What goes where (top-level message unless said otherwise):
//   subject          Subject, RFC 2047 decoded.
//   headers          every other header field, "Name: value", unfolded and
//                    decoded (8-bit bytes: UTF-8 if valid, else Windows-1252).
//   sender           addresses in From, Sender, Reply-To (plus the envelope
//                    sender through AddEnvelopeSender).
//   recipients       addresses in To, Cc (plus AddEnvelopeRecipient).
//   body             text/plain and text/html (as text) parts that are not
//                    attachments, at any depth; the Subject/From/To/Cc/Date
//                    of an encapsulated message/rfc822 as one item (they are
//                    what a reader sees of a forwarded message); a multipart
//                    whose boundary never appears, read as text/plain; the
//                    non-blank preamble and epilogue of multiparts (hidden
//                    by clients, but they leave with the message).
//   attachment_name  file names (Content-Disposition filename, else
//                    Content-Type name) of any part.
//   attachment_text  text-like attachments: text/*, application/json, xml,
//                    csv, rtf, */*+json, */*+xml, and application/
//                    octet-stream named *.txt, *.csv, *.json, *.xml, *.log,
//                    *.md, *.htm(l); HTML attachments as text.
// A part is an attachment when its disposition is "attachment" (or an
// unknown token), or when it has a file name and no "inline" disposition.
// Charsets: the part's charset parameter, else an HTML <meta> charset, else
// UTF-8-if-valid-else-Windows-1252 (a BOM overrides). Line breaks in part
// text become LF (CRLF and lone CR); NUL becomes U+FFFD. message/rfc822 sent in
// base64 or quoted-printable is decoded and parsed as a message (within the
// depth limit). Encrypted or binary parts are skipped.
//
// Limits (MimeLimits): structural limits fail the whole extraction with
// kResourceExhausted; the per-part decode limit, the header field limit
// and the per-message text cap cut text and set MessageText::truncated.
// Malformed input is reported in MessageText::warnings ("part 1.2: invalid
// characters in base64"); the warnings never contain message text.
//
// Known limits: binary attachments (PDF, Office, archives, images) and
// encrypted or signed-data parts (application/pkcs7-mime) are not scanned,
// only their names; TNEF (winmail.dat) and inline uuencode are not decoded.
//
// Origins: "header Subject", "header From", "part 1.2 text/html",
// "part 2" (attachment names), "part 2 message/rfc822 headers".
//
// Thread-safety: the functions are reentrant; a MessageText is owned by the
// caller and must not be shared while it is being built.
#ifndef SEALMILTER_LIB_MIME_TEXT_EXTRACTOR_H_
#define SEALMILTER_LIB_MIME_TEXT_EXTRACTOR_H_

#include <string_view>

#include "lib/message_text.h"
#include "lib/mime/mime_limits.h"
#include "lib/mime/mime_parser.h"
#include "lib/status.h"

namespace seal::mime {

// Parses `raw` and extracts its text. Never throws. Fails with
// kResourceExhausted only for a MimeLimits structural limit
// (IsStructuralLimit); out of memory and other failures are kInternal.
Result<MessageText> ExtractMessageText(std::string_view raw,
                                       const MimeLimits& limits = MimeLimits());

// Same, for a message the caller has already parsed with the same limits.
Result<MessageText> ExtractMessageText(const ParsedMime& mime,
                                       const MimeLimits& limits = MimeLimits());

// True when `status`, from ExtractMessageText or ParseMime, says the message
// is beyond a structural MimeLimits limit (depth, parts, header block):
// the same message fails the same way every time, so a caller rejects it
// rather than asking for a retry. The gateway and `sealctl rules test` both
// decide with this.
inline bool IsStructuralLimit(const Status& status) {
  return status.code() == StatusCode::kResourceExhausted;
}

// Add the envelope sender (MAIL FROM) / a recipient (RCPT TO) to the sender
// / recipients scope. `path` may carry angle brackets; an empty path ("<>",
// a bounce) adds nothing. Origins "envelope sender" / "envelope recipient".
// They count in MessageText::bytes but are never cut by the text cap.
void AddEnvelopeSender(MessageText& text, std::string_view path);
void AddEnvelopeRecipient(MessageText& text, std::string_view path);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_TEXT_EXTRACTOR_H_
