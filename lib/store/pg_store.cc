// PgStore: the connection pool and the SQL for each Store operation.
#include "lib/store/pg_store.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "lib/store/pg_run.h"
#include "lib/store/pg_schema.h"

namespace seal::store {
namespace {

// The columns ReadCertificates expects, in order; emails and domains come
// along in the same statement (one snapshot, one round trip).
const std::string kCertColumns =
    "SELECT c.id, c.sha256, c.der, c.subject, c.issuer, c.issuer_der, "
    "c.serial, c.ski, c.not_before, c.not_after, c.key_algorithm, c.is_ca, "
    "c.usage_flags, c.source, c.revoked, c.added_at, "
    "EXISTS (SELECT 1 FROM private_keys k WHERE k.cert_id = c.id), "
    "coalesce((SELECT string_agg(e.email, E'\\n' ORDER BY e.email COLLATE "
    "\"C\") FROM certificate_emails e WHERE e.cert_id = c.id), ''), "
    "coalesce((SELECT string_agg(d.domain, E'\\n' ORDER BY d.domain COLLATE "
    "\"C\") FROM certificate_domains d WHERE d.cert_id = c.id), '') "
    "FROM certificates c ";

// Candidate order for "best": newest notBefore, then latest notAfter, then
// the one added last.
const std::string kBestOrder =
    " ORDER BY c.not_before DESC, c.not_after DESC, c.id DESC";

const std::string kValidAt =
    " AND NOT c.revoked AND NOT c.is_ca AND c.not_before <= $2 AND "
    "c.not_after >= $2 ";

constexpr int64_t kMaxPoolSize = 64;

// Lines of a '\n'-joined list; "" is the empty list.
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

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

Result<std::vector<CertificateRecord>> ReadCertificates(const PgRows& rows) {
  std::vector<CertificateRecord> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int r = 0; r < rows.size(); ++r) {
    CertificateRecord rec;
    rec.sha256 = rows.Text(r, 1);
    rec.der = rows.Bytes(r, 2);
    rec.subject = rows.Text(r, 3);
    rec.issuer = rows.Text(r, 4);
    rec.issuer_der = rows.Bytes(r, 5);
    rec.serial = rows.Text(r, 6);
    rec.ski = rows.Text(r, 7);
    rec.not_before = rows.Int(r, 8);
    rec.not_after = rows.Int(r, 9);
    rec.key_algorithm = rows.Text(r, 10);
    rec.is_ca = rows.Bool(r, 11);
    rec.usage = static_cast<uint32_t>(rows.Int(r, 12));
    Result<CertSource> source = ParseCertSource(rows.Text(r, 13));
    if (!source.ok()) return ParseError("database holds an unknown source");
    rec.source = *source;
    rec.revoked = rows.Bool(r, 14);
    rec.added_at = rows.Int(r, 15);
    rec.has_private_key = rows.Bool(r, 16);
    rec.emails = SplitLines(rows.Text(r, 17));
    rec.domains = SplitLines(rows.Text(r, 18));
    out.push_back(std::move(rec));
  }
  return out;
}

Result<CertificateRecord> One(Result<std::vector<CertificateRecord>> rows,
                              std::string not_found) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFoundError(std::move(not_found));
  return std::move(rows->front());
}

Result<CertificateRecord> QueryOne(PgConn& conn, const std::string& sql,
                                   const PgParams& params,
                                   std::string not_found) {
  Result<PgRows> rows = conn.Exec(sql, params, "cannot read certificates");
  if (!rows.ok()) return rows.status();
  return One(ReadCertificates(*rows), std::move(not_found));
}

Result<std::vector<CertificateRecord>> QueryAll(PgConn& conn,
                                                const std::string& sql,
                                                const PgParams& params) {
  Result<PgRows> rows = conn.Exec(sql, params, "cannot read certificates");
  if (!rows.ok()) return rows.status();
  return ReadCertificates(*rows);
}

