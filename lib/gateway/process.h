// ProcessMessage: what happens at end-of-message once the whole message is
// spooled. Classifies it (lib/mime + lib/rules), decides one treatment for
// the transaction, builds the rewrite (lib/gateway/rewrite.h), hands
// notices to the reinjection listener, and writes the one log line per
// message. Returns the Verdict for the MTA and the EditPlan to apply.
//
// Treatments, checked in this order over all recipients' decisions:
//   reject      (any recipient)  -> 550 5.7.1 naming the rules
//   quarantine  (any recipient)  -> accepted and held by the MTA
//                                   (smfi_quarantine: Postfix's hold queue)
//   nobody to encrypt            -> unchanged
//   already S/MIME or PGP encrypted -> unchanged (never re-encrypted)
//   otherwise per recipient (groups.h): S/MIME when its certificate is
//   known, a secure envelope when it must be encrypted and is not, else
//   clear; Bcc recipients of encrypted groups get their own copy.
// One group is rewritten in place; every other group is first re-injected
// over SMTP to gateway.reinject as its own message (with its passphrase
// notice, for an envelope) and its recipients are removed from this
// transaction. A group the ReinjectJournal has seen is not sent again, so
// the retry after a tempfail delivers no duplicate. Without gateway.reinject
// one message must serve everybody: S/MIME when all have certificates.
// Mail that must be encrypted and cannot be (no store, no reinjection
// listener, too large, an error while encrypting) gets gateway.on_failure:
// 451 4.7.0 or 550 5.7.1. It never passes in clear text. A failed
// re-injection tempfails the whole transaction (451 4.3.0).
// Known limit: sign decisions are logged but mail is not signed yet.
// Thread-safety: reentrant; the Store is thread-safe.
#ifndef SEALMILTER_LIB_GATEWAY_PROCESS_H_
#define SEALMILTER_LIB_GATEWAY_PROCESS_H_

#include "lib/gateway/edit_plan.h"
#include "lib/gateway/reinject_journal.h"
#include "lib/session.h"
#include "lib/store/store.h"
#include "lib/verdict.h"

namespace seal::gateway {

struct Services {
  store::Store* store = nullptr;  // null: unavailable (see store_error)
  std::string store_error;        // why, for the log
  // Groups already re-injected (see reinject_journal.h); null: none kept,
  // a retry after a tempfail may then deliver a group twice.
  const ReinjectJournal* journal = nullptr;
};

struct Outcome {
  Verdict verdict;
  EditPlan plan;
};

// Never throws. Requires t.snapshot().policy.
Outcome ProcessMessage(Transaction& t, const ConnectionInfo& connection,
                       const Services& services);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_PROCESS_H_
