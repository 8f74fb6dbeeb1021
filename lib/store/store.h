// Store: the one interface to sealmilter's persistent state for S/MIME:
// certificates with their parsed metadata, private keys sealed under the
// master key, CRLs, SMIMECapabilities per address, an audit trail, and the
// quarantine (messages held for an administrator).
//
// Callers see only this class; SQLite (sqlite_store.h) is the embedded
// backend, and a PostgreSQL backend can follow by implementing the protected
// Do* hooks. The public methods are not virtual: they check and normalise
// input the same way for every backend (size caps, DER parsing, address and
// fingerprint forms) and take the time from the Clock, then call a hook.
//
// Semantics every backend keeps:
// - Certificates are identified by their SHA-256 fingerprint (lower-case hex;
//   upper case and ':' separators are accepted on input). Putting a known
//   certificate again changes nothing except adding a domain mapping; its
//   source stays the first one recorded.
// - A private key belongs to one certificate and is never replaced or
//   deleted implicitly: renewal and rollover add new certificates and keys,
//   so old mail stays decryptable. Only RemoveCertificate with
//   KeyRemoval::kDeleteKey deletes a key.
// - BestCertificateFor returns, among the address's certificates that are
//   valid at `now`, not revoked, not CA certificates and allow `usage`, the
//   one with the newest notBefore (ties: later notAfter, then the one added
//   last). kNotFound when there is none.
// - Multi-step writes (a certificate with its addresses, domains and key) are
//   atomic.
// - Quarantine: a record is written once with its message bytes and gets a
//   random 16-hex-digit id; afterwards only its state changes, held →
//   released or held/released → deleted (which erases the bytes and keeps
//   the metadata). Ids are checked for form before any lookup: a malformed
//   one is kInvalidArgument, an unknown one kNotFound; a change the state
//   forbids (releasing twice, deleting twice) is kFailedPrecondition.
// - Envelopes (envelope_records.h): a record is written once, under the
//   envelope's own 32-hex-digit id (a duplicate is kFailedPrecondition),
//   before the envelope leaves the milter. Afterwards only these change:
//   revocation (once; again is kFailedPrecondition), the expiry (any time,
//   also after revocation), the open count with the first opening (each
//   NoteEnvelopeOpened adds one, atomically), and the read receipt:
//   ClaimReadReceipt is true for exactly one caller over all hosts sharing
//   the database, and only if the sender asked for one; it is false once
//   claimed, for an envelope without read_receipt, and for a revoked one.
//   Ids are checked for form first (kInvalidArgument), then looked up
//   (kNotFound). The portal audit trail is append-only, newest first.
// - Personal passphrases (passphrase_records.h): one row per recipient
//   address, created once (PutRecipientPassphraseIfAbsent: one winner over
//   all hosts) or replaced by an administrator; the sealed blob is opaque
//   to the store (PassphraseVault seals and opens it).
// - Errors: kNotFound (no such record), kInvalidArgument (malformed
//   argument), kParseError (not DER; or a corrupt database),
//   kResourceExhausted (over a StoreLimits cap), kFailedPrecondition (state
//   forbids it, e.g. removing a certificate that has a key), kUnavailable
//   (database locked or unreachable beyond its timeout), kIoError, kInternal.
// Thread-safety: every method may be called from any thread concurrently;
// each backend states how it achieves that.
#ifndef SEALMILTER_LIB_STORE_STORE_H_
#define SEALMILTER_LIB_STORE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"
#include "lib/store/clock.h"
#include "lib/store/envelope_records.h"
#include "lib/store/passphrase_records.h"
#include "lib/store/portal_records.h"
#include "lib/store/records.h"

namespace seal::store {

enum class KeyRemoval {
  kRefuse,     // refuse to remove a certificate that has a private key
  kDeleteKey,  // remove the certificate and its private key
};

class Store {
 public:
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // "sqlite", "postgresql": for logs.
  virtual std::string_view backend() const = 0;
  const StoreLimits& limits() const { return limits_; }
  const Clock& clock() const { return *clock_; }