// The id of a certificate, locked against removal (FOR SHARE) or for it
// (FOR UPDATE) until the transaction ends. kNotFound when absent.
Result<int64_t> LockedIdOf(PgConn& conn, const std::string& sha256,
                           const char* lock) {
  std::string sql =
      std::string("SELECT id FROM certificates WHERE sha256 = $1 ") + lock;
  Result<PgRows> rows =
      conn.Exec(sql, PgParams().Text(sha256), "cannot read certificates");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFoundError("no certificate " + sha256);
  return rows->Int(0, 0);
}

// Inserts a key for `cert_id`; kFailedPrecondition when it has one.
Status InsertKey(PgConn& conn, int64_t cert_id, const std::string& sha256,
                 const EncryptedKey& key) {
  Result<PgRows> added = conn.Exec(
      "INSERT INTO private_keys (cert_id, master_key_id, sealed, created_at) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (cert_id) DO NOTHING",
      PgParams()
          .Int(cert_id)
          .Text(key.master_key_id)
          .Bytes(key.blob)
          .Int(key.created_at),
      "cannot store the private key");
  if (!added.ok()) return added.status();
  if (added->affected() == 0) {
    return FailedPreconditionError("certificate " + sha256 +
                                   " already has a private key");
  }
  return Status::Ok();
}

}  // namespace

// --- Opening and the pool ----------------------------------------------

Result<std::unique_ptr<PgStore>> PgStore::Open(const StoreOptions& options) {
  Result<std::string> describe = DescribeConninfo(options.conninfo);
  if (!describe.ok()) return describe.status();
  if (options.busy_timeout_ms < 0 || options.busy_timeout_ms > INT32_MAX) {
    return InvalidArgumentError("store busy timeout out of range");
  }
  if (options.pool_size < 1 || options.pool_size > kMaxPoolSize) {
    return InvalidArgumentError("store pool size must be 1 to " +
                                std::to_string(kMaxPoolSize));
  }
  std::unique_ptr<PgStore> store(new PgStore(options, *describe));
  bool reused = false;
  Result<std::unique_ptr<PgConn>> conn = store->Checkout(reused);
  if (!conn.ok()) return conn.status();
  Status migrated = MigratePg(**conn);
  store->Return(std::move(*conn));
  if (!migrated.ok()) {
    return migrated.WithContext("store PostgreSQL (" + *describe + ")");
  }
  return store;
}

PgStore::PgStore(const StoreOptions& options, std::string describe)
    : Store(options.limits, options.clock),
      conninfo_(options.conninfo),
      describe_(std::move(describe)),
      busy_timeout_ms_(options.busy_timeout_ms),
      pool_size_(static_cast<size_t>(options.pool_size)) {}

PgStore::~PgStore() {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.clear();
}

size_t PgStore::OpenConnections() {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

Result<std::unique_ptr<PgConn>> PgStore::Checkout(bool& reused) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    bool ready = freed_.wait_for(
        lock, std::chrono::milliseconds(busy_timeout_ms_),
        [this] { return !idle_.empty() || open_ < pool_size_; });
    if (!ready) {
      return UnavailableError("all " + std::to_string(pool_size_) +
                              " connections to PostgreSQL (" + describe_ +
                              ") stayed busy past the store busy timeout");
    }
    if (!idle_.empty()) {
      std::unique_ptr<PgConn> conn = std::move(idle_.back());
      idle_.pop_back();
      reused = true;
      return conn;
    }
    ++open_;
  }
  reused = false;
  Result<std::unique_ptr<PgConn>> conn =
      PgConn::Connect(conninfo_, describe_, busy_timeout_ms_);
  if (!conn.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    freed_.notify_one();
  }
  return conn;
}

