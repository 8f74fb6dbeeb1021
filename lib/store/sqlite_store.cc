// SqliteStore: opening the database file safely and the SQL for each Store
// operation.
#include "lib/store/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <thread>

#include "lib/store/sqlite_schema.h"

namespace seal::store {
namespace {

// The columns ReadCertificates expects, in order.
const std::string kCertColumns =
    "SELECT c.id, c.sha256, c.der, c.subject, c.issuer, c.issuer_der, "
    "c.serial, c.ski, c.not_before, c.not_after, c.key_algorithm, c.is_ca, "
    "c.usage_flags, c.source, c.revoked, c.added_at, "
    "EXISTS (SELECT 1 FROM private_keys k WHERE k.cert_id = c.id) "
    "FROM certificates c ";

// Candidate order for "best": newest notBefore, then latest notAfter, then
// the one added last.
const std::string kBestOrder =
    " ORDER BY c.not_before DESC, c.not_after DESC, c.id DESC";

const std::string kValidAt =
    " AND c.revoked = 0 AND c.is_ca = 0 AND c.not_before <= ?2 AND "
    "c.not_after >= ?2 ";

// SQLite treats a file shorter than one page as an empty database and would
// overwrite it; anything non-empty must start with the SQLite header.
Status CheckHeader(const std::string& path, off_t size) {
  if (size == 0) return Status::Ok();
  static constexpr char kMagic[] = "SQLite format 3";  // and its NUL
  char head[sizeof kMagic] = {};
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open store " + path, errno);
  ssize_t n = pread(fd, head, sizeof head, 0);
  int err = errno;
  close(fd);
  if (n < 0) return ErrnoError("cannot read store " + path, err);
  if (static_cast<size_t>(n) != sizeof head ||
      std::memcmp(head, kMagic, sizeof kMagic) != 0) {
    return ParseError("store " + path +
                      " is not a SQLite database (bad file header)");
  }
  return Status::Ok();
}

Status PrepareFile(const std::string& path, bool create) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      return FailedPreconditionError("store " + path +
                                     " is not a regular file");
    }
    if ((st.st_mode & S_IWOTH) != 0) {
      return FailedPreconditionError("store " + path +
                                     " is writable by everyone; chmod 600 it");
    }
    return CheckHeader(path, st.st_size);
  }
  if (errno != ENOENT) return ErrnoError("cannot stat store " + path, errno);
  if (!create) return NotFoundError("store " + path + " does not exist");
  int fd = open(path.c_str(),
                O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) return Status::Ok();  // another process won the race
    if (err == ENOENT) {
      return NotFoundError("cannot create store " + path +
                           ": its directory does not exist");
    }
    return ErrnoError("cannot create store " + path, err);
  }
  close(fd);
  return Status::Ok();
}

Result<std::string> QueryText(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, sql);
  std::string out;
  rc = sqlite3_step(raw);
  Status error;
  if (rc == SQLITE_ROW) {
    const unsigned char* p = sqlite3_column_text(raw, 0);
    if (p != nullptr) out = reinterpret_cast<const char*>(p);
  } else if (rc != SQLITE_DONE) {
    error = SqliteError(db, rc, sql);
  }
  sqlite3_finalize(raw);
  if (!error.ok()) return error;
  return out;
}

