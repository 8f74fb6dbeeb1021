// The two in-place rewrites of an outbound message, each producing an
// EditPlan (header edits + a replacement body in a Spool):
//   - RewriteSmime: the message's content (its Content-* fields and body)
//     becomes CMS EnvelopedData for the given certificates; the outer
//     fields (From, To, Cc, Date, Subject, Message-ID, ...) stay.
//   - RewriteEnvelope: the whole original message goes into a secure
//     envelope (AES-256-GCM, generated passphrase); the message becomes the
//     localized notification with the envelope attached, and the passphrase
//     notice for the sender is returned for the caller to inject.
//     With portal.url set the envelope also carries a `portal` key slot
//     sealed with the current key of the Policy's portal key ring (the
//     JS-free variant carries only that slot and has no passphrase
//     notice), and its EnvelopeRecord (sender, recipients, expiry, key id,
//     portal.security, options) is written to the store before the
//     rewrite is returned, so no envelope leaves that sealportal does not
//     know. Key ring missing, store missing or PutEnvelope failing:
//     kUnavailable (the caller tempfails), nothing returned.
//     With envelope.passphrase = "per-recipient" each recipient's slot is
//     its personal passphrase (recipient_passphrases.h); the sender's
//     notice names only those to announce, and there is none when every
//     recipient has one already.
// Both read the spooled message once through views (no copy of it) and
// write the new body in slices into a Spool with the transaction's limits.
// On error nothing is half-applied: the caller gets no plan.
// Thread-safety: reentrant.
#ifndef SEALMILTER_LIB_GATEWAY_REWRITE_H_
#define SEALMILTER_LIB_GATEWAY_REWRITE_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/config.h"
#include "lib/crypto/certificate.h"
#include "lib/crypto/encrypt.h"
#include "lib/envelope/options.h"
#include "lib/gateway/edit_plan.h"
#include "lib/gateway/header_block.h"
#include "lib/gateway/policy.h"
#include "lib/spool.h"
#include "lib/store/passphrase_vault.h"
#include "lib/store/store.h"

namespace seal::gateway {

// Deletes every field of `m` for which `drop(name)` is true, last
// occurrence first so the occurrence numbers stay right.
template <typename Pred>
void DeleteFields(const MessageParts& m, Pred drop, EditPlan& plan) {
  for (auto it = m.fields.rbegin(); it != m.fields.rend(); ++it) {
    if (drop(it->name)) {
      plan.headers.push_back(HeaderEdit{HeaderEdit::Kind::kDelete,
                                        std::string(it->name), it->occurrence,
                                        ""});
    }
  }
}

Result<EditPlan> RewriteSmime(const MessageParts& message,
                              const std::vector<crypto::Certificate>& certs,
                              const SpoolOptions& spool);
// The same with the recipients' key transports and the content cipher
// chosen by the caller (algorithm_choice.h); the above uses the defaults.
Result<EditPlan> RewriteSmime(
    const MessageParts& message,
    const std::vector<crypto::EncryptRecipient>& recipients,
    crypto::ContentCipher cipher, const SpoolOptions& spool);

struct EnvelopeRewrite {
  EditPlan plan;
  std::string passphrase_notice;  // complete RFC 5322 message; "" = none
  std::string envelope_id;
  std::string portal_key_id;  // "" = no portal slot
  // envelope.passphrase = "per-recipient": the recipients whose personal
  // passphrase this envelope uses; the caller notes their use with
  // MarkAnnounced (recipient_passphrases.h) once passphrase_notice, if
  // any, has gone out.
  std::vector<std::string> passphrase_uses;
};

struct EnvelopeParams {
  std::string sender;  // envelope sender (shown, and gets the notice)
  std::vector<std::string> recipients;
  std::string notice_from;
  // Where the envelope record goes when portal.url is set; null:
  // unavailable (store_error says why).
  store::Store* store = nullptr;
  std::string store_error;
  // Personal passphrases (envelope.passphrase = "per-recipient"); null:
  // unavailable (no store or no master key; passphrase_error says why),
  // and such an envelope is kUnavailable.
  store::PassphraseVault* passphrase_vault = nullptr;
  std::string passphrase_error;
  std::string created_by = "sealmilter";  // recorded with a new passphrase
  // Not empty: no passphrase notice may go to `sender` (why not). An
  // envelope that needs one is then kFailedPrecondition, before anything
  // is recorded.
  std::string notice_refusal;
};

// Why a passphrase notice may not go to `sender`, or "": the notice is
// mail in clear, so it goes only to a sender of ours (gateway.
// internal_domains, when set) and never to an empty sender.
std::string NoticeRefusal(const Config& config, const std::string& sender);

// The option policy of a config (envelope.* defaults and
// envelope.sender_options, envelope.expires).
envelope::OptionPolicy OptionPolicyFor(const Config& config);

Result<EnvelopeRewrite> RewriteEnvelope(std::string_view raw,
                                        const MessageParts& message,
                                        const EnvelopeParams& params,
                                        const Config& config,
                                        const Policy& policy,
                                        const SpoolOptions& spool);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_REWRITE_H_
