// The migration list and the code that applies it.
#include "lib/store/sqlite_schema.h"

#include <string>

#include "lib/store/sqlite_util.h"

namespace seal::store {
namespace {

// Version 1: certificates with their addresses and domains, sealed private
// keys, CRLs.
constexpr const char* kV1 = R"sql(
CREATE TABLE certificates (
  id            INTEGER PRIMARY KEY,
  sha256        TEXT    NOT NULL UNIQUE,
  der           BLOB    NOT NULL,
  subject       TEXT    NOT NULL,
  issuer        TEXT    NOT NULL,
  issuer_der    BLOB    NOT NULL,
  serial        TEXT    NOT NULL,
  ski           TEXT    NOT NULL,
  not_before    INTEGER NOT NULL,
  not_after     INTEGER NOT NULL,
  key_algorithm TEXT    NOT NULL,
  is_ca         INTEGER NOT NULL,
  usage_flags   INTEGER NOT NULL,
  source        TEXT    NOT NULL CHECK (source IN
                  ('imported', 'harvested', 'issued', 'domain', 'authority')),
  revoked       INTEGER NOT NULL DEFAULT 0,
  added_at      INTEGER NOT NULL
);
CREATE INDEX certificates_issuer_serial ON certificates (issuer_der, serial);
CREATE INDEX certificates_ski ON certificates (ski);
CREATE TABLE certificate_emails (
  email   TEXT    NOT NULL,
  cert_id INTEGER NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  PRIMARY KEY (email, cert_id)
) WITHOUT ROWID;
CREATE INDEX certificate_emails_cert ON certificate_emails (cert_id);
CREATE TABLE certificate_domains (
  domain  TEXT    NOT NULL,
  cert_id INTEGER NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  PRIMARY KEY (domain, cert_id)
) WITHOUT ROWID;
CREATE INDEX certificate_domains_cert ON certificate_domains (cert_id);
CREATE TABLE private_keys (
  cert_id       INTEGER PRIMARY KEY
                  REFERENCES certificates (id) ON DELETE RESTRICT,
  master_key_id TEXT    NOT NULL,
  sealed        BLOB    NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE TABLE crls (
  id          INTEGER PRIMARY KEY,
  issuer_der  BLOB    NOT NULL UNIQUE,
  issuer      TEXT    NOT NULL,
  this_update INTEGER NOT NULL,
  next_update INTEGER NOT NULL,
  sha256      TEXT    NOT NULL,
  der         BLOB    NOT NULL,
  added_at    INTEGER NOT NULL
);
)sql";

// Version 2: SMIMECapabilities per address and certificate, audit events.
constexpr const char* kV2 = R"sql(
CREATE TABLE smime_capabilities (
  address      TEXT    NOT NULL,
  cert_sha256  TEXT    NOT NULL DEFAULT '',
  capabilities BLOB    NOT NULL,
  flags        INTEGER NOT NULL,
  seen_at      INTEGER NOT NULL,
  PRIMARY KEY (address, cert_sha256)
) WITHOUT ROWID;
CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  time    INTEGER NOT NULL,
  kind    TEXT    NOT NULL,
  subject TEXT    NOT NULL,
  detail  TEXT    NOT NULL
);
)sql";

// Version 3: the quarantine. `recipients` holds one address per line (the
// store refuses control characters in addresses); `message` is the last
// column so reading the metadata never walks the blob's overflow pages.
constexpr const char* kV3 = R"sql(
CREATE TABLE quarantine (
  seq        INTEGER PRIMARY KEY,
  id         TEXT    NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  queue_id   TEXT    NOT NULL,
  sender     TEXT    NOT NULL,
  recipients TEXT    NOT NULL,
  auth_user  TEXT    NOT NULL,
  client_addr TEXT   NOT NULL,
  reason     TEXT    NOT NULL,
  size       INTEGER NOT NULL,
  sha256     TEXT    NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('held', 'released', 'deleted')),
  handled_at INTEGER NOT NULL DEFAULT 0,
  handled_by TEXT    NOT NULL DEFAULT '',
  message    BLOB    NOT NULL
);
CREATE INDEX quarantine_state ON quarantine (state, created_at);
)sql";