// "PRAGMA journal_mode = WAL", retried while the database is locked, up to
// the busy timeout. SQLite does not always call the busy handler for this
// statement: when several connections open a brand-new database at once,
// one of them can get SQLITE_BUSY at once while another creates the schema
// (tests/unit/store/concurrency_test.cc found it under load). The first
// statement that reads the file: a non-database fails here.
Result<std::string> SwitchToWal(sqlite3* db, int busy_timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(busy_timeout_ms);
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    Result<std::string> mode = QueryText(db, "PRAGMA journal_mode = WAL");
    const int rc = sqlite3_extended_errcode(db) & 0xff;
    if (mode.ok() || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() + pause > deadline) {
      return mode;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

Status Configure(sqlite3* db, int busy_timeout_ms) {
  sqlite3_extended_result_codes(db, 1);
  int rc = sqlite3_busy_timeout(db, busy_timeout_ms);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "cannot set busy timeout");
  Result<std::string> mode = SwitchToWal(db, busy_timeout_ms);
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return IoError("cannot switch the database to WAL journaling (mode is " +
                   *mode + ")");
  }
  return SqliteExec(db,
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA synchronous = FULL;"
                    "PRAGMA secure_delete = ON;"
                    "PRAGMA trusted_schema = OFF;",
                    "cannot configure the database");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const StoreOptions& options) {
  if (options.path.empty()) return InvalidArgumentError("store path is empty");
  if (options.busy_timeout_ms < 0 || options.busy_timeout_ms > INT_MAX) {
    return InvalidArgumentError("store busy timeout out of range");
  }
  SEAL_RETURN_IF_ERROR(PrepareFile(options.path, options.create_if_missing));
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(options.path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, rc, "cannot open store " + options.path);
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, db));
  std::string context = "store " + options.path;
  Status s = Configure(db, static_cast<int>(options.busy_timeout_ms));
  if (!s.ok()) return s.WithContext(context);
  s = MigrateSqlite(db);
  if (!s.ok()) return s.WithContext(context);
  return store;
}

SqliteStore::SqliteStore(const StoreOptions& options, sqlite3* db)
    : Store(options.limits, options.clock), path_(options.path), db_(db) {}

SqliteStore::~SqliteStore() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  sqlite3_close(db_);
}

Result<int> SqliteStore::SchemaVersion() {
  std::lock_guard<std::mutex> lock(mu_);
  return SqliteSchemaVersion(db_);
}

Result<Stmt> SqliteStore::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT,
                                &raw, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(db_, rc, "cannot prepare a database statement");
    }
    it = statements_.emplace(sql, raw).first;
  }
  return Stmt(db_, it->second);
}

Result<std::vector<CertificateRecord>> SqliteStore::ReadCertificates(
    Stmt& stmt) {
  std::vector<CertificateRecord> out;
  std::vector<int64_t> ids;
  for (;;) {
    Result<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    CertificateRecord rec;
    ids.push_back(stmt.Int(0));
    rec.sha256 = stmt.Text(1);
    rec.der = stmt.Blob(2);
    rec.subject = stmt.Text(3);
    rec.issuer = stmt.Text(4);
    rec.issuer_der = stmt.Blob(5);
    rec.serial = stmt.Text(6);
    rec.ski = stmt.Text(7);
    rec.not_before = stmt.Int(8);
    rec.not_after = stmt.Int(9);
    rec.key_algorithm = stmt.Text(10);
    rec.is_ca = stmt.Int(11) != 0;
    rec.usage = static_cast<uint32_t>(stmt.Int(12));
    Result<CertSource> source = ParseCertSource(stmt.Text(13));
    if (!source.ok()) return ParseError("database holds an unknown source");
    rec.source = *source;
    rec.revoked = stmt.Int(14) != 0;
    rec.added_at = stmt.Int(15);
    rec.has_private_key = stmt.Int(16) != 0;
    out.push_back(std::move(rec));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    SEAL_RETURN_IF_ERROR(FillLists(out[i], ids[i]));
  }
  return out;
}

Status SqliteStore::FillLists(CertificateRecord& rec, int64_t id) {
  Result<Stmt> emails = Prepare(
      "SELECT email FROM certificate_emails WHERE cert_id = ?1 ORDER BY "
      "email");
  if (!emails.ok()) return emails.status();
  emails->Bind(1, id);
  for (;;) {
    Result<bool> row = emails->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    rec.emails.push_back(emails->Text(0));
  }
  Result<Stmt> domains = Prepare(
      "SELECT domain FROM certificate_domains WHERE cert_id = ?1 ORDER BY "
      "domain");
  if (!domains.ok()) return domains.status();
  domains->Bind(1, id);
  for (;;) {
    Result<bool> row = domains->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    rec.domains.push_back(domains->Text(0));
  }
  return Status::Ok();
}

Result<CertificateRecord> SqliteStore::One(
    Result<std::vector<CertificateRecord>> rows, std::string not_found) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFoundError(std::move(not_found));
  return std::move(rows->front());
}