void PgStore::Return(std::unique_ptr<PgConn> conn) {
  std::vector<std::unique_ptr<PgConn>> dropped;  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn->idle()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
      if (conn->broken()) {
        // The server went away: the idle ones are most likely dead too.
        open_ -= idle_.size();
        dropped = std::move(idle_);
        idle_.clear();
      }
      dropped.push_back(std::move(conn));
    }
    freed_.notify_all();
  }
}

template <typename F>
Status PgStore::RunStatus(F&& fn) {
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Status s = fn(c);
    if (!s.ok()) return s;
    return true;
  });
  return r.ok() ? Status::Ok() : r.status();
}

Result<int> PgStore::SchemaVersion() {
  return Run<int>([](PgConn& c) { return PgSchemaVersion(c); });
}

// --- Certificates ------------------------------------------------------

Result<CertificateRecord> PgStore::DoPutCertificate(
    const CertificateRecord& cert, const std::string& domain,
    const EncryptedKey* key) {
  return Run<CertificateRecord>([&](PgConn& c) -> Result<CertificateRecord> {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    // A concurrent insert of the same certificate makes this wait for
    // the other transaction, then do nothing.
    Result<PgRows> inserted = c.Exec(
        "INSERT INTO certificates (sha256, der, subject, issuer, "
        "issuer_der, serial, ski, not_before, not_after, key_algorithm, "
        "is_ca, usage_flags, source, revoked, added_at) VALUES ($1, $2, "
        "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, false, $14) ON "
        "CONFLICT (sha256) DO NOTHING RETURNING id",
        PgParams()
            .Text(cert.sha256)
            .Bytes(cert.der)
            .Text(cert.subject)
            .Text(cert.issuer)
            .Bytes(cert.issuer_der)
            .Text(cert.serial)
            .Text(cert.ski)
            .Int(cert.not_before)
            .Int(cert.not_after)
            .Text(cert.key_algorithm)
            .Bool(cert.is_ca)
            .Int(static_cast<int64_t>(cert.usage))
            .Text(CertSourceName(cert.source))
            .Int(cert.added_at),
        "cannot store the certificate");
    if (!inserted.ok()) return inserted.status();
    int64_t cert_id = 0;
    if (!inserted->empty()) {
      cert_id = inserted->Int(0, 0);
      for (const std::string& email : cert.emails) {
        Result<PgRows> add = c.Exec(
            "INSERT INTO certificate_emails (email, cert_id) VALUES ($1, "
            "$2) ON CONFLICT DO NOTHING",
            PgParams().Text(email).Int(cert_id),
            "cannot store the certificate's addresses");
        if (!add.ok()) return add.status();
      }
    } else {
      Result<int64_t> id = LockedIdOf(c, cert.sha256, "FOR SHARE");
      if (!id.ok()) return id.status();
      cert_id = *id;
    }
    if (!domain.empty()) {
      Result<PgRows> add = c.Exec(
          "INSERT INTO certificate_domains (domain, cert_id) VALUES ($1, "
          "$2) ON CONFLICT DO NOTHING",
          PgParams().Text(domain).Int(cert_id),
          "cannot store the certificate's domain");
      if (!add.ok()) return add.status();
    }
    if (key != nullptr) {
      SEAL_RETURN_IF_ERROR(InsertKey(c, cert_id, cert.sha256, *key));
    }
    Result<CertificateRecord> rec =
        QueryOne(c, kCertColumns + "WHERE c.id = $1", PgParams().Int(cert_id),
                 "certificate vanished");
    if (!rec.ok()) return rec.status();
    SEAL_RETURN_IF_ERROR(txn->Commit());
    return rec;
  });
}

Result<CertificateRecord> PgStore::DoGetCertificate(const std::string& sha256) {
  return Run<CertificateRecord>([&](PgConn& c) {
    return QueryOne(c, kCertColumns + "WHERE c.sha256 = $1",
                    PgParams().Text(sha256), "no certificate " + sha256);
  });
}