  // --- Certificates ---------------------------------------------------

  // Stores a DER certificate. `domain` is required for kDomain (the domain
  // it serves) and must be empty otherwise.
  Result<CertificateRecord> PutCertificate(std::string_view der,
                                           CertSource source,
                                           std::string_view domain = {});
  // The same plus its sealed private key, atomically. Use KeyVault, which
  // seals the key and checks it matches the certificate. kFailedPrecondition
  // when the certificate already has a key.
  Result<CertificateRecord> PutCertificateWithKey(std::string_view der,
                                                  CertSource source,
                                                  std::string_view domain,
                                                  const EncryptedKey& key);
  Result<CertificateRecord> GetCertificate(std::string_view sha256);
  // Every certificate naming `address`, newest notBefore first.
  Result<std::vector<CertificateRecord>> CertificatesFor(
      std::string_view address);
  // See the class comment. `source` restricts the candidates.
  Result<CertificateRecord> BestCertificateFor(
      std::string_view address, int64_t now, CertUsage usage = kUsageEncrypt,
      std::optional<CertSource> source = std::nullopt);
  // The best (same rule) certificate mapped to `domain`.
  Result<CertificateRecord> DomainCertificate(std::string_view domain,
                                              int64_t now);
  // Certificates by issuer Name DER + serial (SerialHex form, any case), and
  // by subjectKeyIdentifier hex: how a CMS RecipientInfo names its key.
  // Usually one each; renewed certificates may share an SKI.
  Result<std::vector<CertificateRecord>> FindByIssuerSerial(
      std::string_view issuer_der, std::string_view serial_hex);
  Result<std::vector<CertificateRecord>> FindBySki(std::string_view ski_hex);
  // Newest notBefore first.
  Result<std::vector<CertificateRecord>> ListCertificates(
      const CertificateFilter& filter = {});
  Status SetRevoked(std::string_view sha256, bool revoked);
  Status RemoveCertificate(std::string_view sha256,
                           KeyRemoval keys = KeyRemoval::kRefuse);

  // --- Private keys (sealed; see key_vault.h) --------------------------

  // Adds a key to a stored certificate that has none.
  Status PutPrivateKey(std::string_view cert_sha256, const EncryptedKey& key);
  Result<EncryptedKey> GetPrivateKey(std::string_view cert_sha256);

  // --- CRLs: one per issuer; an older one never replaces a newer --------

  // Returns the CRL now stored for that issuer (the given one unless the
  // stored one has a later thisUpdate).
  Result<CrlRecord> PutCrl(std::string_view der);
  Result<CrlRecord> GetCrl(std::string_view issuer_der);
  Result<std::vector<CrlRecord>> ListCrls();
  Status RemoveCrl(std::string_view issuer_der);

  // --- SMIMECapabilities -----------------------------------------------

  // Upserts by (address, cert_sha256); an older seen_at does not replace a
  // newer one. seen_at 0 means now.
  Status PutCapabilities(const CapabilitiesRecord& caps);
  // With `cert_sha256` empty: the most recently seen for the address.
  Result<CapabilitiesRecord> CapabilitiesFor(std::string_view address,
                                             std::string_view cert_sha256 = {});

  // --- Audit events ----------------------------------------------------

  Status RecordEvent(std::string_view kind, std::string_view subject,
                     std::string_view detail);
  // At most `limit` events, newest first.
  Result<std::vector<EventRecord>> RecentEvents(size_t limit);

  // --- Quarantine ------------------------------------------------------