Result<CertificateRecord> SqliteStore::LoadById(int64_t id) {
  Result<Stmt> stmt = Prepare(kCertColumns + "WHERE c.id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  return One(ReadCertificates(*stmt), "certificate vanished");
}

Result<int64_t> SqliteStore::IdOf(const std::string& sha256) {
  Result<Stmt> stmt = Prepare("SELECT id FROM certificates WHERE sha256 = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, sha256);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("no certificate " + sha256);
  return stmt->Int(0);
}

Result<bool> SqliteStore::HasKey(int64_t cert_id) {
  Result<Stmt> stmt = Prepare("SELECT 1 FROM private_keys WHERE cert_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, cert_id);
  return stmt->Step();
}

Result<CertificateRecord> SqliteStore::DoPutCertificate(
    const CertificateRecord& cert, const std::string& domain,
    const EncryptedKey* key) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  int64_t cert_id = 0;
  Result<int64_t> existing = IdOf(cert.sha256);
  if (existing.ok()) {
    cert_id = *existing;
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  } else {
    Result<Stmt> insert = Prepare(
        "INSERT INTO certificates (sha256, der, subject, issuer, issuer_der, "
        "serial, ski, not_before, not_after, key_algorithm, is_ca, "
        "usage_flags, source, revoked, added_at) VALUES (?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0, ?14)");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, cert.sha256)
        .BindBlob(2, cert.der)
        .BindText(3, cert.subject)
        .BindText(4, cert.issuer)
        .BindBlob(5, cert.issuer_der)
        .BindText(6, cert.serial)
        .BindText(7, cert.ski)
        .Bind(8, cert.not_before)
        .Bind(9, cert.not_after)
        .BindText(10, cert.key_algorithm)
        .Bind(11, cert.is_ca ? 1 : 0)
        .Bind(12, static_cast<int64_t>(cert.usage))
        .BindText(13, CertSourceName(cert.source))
        .Bind(14, cert.added_at);
    SEAL_RETURN_IF_ERROR(insert->Run());
    cert_id = sqlite3_last_insert_rowid(db_);
    for (const std::string& email : cert.emails) {
      Result<Stmt> add = Prepare(
          "INSERT OR IGNORE INTO certificate_emails (email, cert_id) VALUES "
          "(?1, ?2)");
      if (!add.ok()) return add.status();
      add->BindText(1, email).Bind(2, cert_id);
      SEAL_RETURN_IF_ERROR(add->Run());
    }
  }
  if (!domain.empty()) {
    Result<Stmt> add = Prepare(
        "INSERT OR IGNORE INTO certificate_domains (domain, cert_id) VALUES "
        "(?1, ?2)");
    if (!add.ok()) return add.status();
    add->BindText(1, domain).Bind(2, cert_id);
    SEAL_RETURN_IF_ERROR(add->Run());
  }
  if (key != nullptr) {
    Result<bool> has = HasKey(cert_id);
    if (!has.ok()) return has.status();
    if (*has) {
      return FailedPreconditionError("certificate " + cert.sha256 +
                                     " already has a private key");
    }
    Result<Stmt> add = Prepare(
        "INSERT INTO private_keys (cert_id, master_key_id, sealed, "
        "created_at) VALUES (?1, ?2, ?3, ?4)");
    if (!add.ok()) return add.status();
    add->Bind(1, cert_id)
        .BindText(2, key->master_key_id)
        .BindBlob(3, key->blob)
        .Bind(4, key->created_at);
    SEAL_RETURN_IF_ERROR(add->Run());
  }
  Result<CertificateRecord> rec = LoadById(cert_id);
  if (!rec.ok()) return rec.status();
  SEAL_RETURN_IF_ERROR(txn->Commit());
  return rec;
}

Result<CertificateRecord> SqliteStore::DoGetCertificate(
    const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kRead);
  if (!txn.ok()) return txn.status();
  Result<Stmt> stmt = Prepare(kCertColumns + "WHERE c.sha256 = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, sha256);
  return One(ReadCertificates(*stmt), "no certificate " + sha256);
}

Result<std::vector<CertificateRecord>> SqliteStore::DoListCertificates(
    const CertificateFilter& filter) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kRead);
  if (!txn.ok()) return txn.status();
  Result<Stmt> stmt = Prepare(
      kCertColumns +
      "WHERE (?1 IS NULL OR c.source = ?1) AND (?2 IS NULL OR c.id IN "
      "(SELECT cert_id FROM certificate_emails WHERE email = ?2)) AND (?3 = 0 "
      "OR EXISTS (SELECT 1 FROM private_keys k WHERE k.cert_id = c.id))" +
      kBestOrder);
  if (!stmt.ok()) return stmt.status();
  if (filter.source.has_value()) {
    stmt->BindText(1, CertSourceName(*filter.source));
  } else {
    stmt->BindNull(1);
  }
  if (!filter.address.empty()) {
    stmt->BindText(2, filter.address);
  } else {
    stmt->BindNull(2);
  }
  stmt->Bind(3, filter.with_private_key ? 1 : 0);
  return ReadCertificates(*stmt);
}

