// ProcessInbound: the S/MIME side of mail from outside (direction
// inbound), run at end-of-message before the rules:
//   - every copy of our result header (inbound.result_header) in the
//     incoming mail is removed, so a sender cannot forge it;
//   - EnvelopedData / AuthEnvelopedData (application/pkcs7-mime or
//     x-pkcs7-mime, or octet-stream named *.p7m) is decrypted with the key
//     of a stored certificate a RecipientInfo names (issuer and serial, or
//     subject key identifier: keys of renewed or rolled-over certificates
//     still open old mail); the message's Content-* fields and body become
//     the decrypted entity's, the other fields stay;
//   - a signature (multipart/signed, opaque signed-data, also inside the
//     decrypted content) is verified against the TrustStore in Services for
//     the address of From (else the envelope sender); the signed content is
//     delivered as received, signature included; a valid signer's
//     certificate and capabilities are harvested (harvest.h);
//   - the Subject is tagged (inbound.tag_*; a leading copy of any of our
//     tags the sender wrote is removed first) and the result header added:
//     "smime=decrypted; signature=valid; signer=alice@example.org".
// Mail that cannot be decrypted (no key, damaged, no master key, store
// error) is passed with the result header saying why, rejected (550 5.7.1;
// 451 4.7.0 when the cause is ours: no master key, store error) or
// quarantined, as inbound.undecryptable says.
// Mail without S/MIME is left alone apart from the header removal.
// Known limits: one encryption layer is removed (mail encrypted twice
// keeps the inner layer); the decrypted entity's non-Content fields
// (RFC 7508 protected headers) are dropped; the rules classify the
// message as received (still encrypted), not the decrypted content; at
// most 64 RecipientInfos are looked up.
// Never throws. Thread-safety: reentrant; Services are shared read-only.
#ifndef SEALMILTER_LIB_GATEWAY_INBOUND_H_
#define SEALMILTER_LIB_GATEWAY_INBOUND_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/config.h"
#include "lib/gateway/edit_plan.h"
#include "lib/gateway/header_block.h"
#include "lib/gateway/process.h"
#include "lib/session.h"
#include "lib/spool.h"
#include "lib/verdict.h"

namespace seal::gateway {

struct InboundOutcome {
  Verdict verdict = Verdict::Accept();
  // The verdict is decided (reject, tempfail, quarantine): the caller
  // applies it and the plan and runs nothing else.
  bool final = false;
  bool smime = false;  // the message had an S/MIME layer
  // What was done, for the log line's verb when nothing else changes the
  // message: "decrypted", "verified" (a signature was checked), "" = none.
  std::string verb;
  EditPlan plan;
  std::string detail;                 // key=value pairs for the log line
  std::vector<std::string> warnings;  // for the log, one line each
};

InboundOutcome ProcessInbound(const MessageParts& message,
                              const Envelope& envelope, const Config& config,
                              const Services& services,
                              const SpoolOptions& spool);

// Internal mail (from inside to inside): nobody inside may write our
// verdicts either, so, as for inbound mail, every copy of the result
// header and the leading copies of our signature tags in the Subject are
// removed (the plan and detail of the outcome). The encryption tag stays:
// inside, "[secure]" is also how a user asks for encryption. Nothing is
// decrypted or verified.
InboundOutcome RemoveForgedVerdicts(const MessageParts& message,
                                    const Config& config);

// The result header name to use: inbound.result_header when it is a valid
// field name (printable ASCII without ':' or space, 1-76 bytes), else
// "X-Seal-Result".
std::string ResultHeaderName(const Config& config);

// `subject` without leading copies of `tags` (each followed by white space
// or the end), then with the non-empty `tags` in front, separated by
// spaces. Exposed for tests.
std::string TagSubject(std::string_view subject,
                       const std::vector<std::string>& remove_tags,
                       const std::vector<std::string>& tags);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_INBOUND_H_
