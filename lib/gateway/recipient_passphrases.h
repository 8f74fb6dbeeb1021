// Per-recipient passphrases (envelope.passphrase = "per-recipient"): for
// each recipient of a secure envelope, the passphrase slot made from that
// recipient's personal passphrase in the store (PassphraseVault), created
// on first need.
//
// A recipient without one gets a new generated passphrase, its PBKDF2 KEK
// derived once and stored with it (GetOrCreate: when two hosts race, one
// wins and both use the winner's). Later envelopes reuse the stored salt
// and KEK, so no PBKDF2 runs on the message path.
// `announce` says which passphrases the sender must pass on: one created
// now, and one the milter created earlier whose notice never went out
// (origin "message" and use_count 0: the message that created it was
// tempfailed before its notice was sent). An administrator's passphrase
// (origin "admin") was given to the recipient by the administrator and is
// never announced. MarkAnnounced (after the notice went out, or right away
// when none is needed) counts the use, which ends the re-announcing.
// Each slot is labelled with the recipient's address, so the page can
// remember it across envelopes.
// Errors: kUnavailable naming the recipient when the store or master key
// fails (PassphrasesUnavailable, so the log can name the reason); nothing
// is half-created that a retry would not repair.
// Thread-safety: as the Store.
#ifndef SEALMILTER_LIB_GATEWAY_RECIPIENT_PASSPHRASES_H_
#define SEALMILTER_LIB_GATEWAY_RECIPIENT_PASSPHRASES_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/envelope/key_slots.h"
#include "lib/status.h"
#include "lib/store/passphrase_vault.h"
#include "lib/store/store.h"

namespace seal::gateway {

struct RecipientPassphrase {
  std::string recipient;              // lower-case address
  envelope::PassphraseSlotSpec slot;  // with the stored salt and KEK
  bool announce = false;              // the sender must pass it on
};

// A secret for `passphrase`: a new salt, the format's minimum iterations
// and the KEK from them (one PBKDF2), as the vault stores it. For the
// milter's generated passphrases and an administrator's (sealctl).
Result<store::RecipientSecret> MakeRecipientSecret(std::string passphrase,
                                                   bool generated);

Result<std::vector<RecipientPassphrase>> RecipientPassphrases(
    store::Store& store, store::PassphraseVault& vault,
    const std::vector<std::string>& recipients, std::string_view created_by);

// Notes one use of each recipient's passphrase. Returns the first error
// (the others are still tried); the caller logs it: at worst the sender is
// told the same passphrase again next time.
Status MarkAnnounced(store::Store& store,
                     const std::vector<std::string>& recipients);

// kUnavailable "personal passphrases unavailable: DETAIL": the store or
// master key a per-recipient envelope needs is not there. Every such error
// is made here, so IsPassphrasesUnavailable tells it from the portal's.
Status PassphrasesUnavailable(std::string_view detail);
bool IsPassphrasesUnavailable(const Status& status);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_RECIPIENT_PASSPHRASES_H_