Result<CertificateRecord> SqliteStore::DoBestCertificate(
    const std::string& address, int64_t now, CertUsage usage,
    std::optional<CertSource> source) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kRead);
  if (!txn.ok()) return txn.status();
  Result<Stmt> stmt = Prepare(
      kCertColumns +
      "WHERE c.id IN (SELECT cert_id FROM certificate_emails WHERE email = "
      "?1)" +
      kValidAt +
      "AND (c.usage_flags & ?3) = ?3 AND (?4 IS NULL OR c.source = ?4)" +
      kBestOrder + " LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, address).Bind(2, now).Bind(3, static_cast<int64_t>(usage));
  if (source.has_value()) {
    stmt->BindText(4, CertSourceName(*source));
  } else {
    stmt->BindNull(4);
  }
  return One(ReadCertificates(*stmt), "no valid certificate for " + address);
}

Result<CertificateRecord> SqliteStore::DoDomainCertificate(
    const std::string& domain, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kRead);
  if (!txn.ok()) return txn.status();
  Result<Stmt> stmt = Prepare(
      kCertColumns +
      "WHERE c.id IN (SELECT cert_id FROM certificate_domains WHERE domain = "
      "?1)" +
      kValidAt + "AND (c.usage_flags & 2) = 2" + kBestOrder + " LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, domain).Bind(2, now);
  return One(ReadCertificates(*stmt),
             "no valid domain certificate for " + domain);
}

Result<std::vector<CertificateRecord>> SqliteStore::DoFindByIssuerSerial(
    const std::string& issuer_der, const std::string& serial) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kRead);
  if (!txn.ok()) return txn.status();
  Result<Stmt> stmt = Prepare(
      kCertColumns + "WHERE c.issuer_der = ?1 AND c.serial = ?2" + kBestOrder);
  if (!stmt.ok()) return stmt.status();
  stmt->BindBlob(1, issuer_der).BindText(2, serial);
  return ReadCertificates(*stmt);
}

Result<std::vector<CertificateRecord>> SqliteStore::DoFindBySki(
    const std::string& ski) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kRead);
  if (!txn.ok()) return txn.status();
  Result<Stmt> stmt = Prepare(kCertColumns + "WHERE c.ski = ?1" + kBestOrder);
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, ski);
  return ReadCertificates(*stmt);
}

Status SqliteStore::DoSetRevoked(const std::string& sha256, bool revoked) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt =
      Prepare("UPDATE certificates SET revoked = ?2 WHERE sha256 = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, sha256).Bind(2, revoked ? 1 : 0);
  SEAL_RETURN_IF_ERROR(stmt->Run());
  if (sqlite3_changes(db_) == 0) {
    return NotFoundError("no certificate " + sha256);
  }
  return Status::Ok();
}

