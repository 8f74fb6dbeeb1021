// ProcessMessage: what happens at end-of-message once the whole message is
// spooled. Classifies it (lib/mime + lib/rules), decides one treatment for
// the transaction, builds the rewrite (lib/gateway/rewrite.h), hands
// notices to the reinjection listener, and writes the one log line per
// message. Returns the Verdict for the MTA and the EditPlan to apply.
//
// Treatments, checked in this order over all recipients' decisions:
//   reject      (any recipient)  -> 550 5.7.1 naming the rules
//   quarantine  (any recipient)  -> held (quarantine.h): kept in the Store
//                                   and discarded by the MTA, or in the
//                                   MTA's hold queue (gateway.quarantine)
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
// Sign decisions sign the clear or S/MIME group with the sender's key
// (signing.h; issued by the built-in CA on first need); an envelope group
// is not signed, nor is a TLS group.
// Thread-safety: reentrant; the Store is thread-safe.
#ifndef SEALMILTER_LIB_GATEWAY_PROCESS_H_
#define SEALMILTER_LIB_GATEWAY_PROCESS_H_

#include <memory>

#include "lib/ca/authority.h"
#include "lib/crypto/trust_store.h"
#include "lib/gateway/edit_plan.h"
#include "lib/gateway/quarantine.h"
#include "lib/gateway/reinject_journal.h"
#include "lib/session.h"
#include "lib/store/key_vault.h"
#include "lib/store/passphrase_vault.h"
#include "lib/store/store.h"
#include "lib/verdict.h"

namespace seal::gateway {

struct Services {
  store::Store* store = nullptr;  // null: unavailable (see store_error)
  std::string store_error;        // why, for the log
  // Groups already re-injected (see reinject_journal.h); null: none kept,
  // a retry after a tempfail may then deliver a group twice.
  const ReinjectJournal* journal = nullptr;
  // S/MIME (inbound.h, signing.h). The vault opens private keys: null when
  // store.key_file could not be loaded (see key_error) or there is no
  // store. `trust` checks inbound signatures (inbound_trust.h); null: not
  // available, signatures are reported unchecked. `authority` is the
  // built-in CA; null: none in the store, or no vault.
  store::KeyVault* vault = nullptr;
  std::string key_error;
  // Personal passphrases of envelope recipients (recipient_passphrases.h),
  // under the same master key; null exactly when `vault` is.
  store::PassphraseVault* passphrases = nullptr;
  std::shared_ptr<const crypto::TrustStore> trust;
  ca::Authority* authority = nullptr;
  // sealctl quarantine release: an administrator approved this message, so
  // a quarantine decision is logged and the message treated as if the
  // quarantine rules had not fired (reject and encryption still apply).
  bool quarantine_released = false;
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