  // Stores `message` with the envelope and reason of `info` (its id,
  // created_at, size, sha256, message and state are ignored and set here).
  // Returns the record as stored, without the message bytes.
  // kResourceExhausted over max_quarantine_bytes or
  // max_quarantine_recipients; kInvalidArgument for an empty message, no
  // recipients, or an address or text with control characters.
  Result<QuarantineRecord> PutQuarantine(std::string_view message,
                                         const QuarantineRecord& info);
  // With `with_message` the bytes are in `message` (empty once deleted).
  Result<QuarantineRecord> GetQuarantine(std::string_view id,
                                         bool with_message = false);
  // Without message bytes; newest first.
  Result<std::vector<QuarantineRecord>> ListQuarantine(
      const QuarantineFilter& filter = {});
  // held → released, noting when and `by` whom.
  Status MarkReleased(std::string_view id, std::string_view by);
  // held or released → deleted: the message bytes are erased.
  Status DeleteQuarantine(std::string_view id, std::string_view by);

  // --- Envelopes (portal) ----------------------------------------------

  // Stores `rec` (created_at and the store-kept fields are set here;
  // recipients and sender are lower-cased). kInvalidArgument for a
  // malformed id, no recipients, a malformed address, a negative expiry or
  // control characters; kResourceExhausted over max_envelope_recipients or
  // max_event_text_bytes; kFailedPrecondition for a known id.
  Result<EnvelopeRecord> PutEnvelope(const EnvelopeRecord& rec);
  Result<EnvelopeRecord> GetEnvelope(std::string_view id);
  // Newest created_at first; `state` is judged at the clock's now.
  Result<std::vector<EnvelopeRecord>> ListEnvelopes(
      const EnvelopeFilter& filter = {});
  // Not revoked → revoked now by `by` (required) for `reason` (may be "").
  Status RevokeEnvelope(std::string_view id, std::string_view by,
                        std::string_view reason);
  // `at` 0 = never expires, -1 = now (the clock's), else Unix seconds.
  Status SetEnvelopeExpiry(std::string_view id, int64_t at);
  // open_count + 1; first_opened_at = now on the first opening. Returns the
  // record after the change.
  Result<EnvelopeRecord> NoteEnvelopeOpened(std::string_view id);
  // See the class comment; sets receipt_sent_at when true.
  Result<bool> ClaimReadReceipt(std::string_view id);
  // `rec.id` and `rec.at` are set here. The envelope id may be "" and need
  // not be a stored envelope (a refusal for an unknown one is audited too).
  Status RecordPortalAudit(const PortalAuditRecord& rec);
  // For one envelope, or every one with `envelope_id` ""; newest first, at
  // most `limit` (0: all).
  Result<std::vector<PortalAuditRecord>> ListPortalAudit(
      std::string_view envelope_id, size_t limit);

  // --- Portal accounts, tokens and sessions (sealportal) ---------------

  // Creates an account (created_at set here; email lower-cased; the
  // counters must be 0). kFailedPrecondition for a known email,
  // kInvalidArgument for a malformed address or a hash over 512 bytes.
  // Also kInvalidArgument: a hash that is not printable ASCII without
  // spaces, a locale other than [A-Za-z0-9_-]{0,35}, failed_logins,
  // locked_until or last_login_at not 0, a negative confirmed_at (which is
  // kept: an account may be created confirmed). password_changed_at is set
  // to created_at when a hash is given, else 0.
  Status PutPortalAccount(const PortalAccount& account);
  Result<PortalAccount> GetPortalAccount(std::string_view email);
  // confirmed_at = now unless already confirmed (then unchanged, OK).
  Status ConfirmPortalAccount(std::string_view email);
  // New hash (not empty); password_changed_at = now; failed_logins and
  // locked_until reset to 0.
  Status SetPortalPassword(std::string_view email,
                           std::string_view password_hash);
  // Atomically failed_logins + 1; when it reaches `max_failures` (>= 1)
  // locked_until = now + lock_seconds and failed_logins = 0. Returns the
  // account after the change (so the caller sees the lock it caused).
  // kInvalidArgument unless 1 <= max_failures <= 1000000 and
  // 1 <= lock_seconds <= 100 years.
  Result<PortalAccount> NotePortalLoginFailure(std::string_view email,
                                               int64_t max_failures,
                                               int64_t lock_seconds);
  // failed_logins = 0, locked_until = 0, last_login_at = now.
  Status NotePortalLoginSuccess(std::string_view email);
  // The account, its tokens and its sessions (kNotFound when unknown).
  Status DeletePortalAccount(std::string_view email);