// Version 4: secure envelopes with a portal slot, and the portal's audit
// trail. `recipients` holds one address per line, as in the quarantine.
constexpr const char* kV4 = R"sql(
CREATE TABLE envelopes (
  seq             INTEGER PRIMARY KEY,
  id              TEXT    NOT NULL UNIQUE,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL DEFAULT 0,
  sender          TEXT    NOT NULL,
  recipients      TEXT    NOT NULL,
  portal_key_id   TEXT    NOT NULL,
  security        TEXT    NOT NULL CHECK (security IN
                    ('high', 'medium', 'none')),
  opt_reply       INTEGER NOT NULL,
  opt_reply_all   INTEGER NOT NULL,
  opt_forward     INTEGER NOT NULL,
  opt_read_receipt INTEGER NOT NULL,
  revoked_at      INTEGER NOT NULL DEFAULT 0,
  revoked_by      TEXT    NOT NULL DEFAULT '',
  revoke_reason   TEXT    NOT NULL DEFAULT '',
  first_opened_at INTEGER NOT NULL DEFAULT 0,
  open_count      INTEGER NOT NULL DEFAULT 0,
  receipt_sent_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX envelopes_created ON envelopes (created_at);
CREATE INDEX envelopes_sender ON envelopes (sender, created_at);
CREATE TABLE portal_audit (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  envelope_id TEXT    NOT NULL,
  email       TEXT    NOT NULL,
  action      TEXT    NOT NULL,
  remote_addr TEXT    NOT NULL,
  user_agent  TEXT    NOT NULL,
  detail      TEXT    NOT NULL
);
CREATE INDEX portal_audit_envelope ON portal_audit (envelope_id, id);
)sql";

// Version 5: sealportal's recipient accounts, their one-time tokens and
// login sessions. Tokens and sessions are keyed by the SHA-256 (hex) of the
// secret the recipient holds and go with their account (ON DELETE CASCADE;
// the store deletes them explicitly too).
constexpr const char* kV5 = R"sql(
CREATE TABLE portal_accounts (
  email               TEXT    PRIMARY KEY,
  password_hash       TEXT    NOT NULL,
  locale              TEXT    NOT NULL,
  created_at          INTEGER NOT NULL,
  confirmed_at        INTEGER NOT NULL DEFAULT 0,
  failed_logins       INTEGER NOT NULL DEFAULT 0,
  locked_until        INTEGER NOT NULL DEFAULT 0,
  last_login_at       INTEGER NOT NULL DEFAULT 0,
  password_changed_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE portal_tokens (
  token_hash TEXT    PRIMARY KEY,
  email      TEXT    NOT NULL
               REFERENCES portal_accounts (email) ON DELETE CASCADE,
  purpose    TEXT    NOT NULL CHECK (purpose IN ('confirm', 'reset')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX portal_tokens_email ON portal_tokens (email);
CREATE INDEX portal_tokens_expires ON portal_tokens (expires_at);
CREATE TABLE portal_sessions (
  id_hash      TEXT    PRIMARY KEY,
  email        TEXT    NOT NULL
                 REFERENCES portal_accounts (email) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  remote_addr  TEXT    NOT NULL,
  user_agent   TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX portal_sessions_email ON portal_sessions (email);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);
)sql";

// Version 6: each envelope recipient's personal passphrase
// (envelope.passphrase = "per-recipient"), sealed under the master key by
// PassphraseVault: the store holds ciphertext only. origin says who made
// it ('message': the milter, for a message; 'admin': sealctl); use_count 0
// on a 'message' one means its notice has not gone out yet.
constexpr const char* kV6 = R"sql(
CREATE TABLE recipient_passphrases (
  address      TEXT    PRIMARY KEY,
  sealed       BLOB    NOT NULL,
  origin       TEXT    NOT NULL CHECK (origin IN ('message', 'admin')),
  created_by   TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL DEFAULT 0,
  use_count    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
)sql";

Result<int64_t> QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "cannot read the database");
  int64_t value = 0;
  rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW) value = sqlite3_column_int64(raw, 0);
  Status error;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    error = SqliteError(db, rc, "cannot read the database");
  }
  sqlite3_finalize(raw);
  if (!error.ok()) return error;
  return value;
}

}  // namespace

