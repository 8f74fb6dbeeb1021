// EditPlan: the rewrite of one message as plain data, decided by lib/gateway
// and applied by the milter layer through smfi_* calls (DESIGN.md, step 5).
// Header edits are applied in order; the replacement body, when set, is
// sent in slices from its own Spool (never one large buffer).
// Thread-safety: a plain value owned by one transaction.
#ifndef SEALMILTER_LIB_GATEWAY_EDIT_PLAN_H_
#define SEALMILTER_LIB_GATEWAY_EDIT_PLAN_H_

#include <memory>
#include <string>
#include <vector>

#include "lib/spool.h"

namespace seal::gateway {

struct HeaderEdit {
  enum class Kind {
    kDelete,  // smfi_chgheader(name, occurrence, NULL)
    kChange,  // smfi_chgheader(name, occurrence, value)
    kAdd,     // smfi_addheader(name, value): appended
  };
  Kind kind = Kind::kAdd;
  std::string name;
  int occurrence = 1;  // kDelete / kChange: 1-based among fields of `name`
  std::string value;   // as it goes on the wire after "Name:" (leading
                       // space included; folded with CRLF + white space)
};

struct EditPlan {
  std::vector<HeaderEdit> headers;
  std::unique_ptr<Spool> body;  // null: the body stays as it is
  std::string quarantine;       // non-empty: ask the MTA to hold the mail
  // Envelope recipients to remove from this transaction (smfi_delrcpt):
  // they were re-injected as their own message.
  std::vector<std::string> delete_recipients;

  bool empty() const {
    return headers.empty() && body == nullptr && quarantine.empty() &&
           delete_recipients.empty();
  }
};

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_EDIT_PLAN_H_