Result<std::vector<CertificateRecord>> PgStore::DoListCertificates(
    const CertificateFilter& filter) {
  return Run<std::vector<CertificateRecord>>([&](PgConn& c) {
    PgParams params;
    if (filter.source.has_value()) {
      params.Text(CertSourceName(*filter.source));
    } else {
      params.NullText();
    }
    if (!filter.address.empty()) {
      params.Text(filter.address);
    } else {
      params.NullText();
    }
    params.Bool(filter.with_private_key);
    return QueryAll(
        c,
        kCertColumns +
            "WHERE ($1::text IS NULL OR c.source = $1) AND ($2::text IS NULL "
            "OR c.id IN (SELECT cert_id FROM certificate_emails WHERE email = "
            "$2)) AND (NOT $3::boolean OR EXISTS (SELECT 1 FROM private_keys "
            "k WHERE k.cert_id = c.id))" +
            kBestOrder,
        params);
  });
}

Result<CertificateRecord> PgStore::DoBestCertificate(
    const std::string& address, int64_t now, CertUsage usage,
    std::optional<CertSource> source) {
  return Run<CertificateRecord>([&](PgConn& c) {
    PgParams params;
    params.Text(address).Int(now).Int(static_cast<int64_t>(usage));
    if (source.has_value()) {
      params.Text(CertSourceName(*source));
    } else {
      params.NullText();
    }
    return QueryOne(
        c,
        kCertColumns +
            "WHERE c.id IN (SELECT cert_id FROM certificate_emails WHERE "
            "email = $1)" +
            kValidAt +
            "AND (c.usage_flags & $3) = $3 AND ($4::text IS NULL OR c.source "
            "= $4)" +
            kBestOrder + " LIMIT 1",
        params, "no valid certificate for " + address);
  });
}

Result<CertificateRecord> PgStore::DoDomainCertificate(
    const std::string& domain, int64_t now) {
  return Run<CertificateRecord>([&](PgConn& c) {
    return QueryOne(
        c,
        kCertColumns +
            "WHERE c.id IN (SELECT cert_id FROM certificate_domains WHERE "
            "domain = $1)" +
            kValidAt + "AND (c.usage_flags & 2) = 2" + kBestOrder + " LIMIT 1",
        PgParams().Text(domain).Int(now),
        "no valid domain certificate for " + domain);
  });
}

Result<std::vector<CertificateRecord>> PgStore::DoFindByIssuerSerial(
    const std::string& issuer_der, const std::string& serial) {
  return Run<std::vector<CertificateRecord>>([&](PgConn& c) {
    return QueryAll(
        c,
        kCertColumns + "WHERE c.issuer_der = $1 AND c.serial = $2" + kBestOrder,
        PgParams().Bytes(issuer_der).Text(serial));
  });
}

Result<std::vector<CertificateRecord>> PgStore::DoFindBySki(
    const std::string& ski) {
  return Run<std::vector<CertificateRecord>>([&](PgConn& c) {
    return QueryAll(c, kCertColumns + "WHERE c.ski = $1" + kBestOrder,
                    PgParams().Text(ski));
  });
}

Status PgStore::DoSetRevoked(const std::string& sha256, bool revoked) {
  return RunStatus([&](PgConn& c) -> Status {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<PgRows> updated = c.Exec(
        "UPDATE certificates SET revoked = $2 WHERE sha256 = $1",
        PgParams().Text(sha256).Bool(revoked), "cannot mark the certificate");
    if (!updated.ok()) return updated.status();
    if (updated->affected() == 0) {
      return NotFoundError("no certificate " + sha256);
    }
    return txn->Commit();
  });
}