  // Stores a token (created_at set here, used_at 0). kFailedPrecondition
  // for a known hash; kInvalidArgument for a malformed hash or address or
  // expires_at not after now; kNotFound when the account does not exist.
  Status PutPortalToken(const PortalToken& token);
  // Atomically: the token must exist with this purpose (else kNotFound: an
  // unknown token and one for another purpose look the same), be unused
  // and unexpired (else kFailedPrecondition "used" / "expired"); sets
  // used_at = now and returns it.
  Result<PortalToken> ConsumePortalToken(std::string_view token_hash,
                                         PortalTokenPurpose purpose);

  // Stores a session (created_at, last_seen_at set here).
  // kFailedPrecondition for a known hash; kNotFound when the account does
  // not exist; kInvalidArgument for a malformed hash or address, expires_at
  // not after now, or a remote address (256 bytes) or user agent
  // (max_event_text_bytes) over its cap or with control characters.
  Status PutPortalSession(const PortalSession& session);
  // The session if it exists, expires_at > now and last_seen_at +
  // idle_seconds > now (idle_seconds 0: no idle limit); then last_seen_at
  // = now. kNotFound otherwise (an expired or idle one is deleted).
  // kInvalidArgument unless 0 <= idle_seconds <= 100 years.
  Result<PortalSession> TouchPortalSession(std::string_view id_hash,
                                           int64_t idle_seconds);
  // OK also when unknown.
  Status DeletePortalSession(std::string_view id_hash);
  // Every session of the account (after a password reset); OK when none.
  Status DeletePortalSessionsFor(std::string_view email);
  // Deletes expired tokens, used tokens older than a day and expired
  // sessions; returns how many rows went.
  Result<int64_t> PurgePortalExpired();

  // --- Personal passphrases of envelope recipients ---------------------

  // Inserts `rec` unless its address has one already, atomically over
  // every host sharing the database: of two racing callers exactly one
  // gets created = true, and both get the same stored record.
  // created_at is set here, the counters must be 0. kInvalidArgument for a
  // malformed address, an origin other than "message"/"admin", an empty
  // sealed blob or a created_by with control characters;
  // kResourceExhausted for a sealed blob over kMaxSealedPassphraseBytes or
  // a created_by over 256 bytes.
  Result<RecipientPassphrasePut> PutRecipientPassphraseIfAbsent(
      const RecipientPassphraseRecord& rec);
  // Inserts or replaces (an administrator's new passphrase): created_at =
  // now, last_used_at and use_count 0. Same checks.
  Status SetRecipientPassphrase(const RecipientPassphraseRecord& rec);
  Result<RecipientPassphraseRecord> GetRecipientPassphrase(
      std::string_view address);
  // Atomically use_count + 1, last_used_at = now; kNotFound when none.
  Status NoteRecipientPassphraseUsed(std::string_view address);
  // By address.
  Result<std::vector<RecipientPassphraseRecord>> ListRecipientPassphrases();
  // kNotFound when none.
  Status DeleteRecipientPassphrase(std::string_view address);

 protected:
  // `clock` may be null (SystemClock); it must outlive the store.
  Store(StoreLimits limits, const Clock* clock);