Status SqliteStore::DoRemoveCertificate(const std::string& sha256,
                                        KeyRemoval keys) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  Result<int64_t> id = IdOf(sha256);
  if (!id.ok()) return id.status();
  Result<bool> has = HasKey(*id);
  if (!has.ok()) return has.status();
  if (*has) {
    if (keys == KeyRemoval::kRefuse) {
      return FailedPreconditionError(
          "certificate " + sha256 +
          " has a private key (mail encrypted to it could no longer be "
          "decrypted); remove it together with its key explicitly");
    }
    Result<Stmt> del = Prepare("DELETE FROM private_keys WHERE cert_id = ?1");
    if (!del.ok()) return del.status();
    del->Bind(1, *id);
    SEAL_RETURN_IF_ERROR(del->Run());
  }
  Result<Stmt> del = Prepare("DELETE FROM certificates WHERE id = ?1");
  if (!del.ok()) return del.status();
  del->Bind(1, *id);
  SEAL_RETURN_IF_ERROR(del->Run());
  return txn->Commit();
}

Status SqliteStore::DoPutPrivateKey(const std::string& cert_sha256,
                                    const EncryptedKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  Result<int64_t> id = IdOf(cert_sha256);
  if (!id.ok()) return id.status();
  Result<bool> has = HasKey(*id);
  if (!has.ok()) return has.status();
  if (*has) {
    return FailedPreconditionError("certificate " + cert_sha256 +
                                   " already has a private key");
  }
  Result<Stmt> add = Prepare(
      "INSERT INTO private_keys (cert_id, master_key_id, sealed, created_at) "
      "VALUES (?1, ?2, ?3, ?4)");
  if (!add.ok()) return add.status();
  add->Bind(1, *id)
      .BindText(2, key.master_key_id)
      .BindBlob(3, key.blob)
      .Bind(4, key.created_at);
  SEAL_RETURN_IF_ERROR(add->Run());
  return txn->Commit();
}

Result<EncryptedKey> SqliteStore::DoGetPrivateKey(
    const std::string& cert_sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "SELECT k.master_key_id, k.sealed, k.created_at FROM private_keys k "
      "JOIN certificates c ON c.id = k.cert_id WHERE c.sha256 = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, cert_sha256);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return NotFoundError("no private key for certificate " + cert_sha256);
  }
  EncryptedKey key;
  key.master_key_id = stmt->Text(0);
  key.blob = stmt->Blob(1);
  key.created_at = stmt->Int(2);
  return key;
}

namespace {

const char kCrlColumns[] =
    "SELECT der, sha256, issuer, issuer_der, this_update, next_update, "
    "added_at FROM crls ";

CrlRecord ReadCrl(const Stmt& stmt) {
  CrlRecord crl;
  crl.der = stmt.Blob(0);
  crl.sha256 = stmt.Text(1);
  crl.issuer = stmt.Text(2);
  crl.issuer_der = stmt.Blob(3);
  crl.this_update = stmt.Int(4);
  crl.next_update = stmt.Int(5);
  crl.added_at = stmt.Int(6);
  return crl;
}

}  // namespace

Result<CrlRecord> SqliteStore::DoPutCrl(const CrlRecord& crl) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    Result<Stmt> current =
        Prepare(std::string(kCrlColumns) + "WHERE issuer_der = ?1");
    if (!current.ok()) return current.status();
    current->BindBlob(1, crl.issuer_der);
    Result<bool> row = current->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      CrlRecord stored = ReadCrl(*current);
      if (stored.this_update > crl.this_update) return stored;
    }
  }
  Result<Stmt> put = Prepare(
      "INSERT INTO crls (issuer_der, issuer, this_update, next_update, "
      "sha256, der, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON "
      "CONFLICT (issuer_der) DO UPDATE SET issuer = excluded.issuer, "
      "this_update = excluded.this_update, next_update = "
      "excluded.next_update, sha256 = excluded.sha256, der = excluded.der, "
      "added_at = excluded.added_at");
  if (!put.ok()) return put.status();
  put->BindBlob(1, crl.issuer_der)
      .BindText(2, crl.issuer)
      .Bind(3, crl.this_update)
      .Bind(4, crl.next_update)
      .BindText(5, crl.sha256)
      .BindBlob(6, crl.der)
      .Bind(7, crl.added_at);
  SEAL_RETURN_IF_ERROR(put->Run());
  SEAL_RETURN_IF_ERROR(txn->Commit());
  return crl;
}

