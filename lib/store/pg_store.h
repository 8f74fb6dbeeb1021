// PgStore: the Store backend for several hosts, one PostgreSQL database
// reached through libpq.
//
// Opening: the conninfo (a libpq key=value string or postgresql:// URI) is
// checked (no password in it: use a passfile), one connection is made and
// the schema is migrated under an advisory lock (pg_schema.h), so hosts that
// start together do not race. Every value goes as a binary parameter of
// PQexecParams (bytes as bytea); no SQL is built from input.
// Connections: a pool of at most StoreOptions::pool_size connections, opened
// when first needed and reused; a caller waits up to busy_timeout_ms for a
// free one. A connection found dead (the server restarted, the network
// dropped) is discarded together with every idle one, and the call is tried
// once more on a new connection if nothing had been done yet on the dead one
// (every write starts with BEGIN, so a retried call never repeats a write).
// An unreachable server, a lost connection in the middle of a call, a lock
// held past busy_timeout_ms (lock_timeout) and serialization failures are
// kUnavailable with a message naming the server (host, port, database,
// user; never a password), so the gateway tempfails and the next message
// tries again.
// Semantics are those of store.h, as SqliteStore keeps them: multi-step
// writes run in one transaction; concurrent writers from other hosts are
// handled with ON CONFLICT and row locks (two hosts putting the same
// certificate get one row; two releasing the same quarantined message: one
// wins, the other gets kFailedPrecondition). Text ordering uses the "C"
// collation so results match SQLite's byte order whatever the database's
// locale.
// Known limits: text must be UTF-8 (PostgreSQL refuses other bytes in text
// columns: kInvalidArgument; SQLite stores them); a quarantined message is
// one bytea value, sent and read whole (max_quarantine_bytes bounds it); no
// statement cache (each call is PQexecParams); do not use a PgStore across
// fork(). Requires PostgreSQL 12 or later.
// Thread-safety: all methods may be called from any thread; `mu_` guards
// the pool; a connection is used by one caller at a time.
#ifndef SEALMILTER_LIB_STORE_PG_STORE_H_
#define SEALMILTER_LIB_STORE_PG_STORE_H_

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/status.h"
#include "lib/store/open_store.h"
#include "lib/store/pg_util.h"
#include "lib/store/store.h"

namespace seal::store {

class PgStore final : public Store {
 public:
  // Uses options.conninfo, busy_timeout_ms, pool_size, limits and clock.
  static Result<std::unique_ptr<PgStore>> Open(const StoreOptions& options);
  ~PgStore() override;

  std::string_view backend() const override { return "postgresql"; }
  // "host=… port=… dbname=… user=…": safe to log.
  const std::string& describe() const { return describe_; }
  // The schema version of the database (after migration).
  Result<int> SchemaVersion();
  // Connections open now (idle or in use), for tests.
  size_t OpenConnections();