Status PgStore::DoRemoveCertificate(const std::string& sha256,
                                    KeyRemoval keys) {
  return RunStatus([&](PgConn& c) -> Status {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<int64_t> id = LockedIdOf(c, sha256, "FOR UPDATE");
    if (!id.ok()) return id.status();
    if (keys == KeyRemoval::kRefuse) {
      Result<PgRows> has =
          c.Exec("SELECT 1 FROM private_keys WHERE cert_id = $1",
                 PgParams().Int(*id), "cannot read private keys");
      if (!has.ok()) return has.status();
      if (!has->empty()) {
        return FailedPreconditionError(
            "certificate " + sha256 +
            " has a private key (mail encrypted to it could no longer be "
            "decrypted); remove it together with its key explicitly");
      }
    } else {
      Result<PgRows> del =
          c.Exec("DELETE FROM private_keys WHERE cert_id = $1",
                 PgParams().Int(*id), "cannot delete the private key");
      if (!del.ok()) return del.status();
    }
    Result<PgRows> del =
        c.Exec("DELETE FROM certificates WHERE id = $1", PgParams().Int(*id),
               "cannot delete the certificate");
    if (!del.ok()) return del.status();
    return txn->Commit();
  });
}

// --- Private keys ------------------------------------------------------

Status PgStore::DoPutPrivateKey(const std::string& cert_sha256,
                                const EncryptedKey& key) {
  return RunStatus([&](PgConn& c) -> Status {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<int64_t> id = LockedIdOf(c, cert_sha256, "FOR SHARE");
    if (!id.ok()) return id.status();
    SEAL_RETURN_IF_ERROR(InsertKey(c, *id, cert_sha256, key));
    return txn->Commit();
  });
}

Result<EncryptedKey> PgStore::DoGetPrivateKey(const std::string& cert_sha256) {
  return Run<EncryptedKey>([&](PgConn& c) -> Result<EncryptedKey> {
    Result<PgRows> rows = c.Exec(
        "SELECT k.master_key_id, k.sealed, k.created_at FROM private_keys k "
        "JOIN certificates c ON c.id = k.cert_id WHERE c.sha256 = $1",
        PgParams().Text(cert_sha256), "cannot read the private key");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) {
      return NotFoundError("no private key for certificate " + cert_sha256);
    }
    EncryptedKey key;
    key.master_key_id = rows->Text(0, 0);
    key.blob = rows->Bytes(0, 1);
    key.created_at = rows->Int(0, 2);
    return key;
  });
}

// --- CRLs --------------------------------------------------------------

namespace {

const char kCrlColumns[] =
    "SELECT der, sha256, issuer, issuer_der, this_update, next_update, "
    "added_at FROM crls ";

CrlRecord ReadCrl(const PgRows& rows, int r) {
  CrlRecord crl;
  crl.der = rows.Bytes(r, 0);
  crl.sha256 = rows.Text(r, 1);
  crl.issuer = rows.Text(r, 2);
  crl.issuer_der = rows.Bytes(r, 3);
  crl.this_update = rows.Int(r, 4);
  crl.next_update = rows.Int(r, 5);
  crl.added_at = rows.Int(r, 6);
  return crl;
}

}  // namespace

Result<CrlRecord> PgStore::DoPutCrl(const CrlRecord& crl) {
  return Run<CrlRecord>([&](PgConn& c) -> Result<CrlRecord> {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    // One statement decides: replace unless the stored one is newer.
    Result<PgRows> put = c.Exec(
        "INSERT INTO crls (issuer_der, issuer, this_update, next_update, "
        "sha256, der, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON "
        "CONFLICT (issuer_key) DO UPDATE SET issuer_der = excluded.issuer_der, "
        "issuer = excluded.issuer, this_update = excluded.this_update, "
        "next_update = excluded.next_update, sha256 = excluded.sha256, der = "
        "excluded.der, added_at = excluded.added_at WHERE crls.this_update <= "
        "excluded.this_update RETURNING id",
        PgParams()
            .Bytes(crl.issuer_der)
            .Text(crl.issuer)
            .Int(crl.this_update)
            .Int(crl.next_update)
            .Text(crl.sha256)
            .Bytes(crl.der)
            .Int(crl.added_at),
        "cannot store the CRL");
    if (!put.ok()) return put.status();
    if (put->empty()) {
      Result<PgRows> stored =
          c.Exec(std::string(kCrlColumns) + "WHERE issuer_key = sha256($1)",
                 PgParams().Bytes(crl.issuer_der), "cannot read the CRL");
      if (!stored.ok()) return stored.status();
      if (stored->empty()) return InternalError("stored CRL vanished");
      CrlRecord kept = ReadCrl(*stored, 0);
      SEAL_RETURN_IF_ERROR(txn->Commit());
      return kept;
    }
    SEAL_RETURN_IF_ERROR(txn->Commit());
    return crl;
  });
}