Result<CrlRecord> SqliteStore::DoGetCrl(const std::string& issuer_der) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt =
      Prepare(std::string(kCrlColumns) + "WHERE issuer_der = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindBlob(1, issuer_der);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("no CRL for that issuer");
  return ReadCrl(*stmt);
}

Result<std::vector<CrlRecord>> SqliteStore::DoListCrls() {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(std::string(kCrlColumns) + "ORDER BY issuer");
  if (!stmt.ok()) return stmt.status();
  std::vector<CrlRecord> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadCrl(*stmt));
  }
  return out;
}

Status SqliteStore::DoRemoveCrl(const std::string& issuer_der) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare("DELETE FROM crls WHERE issuer_der = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindBlob(1, issuer_der);
  SEAL_RETURN_IF_ERROR(stmt->Run());
  if (sqlite3_changes(db_) == 0) return NotFoundError("no CRL for that issuer");
  return Status::Ok();
}

Status SqliteStore::DoPutCapabilities(const CapabilitiesRecord& caps) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "INSERT INTO smime_capabilities (address, cert_sha256, capabilities, "
      "flags, seen_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (address, "
      "cert_sha256) DO UPDATE SET capabilities = excluded.capabilities, "
      "flags = excluded.flags, seen_at = excluded.seen_at WHERE "
      "excluded.seen_at >= smime_capabilities.seen_at");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, caps.address)
      .BindText(2, caps.cert_sha256)
      .BindBlob(3, caps.blob)
      .Bind(4, static_cast<int64_t>(caps.flags))
      .Bind(5, caps.seen_at);
  return stmt->Run();
}

Result<CapabilitiesRecord> SqliteStore::DoCapabilitiesFor(
    const std::string& address, const std::string& cert_sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "SELECT address, cert_sha256, capabilities, flags, seen_at FROM "
      "smime_capabilities WHERE address = ?1 AND (?2 IS NULL OR cert_sha256 "
      "= ?2) ORDER BY seen_at DESC, cert_sha256 LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, address);
  if (cert_sha256.empty()) {
    stmt->BindNull(2);
  } else {
    stmt->BindText(2, cert_sha256);
  }
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("no SMIMECapabilities for " + address);
  CapabilitiesRecord caps;
  caps.address = stmt->Text(0);
  caps.cert_sha256 = stmt->Text(1);
  caps.blob = stmt->Blob(2);
  caps.flags = static_cast<uint64_t>(stmt->Int(3));
  caps.seen_at = stmt->Int(4);
  return caps;
}

Status SqliteStore::DoRecordEvent(const EventRecord& event) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "INSERT INTO events (time, kind, subject, detail) VALUES (?1, ?2, ?3, "
      "?4)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, event.time)
      .BindText(2, event.kind)
      .BindText(3, event.subject)
      .BindText(4, event.detail);
  return stmt->Run();
}

Result<std::vector<EventRecord>> SqliteStore::DoRecentEvents(size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "SELECT id, time, kind, subject, detail FROM events ORDER BY id DESC "
      "LIMIT ?1");
  if (!stmt.ok()) return stmt.status();
  constexpr size_t kMaxEvents = 1000000;
  stmt->Bind(1, static_cast<int64_t>(std::min(limit, kMaxEvents)));
  std::vector<EventRecord> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    EventRecord e;
    e.id = stmt->Int(0);
    e.time = stmt->Int(1);
    e.kind = stmt->Text(2);
    e.subject = stmt->Text(3);
    e.detail = stmt->Text(4);
    out.push_back(std::move(e));
  }
  return out;
}

// --- Quarantine ------------------------------------------------------------

namespace {

const char kQuarantineColumns[] =
    "SELECT id, created_at, queue_id, sender, recipients, reason, size, "
    "sha256, state, handled_at, handled_by, auth_user, client_addr";

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

Result<QuarantineRecord> ReadQuarantine(const Stmt& stmt) {
  QuarantineRecord rec;
  rec.id = stmt.Text(0);
  rec.created_at = stmt.Int(1);
  rec.queue_id = stmt.Text(2);
  rec.sender = stmt.Text(3);
  rec.recipients = SplitLines(stmt.Text(4));
  rec.reason = stmt.Text(5);
  rec.size = static_cast<uint64_t>(stmt.Int(6));
  rec.sha256 = stmt.Text(7);
  Result<QuarantineState> state = ParseQuarantineState(stmt.Text(8));
  if (!state.ok()) {
    return ParseError("database holds an unknown quarantine state");
  }
  rec.state = *state;
  rec.handled_at = stmt.Int(9);
  rec.handled_by = stmt.Text(10);
  rec.auth_user = stmt.Text(11);
  rec.client_addr = stmt.Text(12);
  return rec;
}

}  // namespace

