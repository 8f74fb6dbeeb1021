// Recipient groups: DESIGN.md step 4. The per-recipient decisions of the
// rule engine, together with which recipients have a usable certificate and
// which are visible in the To/Cc fields, become groups of recipients that
// get the same message:
//   encrypt, certificate known            -> S/MIME (one RecipientInfo each)
//   encrypt, no certificate, TLS domain   -> clear over TLS (the MTA
//                                            routes it, see process.h)
//   encrypt, no certificate               -> secure envelope
//   encrypt-if-possible, certificate      -> S/MIME
//   encrypt-if-possible, none; sign; none -> clear (signed when asked)
// Only clear and S/MIME groups are signed; envelope and TLS groups never.
// Recipients of an encrypted group that are not named in To, Cc or their
// Resent- forms (Bcc recipients) each get a group of their own, so no
// RecipientInfo and no notification names them to the others.
// One group is chosen to be rewritten in place (PickInPlace); the others
// are re-injected by the caller as their own messages.
// Known limit: a decision's encryption profile is not part of the grouping
// (all encrypted recipients share the store's certificate choice).
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_GATEWAY_GROUPS_H_
#define SEALMILTER_LIB_GATEWAY_GROUPS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lib/rules/evaluate.h"

namespace seal::gateway {

enum class Method { kClear, kSmime, kTls, kEnvelope };

// "clear", "smime", "tls", "envelope".
std::string_view MethodName(Method m);

// TLS instead of encryption for the recipient's domain
// (gateway.tls_required / gateway.tls_preferred).
enum class TlsLevel { kNone, kRequired, kPreferred };

std::string_view TlsLevelName(TlsLevel t);  // "none", "required", ...

struct RecipientFacts {
  std::string address;
  rules::FinalAction action = rules::FinalAction::kNone;
  bool sign = false;
  bool has_certificate = false;
  bool visible = true;  // named in To/Cc (false: a Bcc recipient)
  TlsLevel tls = TlsLevel::kNone;
};

struct Group {
  Method method = Method::kClear;
  bool sign = false;
  bool bcc = false;                     // a single hidden recipient
  TlsLevel tls = TlsLevel::kNone;       // kTls groups: which level
  std::vector<size_t> members;          // indexes into the facts, in order
  std::vector<std::string> recipients;  // their addresses, same order
};

// Groups in a fixed order: clear, S/MIME, TLS, envelope; within a method, the
// unsigned before the signed, then the shared group before Bcc copies in
// recipient order. Every recipient is in exactly one group. Only
// kEncrypt, kEncryptIfPossible, kSign and kNone may appear in `facts`
// (reject and quarantine concern the whole message).
std::vector<Group> GroupRecipients(const std::vector<RecipientFacts>& facts);

// envelope.passphrase = "per-recipient": every envelope group of several
// recipients becomes one group per recipient (in recipient order, where
// the group was), so each gets an envelope with only its own slot. Other
// groups are unchanged.
void SplitEnvelopeGroups(std::vector<Group>& groups);

// Which group stays in this transaction: an unsigned clear group when there
// is one (no rewrite at all), else the group with the most recipients
// (ties: the first). Requires a non-empty list.
size_t PickInPlace(const std::vector<Group>& groups);

// The addresses named in To, Cc, Resent-To and Resent-Cc, lower-cased,
// from unfolded field values.
std::vector<std::string> VisibleAddresses(
    const std::vector<std::string_view>& field_values);

// True when `address` is among `visible` (case-insensitive).
bool IsVisible(const std::vector<std::string>& visible,
               std::string_view address);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_GROUPS_H_
