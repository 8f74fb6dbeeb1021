// The header block of a message after an EditPlan's header edits, as bytes:
// what the MTA would hold after the milter's smfi_chgheader/smfi_addheader
// calls. Used to re-inject a recipient group as its own message, where the
// edits are applied by us rather than by the MTA.
// Semantics (as Postfix and Sendmail apply milter edits, in order, each on
// the result of the previous one):
//   kDelete name,n  removes the n-th field called `name` (any case); no
//                   such field: nothing happens
//   kChange name,n  replaces it with "name: value"; no such field: the
//                   field is appended
//   kAdd name       appends "name: value" at the end of the header block
// Values are written after ": " with their folds as CRLF; the result ends
// with the empty line that separates the body.
// Thread-safety: pure function.
#ifndef SEALMILTER_LIB_GATEWAY_RENDER_H_
#define SEALMILTER_LIB_GATEWAY_RENDER_H_

#include <string>
#include <vector>

#include "lib/gateway/edit_plan.h"
#include "lib/gateway/header_block.h"

namespace seal::gateway {

std::string RenderHeaderBlock(const MessageParts& message,
                              const std::vector<HeaderEdit>& edits);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_RENDER_H_
