// ApplyEditPlan: an EditPlan applied to a whole message in memory, giving
// the bytes the MTA would hold after the milter layer's smfi_chgheader /
// smfi_addheader / smfi_replacebody calls. Used where sealmilter sends a
// message itself instead of letting the MTA apply the plan: releasing a
// quarantined message, and tests of the rewriters.
// Header edits follow render.h (in order, each on the result of the one
// before; name matching ignores case; a change of a missing field appends
// it); the replacement body, when set, replaces everything after the empty
// line. The message is expected in the spool's form (CRLF line ends, as
// Transaction writes it); untouched fields and the body keep their bytes,
// changed and added fields are written "Name: value" with CRLF.
// Known limits: envelope parts of the plan (delete_recipients, quarantine)
// are not the message's and are left to the caller; the result is one
// buffer (a quarantined message is bounded by max_quarantine_bytes).
// Thread-safety: reentrant; it reads plan.body through its Spool, which
// must not be used elsewhere meanwhile.
#ifndef SEALMILTER_LIB_GATEWAY_APPLY_PLAN_H_
#define SEALMILTER_LIB_GATEWAY_APPLY_PLAN_H_

#include <string>
#include <string_view>

#include "lib/gateway/edit_plan.h"
#include "lib/status.h"

namespace seal::gateway {

// kInvalidArgument for a header edit the milter API would refuse (an empty
// or malformed field name, an occurrence below 1, a value with a NUL);
// errors of the body spool as they are.
Result<std::string> ApplyEditPlan(std::string_view raw, const EditPlan& plan);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_APPLY_PLAN_H_
