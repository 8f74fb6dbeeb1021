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
//   encrypt / encrypt-if-possible:
//     already S/MIME or PGP encrypted   -> unchanged (never re-encrypted)
//     every recipient has a certificate -> S/MIME to all of them
//     some recipient must be encrypted  -> secure envelope for all
//     only encrypt-if-possible          -> unchanged
//   otherwise                    -> unchanged
// Mail that must be encrypted and cannot be (no store, no reinjection
// listener, too large, an error while encrypting) gets gateway.on_failure:
// 451 4.7.0 or 550 5.7.1. It never passes in clear text.
// Known limits (the split of DESIGN.md step 4 is not built yet): one
// treatment serves the whole transaction, so recipients that need less get
// more (an envelope, or S/MIME); sign-only decisions are logged but mail is
// not signed yet.
// Thread-safety: reentrant; the Store is thread-safe.
#ifndef SEALMILTER_LIB_GATEWAY_PROCESS_H_
#define SEALMILTER_LIB_GATEWAY_PROCESS_H_

#include "lib/gateway/edit_plan.h"
#include "lib/session.h"
#include "lib/store/store.h"
#include "lib/verdict.h"

namespace seal::gateway {

struct Services {
  store::Store* store = nullptr;  // null: unavailable (see store_error)
  std::string store_error;        // why, for the log
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