Result<CrlRecord> PgStore::DoGetCrl(const std::string& issuer_der) {
  return Run<CrlRecord>([&](PgConn& c) -> Result<CrlRecord> {
    Result<PgRows> rows =
        c.Exec(std::string(kCrlColumns) +
                   "WHERE issuer_key = sha256($1) AND issuer_der = $1",
               PgParams().Bytes(issuer_der), "cannot read the CRL");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NotFoundError("no CRL for that issuer");
    return ReadCrl(*rows, 0);
  });
}

Result<std::vector<CrlRecord>> PgStore::DoListCrls() {
  return Run<std::vector<CrlRecord>>(
      [&](PgConn& c) -> Result<std::vector<CrlRecord>> {
        Result<PgRows> rows = c.Exec(
            std::string(kCrlColumns) + "ORDER BY issuer COLLATE \"C\", id",
            PgParams(), "cannot read CRLs");
        if (!rows.ok()) return rows.status();
        std::vector<CrlRecord> out;
        for (int r = 0; r < rows->size(); ++r) out.push_back(ReadCrl(*rows, r));
        return out;
      });
}

Status PgStore::DoRemoveCrl(const std::string& issuer_der) {
  return RunStatus([&](PgConn& c) -> Status {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<PgRows> del = c.Exec(
        "DELETE FROM crls WHERE issuer_key = sha256($1) AND issuer_der = $1",
        PgParams().Bytes(issuer_der), "cannot delete the CRL");
    if (!del.ok()) return del.status();
    if (del->affected() == 0) return NotFoundError("no CRL for that issuer");
    return txn->Commit();
  });
}

// --- SMIMECapabilities and events --------------------------------------

Status PgStore::DoPutCapabilities(const CapabilitiesRecord& caps) {
  return RunStatus([&](PgConn& c) -> Status {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<PgRows> put = c.Exec(
        "INSERT INTO smime_capabilities (address, cert_sha256, capabilities, "
        "flags, seen_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (address, "
        "cert_sha256) DO UPDATE SET capabilities = excluded.capabilities, "
        "flags = excluded.flags, seen_at = excluded.seen_at WHERE "
        "excluded.seen_at >= smime_capabilities.seen_at",
        PgParams()
            .Text(caps.address)
            .Text(caps.cert_sha256)
            .Bytes(caps.blob)
            .Int(static_cast<int64_t>(caps.flags))
            .Int(caps.seen_at),
        "cannot store SMIMECapabilities");
    if (!put.ok()) return put.status();
    return txn->Commit();
  });
}

Result<CapabilitiesRecord> PgStore::DoCapabilitiesFor(
    const std::string& address, const std::string& cert_sha256) {
  return Run<CapabilitiesRecord>([&](PgConn& c) -> Result<CapabilitiesRecord> {
    PgParams params;
    params.Text(address);
    if (cert_sha256.empty()) {
      params.NullText();
    } else {
      params.Text(cert_sha256);
    }
    Result<PgRows> rows = c.Exec(
        "SELECT address, cert_sha256, capabilities, flags, seen_at FROM "
        "smime_capabilities WHERE address = $1 AND ($2::text IS NULL OR "
        "cert_sha256 = $2) ORDER BY seen_at DESC, cert_sha256 COLLATE \"C\" "
        "LIMIT 1",
        params, "cannot read SMIMECapabilities");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) {
      return NotFoundError("no SMIMECapabilities for " + address);
    }
    CapabilitiesRecord caps;
    caps.address = rows->Text(0, 0);
    caps.cert_sha256 = rows->Text(0, 1);
    caps.blob = rows->Bytes(0, 2);
    caps.flags = static_cast<uint64_t>(rows->Int(0, 3));
    caps.seen_at = rows->Int(0, 4);
    return caps;
  });
}