Status SqliteStore::DoPutQuarantine(const QuarantineRecord& rec,
                                    std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "INSERT INTO quarantine (id, created_at, queue_id, sender, recipients, "
      "reason, size, sha256, state, message, auth_user, client_addr) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!stmt.ok()) return stmt.status();
  std::string recipients = JoinLines(rec.recipients);
  stmt->BindText(1, rec.id)
      .Bind(2, rec.created_at)
      .BindText(3, rec.queue_id)
      .BindText(4, rec.sender)
      .BindText(5, recipients)
      .BindText(6, rec.reason)
      .Bind(7, static_cast<int64_t>(rec.size))
      .BindText(8, rec.sha256)
      .BindText(9, QuarantineStateName(rec.state))
      .BindBlob(10, message)
      .BindText(11, rec.auth_user)
      .BindText(12, rec.client_addr);
  return stmt->Run();
}

Result<QuarantineRecord> SqliteStore::DoGetQuarantine(const std::string& id,
                                                      bool with_message) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(std::string(kQuarantineColumns) +
                              (with_message ? ", message" : "") +
                              " FROM quarantine WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, id);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("no quarantined message " + id);
  Result<QuarantineRecord> rec = ReadQuarantine(*stmt);
  if (rec.ok() && with_message) rec->message = stmt->Blob(13);
  return rec;
}

Result<std::vector<QuarantineRecord>> SqliteStore::DoListQuarantine(
    const QuarantineFilter& filter) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      std::string(kQuarantineColumns) +
      " FROM quarantine WHERE (?1 IS NULL OR state = ?1) ORDER BY created_at "
      "DESC, seq DESC LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  if (filter.state.has_value()) {
    stmt->BindText(1, QuarantineStateName(*filter.state));
  } else {
    stmt->BindNull(1);
  }
  constexpr size_t kMaxRows = 10000000;
  size_t limit =
      filter.limit == 0 ? kMaxRows : std::min(filter.limit, kMaxRows);
  stmt->Bind(2, static_cast<int64_t>(limit));
  std::vector<QuarantineRecord> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Result<QuarantineRecord> rec = ReadQuarantine(*stmt);
    if (!rec.ok()) return rec.status();
    out.push_back(std::move(*rec));
  }
  return out;
}

Status SqliteStore::DoSetQuarantineState(const std::string& id,
                                         std::vector<QuarantineState> from,
                                         QuarantineState to, int64_t at,
                                         const std::string& by) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    Result<Stmt> current =
        Prepare("SELECT state FROM quarantine WHERE id = ?1");
    if (!current.ok()) return current.status();
    current->BindText(1, id);
    Result<bool> row = current->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFoundError("no quarantined message " + id);
    std::string state = current->Text(0);
    bool allowed = std::any_of(
        from.begin(), from.end(),
        [&](QuarantineState s) { return QuarantineStateName(s) == state; });
    if (!allowed) {
      return FailedPreconditionError("quarantined message " + id +
                                     " is already " + state);
    }
  }
  Result<Stmt> update = Prepare(
      "UPDATE quarantine SET state = ?2, handled_at = ?3, handled_by = ?4, "
      "message = CASE WHEN ?5 THEN x'' ELSE message END WHERE id = ?1");
  if (!update.ok()) return update.status();
  update->BindText(1, id)
      .BindText(2, QuarantineStateName(to))
      .Bind(3, at)
      .BindText(4, by)
      .Bind(5, to == QuarantineState::kDeleted ? 1 : 0);
  SEAL_RETURN_IF_ERROR(update->Run());
  return txn->Commit();
}

}  // namespace seal::store
