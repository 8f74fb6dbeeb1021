// SqliteStore: the embedded Store backend, one SQLite database file.
//
// Opening: the file is created with mode 0600 (O_EXCL) when missing, a
// world-writable file is refused, then the connection is set to WAL
// journaling, synchronous=FULL, foreign_keys=ON, secure_delete=ON,
// trusted_schema=OFF and the busy timeout, and the schema is migrated (see
// sqlite_schema.h). Every data value goes through a bound parameter of a
// prepared statement (cached per connection); no SQL is built from input.
// Several processes (milter instances, sealctl) may share the file: WAL lets
// readers run beside one writer, and writers wait up to busy_timeout_ms for
// each other before kUnavailable.
// Known limits: one connection per SqliteStore, so calls from many threads
// are serialised (each is a few index lookups); do not use a SqliteStore
// across fork(); the file lives on a local file system (WAL needs shared
// memory, so not NFS). secure_delete overwrites deleted rows in the main
// file, but their old pages may linger in the -wal file until the next
// checkpoint (and in backups); sealed keys are ciphertext either way, a
// deleted quarantined message is not. A quarantined message is one blob,
// written and read whole (max_quarantine_bytes bounds it).
// Thread-safety: all methods may be called from any thread; `mu_` guards the
// connection and the statement cache.
#ifndef SEALMILTER_LIB_STORE_SQLITE_STORE_H_
#define SEALMILTER_LIB_STORE_SQLITE_STORE_H_

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/status.h"
#include "lib/store/open_store.h"
#include "lib/store/sqlite_util.h"
#include "lib/store/store.h"

namespace seal::store {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const StoreOptions& options);
  ~SqliteStore() override;

  std::string_view backend() const override { return "sqlite"; }
  const std::string& path() const { return path_; }
  // The schema version of the open database (after migration).
  Result<int> SchemaVersion();

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
  // Personal passphrases (sqlite_passphrases.cc).
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
  SqliteStore(const StoreOptions& options, sqlite3* db);

  // All below: call with mu_ held.
  // The cached statement for `sql`. At most one live Stmt per SQL text at a
  // time (callers never nest the same query).
  Result<Stmt> Prepare(const std::string& sql);
  // Rows of a "SELECT <cert columns> ..." statement, with emails/domains.
  Result<std::vector<CertificateRecord>> ReadCertificates(Stmt& stmt);
  Status FillLists(CertificateRecord& rec, int64_t id);
  Result<CertificateRecord> LoadById(int64_t id);
  Result<int64_t> IdOf(const std::string& sha256);  // kNotFound
  Result<bool> HasKey(int64_t cert_id);
  Result<CertificateRecord> One(Result<std::vector<CertificateRecord>> rows,
                                std::string not_found);
  // The envelope with that id (kNotFound) (sqlite_envelopes.cc).
  Result<EnvelopeRecord> LoadEnvelope(const std::string& id);
  // sqlite_portal.cc: the account with that email (kNotFound); one UPDATE
  // of an account (?1 email, ?2 `value`, ?3 `text` when given) in a write
  // transaction, kNotFound when there is no such account; `insert` run
  // after checking the account exists, a constraint failure reported as
  // kFailedPrecondition `duplicate`.
  Result<PortalAccount> LoadPortalAccount(const std::string& email);
  Result<RecipientPassphraseRecord> LoadRecipientPassphrase(
      const std::string& address);
  Status UpdatePortalAccount(const std::string& sql, const std::string& email,
                             int64_t value, const std::string* text);
  Status InsertForAccount(const std::string& email, Stmt& insert,
                          const std::string& duplicate);

  const std::string path_;
  std::mutex mu_;
  sqlite3* db_;                                                // guarded by mu_
  std::unordered_map<std::string, sqlite3_stmt*> statements_;  // guarded by mu_
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_SQLITE_STORE_H_