 protected:
  Result<CertificateRecord> DoPutCertificate(const CertificateRecord& cert,
                                             const std::string& domain,
                                             const EncryptedKey* key) override;
  Result<CertificateRecord> DoGetCertificate(
      const std::string& sha256) override;
  Result<std::vector<CertificateRecord>> DoListCertificates(
      const CertificateFilter& filter) override;
  Result<CertificateRecord> DoBestCertificate(
      const std::string& address, int64_t now, CertUsage usage,
      std::optional<CertSource> source) override;
  Result<CertificateRecord> DoDomainCertificate(const std::string& domain,
                                                int64_t now) override;
  Result<std::vector<CertificateRecord>> DoFindByIssuerSerial(
      const std::string& issuer_der, const std::string& serial) override;
  Result<std::vector<CertificateRecord>> DoFindBySki(
      const std::string& ski) override;
  Status DoSetRevoked(const std::string& sha256, bool revoked) override;
  Status DoRemoveCertificate(const std::string& sha256,
                             KeyRemoval keys) override;
  Status DoPutPrivateKey(const std::string& cert_sha256,
                         const EncryptedKey& key) override;
  Result<EncryptedKey> DoGetPrivateKey(const std::string& cert_sha256) override;
  Result<CrlRecord> DoPutCrl(const CrlRecord& crl) override;
  Result<CrlRecord> DoGetCrl(const std::string& issuer_der) override;
  Result<std::vector<CrlRecord>> DoListCrls() override;
  Status DoRemoveCrl(const std::string& issuer_der) override;
  Status DoPutCapabilities(const CapabilitiesRecord& caps) override;
  Result<CapabilitiesRecord> DoCapabilitiesFor(
      const std::string& address, const std::string& cert_sha256) override;
  Status DoRecordEvent(const EventRecord& event) override;
  Result<std::vector<EventRecord>> DoRecentEvents(size_t limit) override;
  Status DoPutQuarantine(const QuarantineRecord& rec,
                         std::string_view message) override;
  Result<QuarantineRecord> DoGetQuarantine(const std::string& id,
                                           bool with_message) override;
  Result<std::vector<QuarantineRecord>> DoListQuarantine(
      const QuarantineFilter& filter) override;
  Status DoSetQuarantineState(const std::string& id,
                              std::vector<QuarantineState> from,
                              QuarantineState to, int64_t at,
                              const std::string& by) override;
  // Envelopes (sqlite_envelopes.cc / pg_envelopes.cc).
  Status DoPutEnvelope(const EnvelopeRecord& rec) override;
  Result<EnvelopeRecord> DoGetEnvelope(const std::string& id) override;
  Result<std::vector<EnvelopeRecord>> DoListEnvelopes(
      const EnvelopeFilter& filter, int64_t now) override;
  Status DoRevokeEnvelope(const std::string& id, int64_t at,
                          const std::string& by,
                          const std::string& reason) override;
  Status DoSetEnvelopeExpiry(const std::string& id, int64_t at) override;
  Result<EnvelopeRecord> DoNoteEnvelopeOpened(const std::string& id,
                                              int64_t at) override;
  Result<bool> DoClaimReadReceipt(const std::string& id, int64_t at) override;
  Status DoRecordPortalAudit(const PortalAuditRecord& rec) override;
  Result<std::vector<PortalAuditRecord>> DoListPortalAudit(
      const std::string& envelope_id, size_t limit) override;
  // Portal accounts, tokens and sessions (sqlite_portal.cc / pg_portal.cc).
  Status DoPutPortalAccount(const PortalAccount& account) override;
  Result<PortalAccount> DoGetPortalAccount(const std::string& email) override;
  Status DoConfirmPortalAccount(const std::string& email, int64_t now) override;
  Status DoSetPortalPassword(const std::string& email,
                             const std::string& password_hash,
                             int64_t now) override;
  Result<PortalAccount> DoNotePortalLoginFailure(const std::string& email,
                                                 int64_t max_failures,
                                                 int64_t lock_seconds,
                                                 int64_t now) override;
  Status DoNotePortalLoginSuccess(const std::string& email,
                                  int64_t now) override;
  Status DoDeletePortalAccount(const std::string& email) override;
  Status DoPutPortalToken(const PortalToken& token) override;
  Result<PortalToken> DoConsumePortalToken(const std::string& token_hash,
                                           PortalTokenPurpose purpose,
                                           int64_t now) override;
  Status DoPutPortalSession(const PortalSession& session) override;
  Result<PortalSession> DoTouchPortalSession(const std::string& id_hash,
                                             int64_t idle_seconds,
                                             int64_t now) override;
  Status DoDeletePortalSession(const std::string& id_hash) override;
  Status DoDeletePortalSessionsFor(const std::string& email) override;
  Result<int64_t> DoPurgePortalExpired(int64_t now) override;
  // Personal passphrases (pg_passphrases.cc).
  Result<RecipientPassphrasePut> DoPutRecipientPassphraseIfAbsent(
      const RecipientPassphraseRecord& rec) override;
  Status DoSetRecipientPassphrase(
      const RecipientPassphraseRecord& rec) override;
  Result<RecipientPassphraseRecord> DoGetRecipientPassphrase(
      const std::string& address) override;
  Status DoNoteRecipientPassphraseUsed(const std::string& address,
                                       int64_t now) override;
  Result<std::vector<RecipientPassphraseRecord>> DoListRecipientPassphrases()
      override;
  Status DoDeleteRecipientPassphrase(const std::string& address) override;

 private:
  PgStore(const StoreOptions& options, std::string describe);

  // A connection for one call: an idle one (`reused` set) or a new one.
  // kUnavailable when none is free within the busy timeout or the server
  // cannot be reached.
  Result<std::unique_ptr<PgConn>> Checkout(bool& reused);
  // Back to the pool if idle; a broken one is dropped with all idle ones.
  void Return(std::unique_ptr<PgConn> conn);
  // Runs `fn(PgConn&)` -> Result<T> on a pooled connection, once more on a
  // fresh one when a reused connection turned out dead before its first
  // statement succeeded.
  // Defined in pg_run.h, which every pg_*.cc implementing hooks includes.
  template <typename T, typename F>
  Result<T> Run(F&& fn);
  template <typename F>
  Status RunStatus(F&& fn);
  // For pg_portal.cc: runs `fn(PgConn&)` -> Status inside a transaction
  // that commits when it returns OK.
  template <typename F>
  Status RunPortalWrite(F&& fn);

  const std::string conninfo_;  // may name a passfile, never a password
  const std::string describe_;
  const int64_t busy_timeout_ms_;
  const size_t pool_size_;

  std::mutex mu_;
  std::condition_variable freed_;              // signalled under mu_
  std::vector<std::unique_ptr<PgConn>> idle_;  // guarded by mu_
  size_t open_ = 0;  // idle plus lent out; guarded by mu_
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_PG_STORE_H_