Status PgStore::DoRecordEvent(const EventRecord& event) {
  return RunStatus([&](PgConn& c) -> Status {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<PgRows> put = c.Exec(
        "INSERT INTO events (time, kind, subject, detail) VALUES ($1, $2, $3, "
        "$4)",
        PgParams()
            .Int(event.time)
            .Text(event.kind)
            .Text(event.subject)
            .Text(event.detail),
        "cannot record the event");
    if (!put.ok()) return put.status();
    return txn->Commit();
  });
}

Result<std::vector<EventRecord>> PgStore::DoRecentEvents(size_t limit) {
  constexpr size_t kMaxEvents = 1000000;
  const auto n = static_cast<int64_t>(std::min(limit, kMaxEvents));
  return Run<std::vector<EventRecord>>(
      [&](PgConn& c) -> Result<std::vector<EventRecord>> {
        Result<PgRows> rows = c.Exec(
            "SELECT id, time, kind, subject, detail FROM events ORDER BY id "
            "DESC LIMIT $1",
            PgParams().Int(n), "cannot read events");
        if (!rows.ok()) return rows.status();
        std::vector<EventRecord> out;
        for (int r = 0; r < rows->size(); ++r) {
          EventRecord e;
          e.id = rows->Int(r, 0);
          e.time = rows->Int(r, 1);
          e.kind = rows->Text(r, 2);
          e.subject = rows->Text(r, 3);
          e.detail = rows->Text(r, 4);
          out.push_back(std::move(e));
        }
        return out;
      });
}

// --- Quarantine --------------------------------------------------------

namespace {

const char kQuarantineColumns[] =
    "SELECT id, created_at, queue_id, sender, recipients, reason, size, "
    "sha256, state, handled_at, handled_by, auth_user, client_addr";

Result<QuarantineRecord> ReadQuarantine(const PgRows& rows, int r) {
  QuarantineRecord rec;
  rec.id = rows.Text(r, 0);
  rec.created_at = rows.Int(r, 1);
  rec.queue_id = rows.Text(r, 2);
  rec.sender = rows.Text(r, 3);
  rec.recipients = SplitLines(rows.Text(r, 4));
  rec.reason = rows.Text(r, 5);
  rec.size = static_cast<uint64_t>(rows.Int(r, 6));
  rec.sha256 = rows.Text(r, 7);
  Result<QuarantineState> state = ParseQuarantineState(rows.Text(r, 8));
  if (!state.ok()) {
    return ParseError("database holds an unknown quarantine state");
  }
  rec.state = *state;
  rec.handled_at = rows.Int(r, 9);
  rec.handled_by = rows.Text(r, 10);
  rec.auth_user = rows.Text(r, 11);
  rec.client_addr = rows.Text(r, 12);
  return rec;
}

}  // namespace

Status PgStore::DoPutQuarantine(const QuarantineRecord& rec,
                                std::string_view message) {
  const std::string recipients = JoinLines(rec.recipients);
  return RunStatus([&](PgConn& c) -> Status {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<PgRows> put = c.Exec(
        "INSERT INTO quarantine (id, created_at, queue_id, sender, "
        "recipients, reason, size, sha256, state, message, auth_user, "
        "client_addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
        "$12)",
        PgParams()
            .Text(rec.id)
            .Int(rec.created_at)
            .Text(rec.queue_id)
            .Text(rec.sender)
            .Text(recipients)
            .Text(rec.reason)
            .Int(static_cast<int64_t>(rec.size))
            .Text(rec.sha256)
            .Text(QuarantineStateName(rec.state))
            .Bytes(message)
            .Text(rec.auth_user)
            .Text(rec.client_addr),
        "cannot store the quarantined message");
    if (!put.ok()) return put.status();
    return txn->Commit();
  });
}