  // Hooks: arguments are validated and normalised (addresses and domains
  // lower-case, fingerprints lower-case hex, serials canonical upper-case
  // hex, `added_at`/`created_at`/`time` filled in).
  virtual Result<CertificateRecord> DoPutCertificate(
      const CertificateRecord& cert, const std::string& domain,
      const EncryptedKey* key) = 0;
  virtual Result<CertificateRecord> DoGetCertificate(
      const std::string& sha256) = 0;
  virtual Result<std::vector<CertificateRecord>> DoListCertificates(
      const CertificateFilter& filter) = 0;
  virtual Result<CertificateRecord> DoBestCertificate(
      const std::string& address, int64_t now, CertUsage usage,
      std::optional<CertSource> source) = 0;
  virtual Result<CertificateRecord> DoDomainCertificate(
      const std::string& domain, int64_t now) = 0;
  virtual Result<std::vector<CertificateRecord>> DoFindByIssuerSerial(
      const std::string& issuer_der, const std::string& serial) = 0;
  virtual Result<std::vector<CertificateRecord>> DoFindBySki(
      const std::string& ski) = 0;
  virtual Status DoSetRevoked(const std::string& sha256, bool revoked) = 0;
  virtual Status DoRemoveCertificate(const std::string& sha256,
                                     KeyRemoval keys) = 0;
  virtual Status DoPutPrivateKey(const std::string& cert_sha256,
                                 const EncryptedKey& key) = 0;
  virtual Result<EncryptedKey> DoGetPrivateKey(
      const std::string& cert_sha256) = 0;
  virtual Result<CrlRecord> DoPutCrl(const CrlRecord& crl) = 0;
  virtual Result<CrlRecord> DoGetCrl(const std::string& issuer_der) = 0;
  virtual Result<std::vector<CrlRecord>> DoListCrls() = 0;
  virtual Status DoRemoveCrl(const std::string& issuer_der) = 0;
  virtual Status DoPutCapabilities(const CapabilitiesRecord& caps) = 0;
  virtual Result<CapabilitiesRecord> DoCapabilitiesFor(
      const std::string& address, const std::string& cert_sha256) = 0;
  virtual Status DoRecordEvent(const EventRecord& event) = 0;
  virtual Result<std::vector<EventRecord>> DoRecentEvents(size_t limit) = 0;

  // Quarantine hooks. `rec` is complete (id, created_at, size, sha256,
  // state kHeld, handled_* empty; `message` empty: the bytes are
  // `message`). A duplicate id is kFailedPrecondition (the caller draws a
  // new one).
  virtual Status DoPutQuarantine(const QuarantineRecord& rec,
                                 std::string_view message) = 0;
  // kNotFound for an unknown id. `message` filled only with `with_message`.
  virtual Result<QuarantineRecord> DoGetQuarantine(const std::string& id,
                                                   bool with_message) = 0;
  // Newest created_at first, ties: the one put last first; at most
  // filter.limit (0: all); `message` left empty.
  virtual Result<std::vector<QuarantineRecord>> DoListQuarantine(
      const QuarantineFilter& filter) = 0;
  // Atomically: the state must be one of `from` (else kFailedPrecondition
  // naming the current state; kNotFound for an unknown id); sets `to`,
  // handled_at = `at`, handled_by = `by`; with `to` kDeleted also erases
  // the message bytes.
  virtual Status DoSetQuarantineState(const std::string& id,
                                      std::vector<QuarantineState> from,
                                      QuarantineState to, int64_t at,
                                      const std::string& by) = 0;

  // Envelope hooks: ids are normalised, records complete. A duplicate id is
  // kFailedPrecondition; an unknown id kNotFound.
  virtual Status DoPutEnvelope(const EnvelopeRecord& rec) = 0;
  virtual Result<EnvelopeRecord> DoGetEnvelope(const std::string& id) = 0;
  // Newest created_at first (ties: put last first); `now` judges state.
  virtual Result<std::vector<EnvelopeRecord>> DoListEnvelopes(
      const EnvelopeFilter& filter, int64_t now) = 0;
  // Atomically: kFailedPrecondition when already revoked.
  virtual Status DoRevokeEnvelope(const std::string& id, int64_t at,
                                  const std::string& by,
                                  const std::string& reason) = 0;
  virtual Status DoSetEnvelopeExpiry(const std::string& id, int64_t at) = 0;
  virtual Result<EnvelopeRecord> DoNoteEnvelopeOpened(const std::string& id,
                                                      int64_t at) = 0;
  // Atomically sets receipt_sent_at = `at` where read_receipt is asked, not
  // yet sent and not revoked; true when this call set it.
  virtual Result<bool> DoClaimReadReceipt(const std::string& id,
                                          int64_t at) = 0;
  virtual Status DoRecordPortalAudit(const PortalAuditRecord& rec) = 0;
  virtual Result<std::vector<PortalAuditRecord>> DoListPortalAudit(
      const std::string& envelope_id, size_t limit) = 0;