const std::vector<Migration>& SqliteMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "certificates, addresses, domains, private keys, CRLs", kV1},
      {2, "SMIMECapabilities and audit events", kV2},
      {3, "quarantined messages", kV3},
      {4, "secure envelopes and the portal audit trail", kV4},
      {5, "portal accounts, tokens and sessions", kV5},
      {6, "personal passphrases of envelope recipients", kV6},
  };
  return kMigrations;
}

int LatestSqliteSchemaVersion() { return SqliteMigrations().back().version; }

Result<int> SqliteSchemaVersion(sqlite3* db) {
  Result<int64_t> has_table = QueryInt(
      db,
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
      "'schema_version'");
  if (!has_table.ok()) return has_table.status();
  if (*has_table == 0) return 0;
  Result<int64_t> version =
      QueryInt(db, "SELECT coalesce(max(version), 0) FROM schema_version");
  if (!version.ok()) return version.status();
  if (*version < 0 || *version > 1000000) {
    return ParseError("database schema_version is out of range");
  }
  return static_cast<int>(*version);
}

Status MigrateSqlite(sqlite3* db, int target) {
  const int latest = LatestSqliteSchemaVersion();
  if (target <= 0) target = latest;
  if (target > latest) {
    return InvalidArgumentError("no migration to schema version " +
                                std::to_string(target));
  }
  Result<Transaction> txn = Transaction::Begin(db, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();

  Result<int64_t> app_id = QueryInt(db, "PRAGMA application_id");
  if (!app_id.ok()) return app_id.status();
  if (*app_id != 0 && *app_id != kSqliteApplicationId) {
    return FailedPreconditionError(
        "the file is a SQLite database of another application, not a "
        "sealmilter store");
  }
  Result<int> version = SqliteSchemaVersion(db);
  if (!version.ok()) return version.status();
  if (*version == 0) {
    Result<int64_t> tables = QueryInt(db, "SELECT count(*) FROM sqlite_master");
    if (!tables.ok()) return tables.status();
    if (*tables != 0) {
      return FailedPreconditionError(
          "the file is a SQLite database with tables but no schema_version: "
          "not a sealmilter store");
    }
    SEAL_RETURN_IF_ERROR(
        SqliteExec(db,
                   "PRAGMA application_id = 1397047628;"
                   "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                   "INSERT INTO schema_version (version) VALUES (0);",
                   "cannot create the schema_version table"));
  }
  if (*version > latest) {
    return FailedPreconditionError(
        "database schema version " + std::to_string(*version) +
        " is newer than this sealmilter supports (" + std::to_string(latest) +
        "); upgrade sealmilter or use the matching database");
  }
  for (const Migration& m : SqliteMigrations()) {
    if (m.version <= *version || m.version > target) continue;
    SEAL_RETURN_IF_ERROR(
        SqliteExec(db, m.sql,
                   "cannot migrate the database to schema version " +
                       std::to_string(m.version)));
    std::string update =
        "UPDATE schema_version SET version = " + std::to_string(m.version) +
        ";";
    SEAL_RETURN_IF_ERROR(
        SqliteExec(db, update.c_str(), "cannot record the schema version"));
  }
  return txn->Commit();
}

}  // namespace seal::store