Result<QuarantineRecord> PgStore::DoGetQuarantine(const std::string& id,
                                                  bool with_message) {
  return Run<QuarantineRecord>([&](PgConn& c) -> Result<QuarantineRecord> {
    Result<PgRows> rows = c.Exec(
        std::string(kQuarantineColumns) + (with_message ? ", message" : "") +
            " FROM quarantine WHERE id = $1",
        PgParams().Text(id), "cannot read the quarantine");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NotFoundError("no quarantined message " + id);
    Result<QuarantineRecord> rec = ReadQuarantine(*rows, 0);
    if (rec.ok() && with_message) rec->message = rows->Bytes(0, 13);
    return rec;
  });
}

Result<std::vector<QuarantineRecord>> PgStore::DoListQuarantine(
    const QuarantineFilter& filter) {
  constexpr size_t kMaxRows = 10000000;
  const size_t limit =
      filter.limit == 0 ? kMaxRows : std::min(filter.limit, kMaxRows);
  return Run<std::vector<QuarantineRecord>>(
      [&](PgConn& c) -> Result<std::vector<QuarantineRecord>> {
        PgParams params;
        if (filter.state.has_value()) {
          params.Text(QuarantineStateName(*filter.state));
        } else {
          params.NullText();
        }
        params.Int(static_cast<int64_t>(limit));
        Result<PgRows> rows = c.Exec(
            std::string(kQuarantineColumns) +
                " FROM quarantine WHERE ($1::text IS NULL OR state = $1) "
                "ORDER BY created_at DESC, seq DESC LIMIT $2",
            params, "cannot read the quarantine");
        if (!rows.ok()) return rows.status();
        std::vector<QuarantineRecord> out;
        for (int r = 0; r < rows->size(); ++r) {
          Result<QuarantineRecord> rec = ReadQuarantine(*rows, r);
          if (!rec.ok()) return rec.status();
          out.push_back(std::move(*rec));
        }
        return out;
      });
}

Status PgStore::DoSetQuarantineState(const std::string& id,
                                     std::vector<QuarantineState> from,
                                     QuarantineState to, int64_t at,
                                     const std::string& by) {
  return RunStatus([&](PgConn& c) -> Status {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    // The row lock makes a concurrent release or delete from another host
    // wait, then see the state this one left.
    Result<PgRows> current =
        c.Exec("SELECT state FROM quarantine WHERE id = $1 FOR UPDATE",
               PgParams().Text(id), "cannot read the quarantine");
    if (!current.ok()) return current.status();
    if (current->empty()) return NotFoundError("no quarantined message " + id);
    const std::string state = current->Text(0, 0);
    bool allowed = std::any_of(
        from.begin(), from.end(),
        [&](QuarantineState s) { return QuarantineStateName(s) == state; });
    if (!allowed) {
      return FailedPreconditionError("quarantined message " + id +
                                     " is already " + state);
    }
    Result<PgRows> update = c.Exec(
        "UPDATE quarantine SET state = $2, handled_at = $3, handled_by = $4, "
        "message = CASE WHEN $5::boolean THEN ''::bytea ELSE message END "
        "WHERE id = $1",
        PgParams()
            .Text(id)
            .Text(QuarantineStateName(to))
            .Int(at)
            .Text(by)
            .Bool(to == QuarantineState::kDeleted),
        "cannot change the quarantined message");
    if (!update.ok()) return update.status();
    return txn->Commit();
  });
}

}  // namespace seal::store