  // Portal hooks: emails lower-case, hashes normalised, records complete,
  // `now` from the clock. kNotFound for an unknown account/token/session.
  // A token or session for an unknown account is kNotFound; a duplicate
  // email or hash kFailedPrecondition.
  virtual Status DoPutPortalAccount(const PortalAccount& account) = 0;
  virtual Result<PortalAccount> DoGetPortalAccount(
      const std::string& email) = 0;
  virtual Status DoConfirmPortalAccount(const std::string& email,
                                        int64_t now) = 0;
  virtual Status DoSetPortalPassword(const std::string& email,
                                     const std::string& password_hash,
                                     int64_t now) = 0;
  virtual Result<PortalAccount> DoNotePortalLoginFailure(
      const std::string& email, int64_t max_failures, int64_t lock_seconds,
      int64_t now) = 0;
  virtual Status DoNotePortalLoginSuccess(const std::string& email,
                                          int64_t now) = 0;
  virtual Status DoDeletePortalAccount(const std::string& email) = 0;
  virtual Status DoPutPortalToken(const PortalToken& token) = 0;
  virtual Result<PortalToken> DoConsumePortalToken(
      const std::string& token_hash, PortalTokenPurpose purpose,
      int64_t now) = 0;
  virtual Status DoPutPortalSession(const PortalSession& session) = 0;
  virtual Result<PortalSession> DoTouchPortalSession(const std::string& id_hash,
                                                     int64_t idle_seconds,
                                                     int64_t now) = 0;
  virtual Status DoDeletePortalSession(const std::string& id_hash) = 0;
  virtual Status DoDeletePortalSessionsFor(const std::string& email) = 0;
  virtual Result<int64_t> DoPurgePortalExpired(int64_t now) = 0;

  // Personal passphrase hooks: records complete and checked.
  virtual Result<RecipientPassphrasePut> DoPutRecipientPassphraseIfAbsent(
      const RecipientPassphraseRecord& rec) = 0;
  virtual Status DoSetRecipientPassphrase(
      const RecipientPassphraseRecord& rec) = 0;
  virtual Result<RecipientPassphraseRecord> DoGetRecipientPassphrase(
      const std::string& address) = 0;
  virtual Status DoNoteRecipientPassphraseUsed(const std::string& address,
                                               int64_t now) = 0;
  virtual Result<std::vector<RecipientPassphraseRecord>>
  DoListRecipientPassphrases() = 0;
  virtual Status DoDeleteRecipientPassphrase(const std::string& address) = 0;

 private:
  Result<CertificateRecord> ParseForPut(std::string_view der, CertSource source,
                                        std::string_view domain,
                                        std::string& normal_domain) const;
  Status CheckKey(const EncryptedKey& key) const;

  const StoreLimits limits_;
  const Clock* const clock_;  // never null
};

// Canonical forms the store uses; kInvalidArgument otherwise.
// 64 hex digits, ':' separators allowed → lower-case.
Result<std::string> NormalizeFingerprint(std::string_view sha256);
// Hex digits, ':' separators allowed → lower-case (SKI).
Result<std::string> NormalizeKeyId(std::string_view ski);
// Hex serial, optional '-', ':' separators allowed → SerialHex form.
Result<std::string> NormalizeSerial(std::string_view serial);
// 16 hex digits (any case) → lower-case.
Result<std::string> NormalizeQuarantineId(std::string_view id);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_STORE_H_
