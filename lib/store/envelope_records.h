// The Store's records for secure envelopes (issue #7): one EnvelopeRecord
// per envelope the milter made with a portal slot (who may open it, until
// when, whether it was revoked, opened, its read receipt sent), and the
// portal's audit trail of key releases and refusals (PortalAuditRecord).
//
// Conventions as in records.h: Unix seconds (UTC), addresses lower-case.
// An envelope id is the envelope's own id: 32 lower-case hex digits.
// Thread-safety: plain values.
#ifndef SEALMILTER_LIB_STORE_ENVELOPE_RECORDS_H_
#define SEALMILTER_LIB_STORE_ENVELOPE_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"

namespace seal::store {

// How strictly the portal authenticates a recipient before it releases the
// key (the sealportal daemon defines the details).
enum class EnvelopeSecurity { kHigh, kMedium, kNone };

// "high", "medium", "none".
std::string_view EnvelopeSecurityName(EnvelopeSecurity security);
Result<EnvelopeSecurity> ParseEnvelopeSecurity(std::string_view name);

// Where an envelope is, at a given time: revoked wins over expired.
enum class EnvelopeState { kActive, kRevoked, kExpired };

// "active", "revoked", "expired".
std::string_view EnvelopeStateName(EnvelopeState state);
Result<EnvelopeState> ParseEnvelopeState(std::string_view name);

struct EnvelopeRecord {
  std::string id;          // 32 lower-case hex digits: the envelope id
  int64_t created_at = 0;  // set by the store
  int64_t expires_at = 0;  // 0 = never
  std::string sender;      // "" = null sender
  std::vector<std::string> recipients;  // lower-case: who may open it
  std::string portal_key_id;            // the portal key that sealed its slot
  EnvelopeSecurity security = EnvelopeSecurity::kMedium;
  // The sender's options (lib/envelope/options.h).
  bool reply = false;
  bool reply_all = false;
  bool forward = false;
  bool read_receipt = false;
  // Kept by the store:
  int64_t revoked_at = 0;  // 0 = not revoked
  std::string revoked_by;
  std::string revoke_reason;
  int64_t first_opened_at = 0;  // 0 = never opened
  int64_t open_count = 0;
  int64_t receipt_sent_at = 0;  // 0 = no read receipt claimed

  EnvelopeState StateAt(int64_t now) const {
    if (revoked_at != 0) return EnvelopeState::kRevoked;
    if (expires_at != 0 && expires_at <= now) return EnvelopeState::kExpired;
    return EnvelopeState::kActive;
  }
};

// What ListEnvelopes returns, newest first; every set field must match.
struct EnvelopeFilter {
  std::string sender;                  // "" = any
  std::string recipient;               // "" = any; else one of recipients
  std::optional<EnvelopeState> state;  // nullopt = any (at the store's now)
  size_t limit = 0;                    // 0 = no limit
};

// One line of the portal's audit trail.
struct PortalAuditRecord {
  int64_t id = 0;           // increasing; set by the store
  int64_t at = 0;           // set by the store
  std::string envelope_id;  // "" when it concerns no envelope (a login)
  std::string email;        // who, "" if unknown
  // key_release, open_online, denied_expired, denied_revoked,
  // denied_not_recipient, login_failed, reply, ...: [a-z_], at most 64.
  std::string action;
  std::string remote_addr;
  std::string user_agent;
  std::string detail;
};

// 32 hex digits (any case) → lower-case; kInvalidArgument otherwise.
Result<std::string> NormalizeEnvelopeId(std::string_view id);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_ENVELOPE_RECORDS_H_
