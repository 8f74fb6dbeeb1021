// The quarantine treatment of a message the rules hold (action
// "quarantine"), in one of two places chosen by gateway.quarantine:
//   "store" (default)  sealmilter keeps the message intact in the Store
//                      (QuarantineMessage) and tells the MTA to discard its
//                      copy; `sealctl quarantine` lists, shows, releases
//                      and deletes it. No store, or a store error: 451
//                      4.3.0, so the sender's MTA keeps the message — never
//                      accepted and lost.
//   "mta"              the MTA holds it (smfi_quarantine: Postfix's hold
//                      queue, Sendmail's quarantine), released with the
//                      MTA's own tools (postsuper -H).
// Known limits: the stored message is the spooled one (header fields as the
// milter saw them, CRLF line ends), one Store blob of at most
// max_quarantine_bytes (or more recipients than max_quarantine_recipients):
// such a message is refused with 552 5.3.4 rather than tempfailed for days.
// Thread-safety: reentrant; the Store is thread-safe.
#ifndef SEALMILTER_LIB_GATEWAY_QUARANTINE_H_
#define SEALMILTER_LIB_GATEWAY_QUARANTINE_H_

#include <string>
#include <string_view>

#include "lib/gateway/edit_plan.h"
#include "lib/session.h"
#include "lib/status.h"
#include "lib/store/store.h"
#include "lib/verdict.h"

namespace seal::gateway {

enum class QuarantineMode { kStore, kMta };

// "store" | "mta"; "" (key not set) is "store". kInvalidArgument otherwise.
Result<QuarantineMode> ParseQuarantineMode(std::string_view text);
std::string_view QuarantineModeName(QuarantineMode mode);

// Stores `raw` with the envelope (sender, recipients, AUTH user), the
// client's address, the MTA's queue id and `reason`; returns the
// quarantine id. Errors are the Store's.
Result<std::string> QuarantineMessage(store::Store& store, std::string_view raw,
                                      const Envelope& envelope,
                                      std::string_view queue_id,
                                      std::string_view reason,
                                      std::string_view client_addr = {});

// What the gateway does with a held message, and what to log.
struct QuarantineTreatment {
  Verdict verdict;     // kAccept (mta), kDiscard (stored), kTempfail,
                       // kReject (over the store's caps)
  std::string detail;  // "quarantine=store id=0123456789abcdef", ...
  Status error;        // why it was not stored, for a warning; else OK
};

// `store` null means unavailable (`store_error` says why). For kMta it sets
// plan.quarantine; for kStore it leaves `plan` alone (the MTA's copy is
// discarded, so no edit applies).
QuarantineTreatment TreatQuarantine(
    QuarantineMode mode, store::Store* store, std::string_view store_error,
    std::string_view raw, const Envelope& envelope, std::string_view queue_id,
    std::string_view reason, EditPlan& plan, std::string_view client_addr = {});

// The queue id in a transaction's log context ("s12/4Xk2Lq1zV9z2" →
// "4Xk2Lq1zV9z2"); "" when the MTA has not told it ("s12/-").
std::string QueueIdOfLogContext(std::string_view context);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_QUARANTINE_H_
