// SqliteStore's personal passphrases of envelope recipients (store.h
// states the semantics). Insert-if-absent is INSERT ... ON CONFLICT DO
// NOTHING and the read-back in one BEGIN IMMEDIATE transaction, so two
// processes sharing the file agree on the one row; the mutex serialises
// this process.
#include <sqlite3.h>

#include <mutex>
#include <string>

#include "lib/store/sqlite_store.h"
#include "lib/store/sqlite_util.h"

namespace seal::store {
namespace {

const char kSelect[] =
    "SELECT address, sealed, origin, created_by, created_at, last_used_at, "
    "use_count FROM recipient_passphrases";

RecipientPassphraseRecord ReadRow(const Stmt& stmt) {
  RecipientPassphraseRecord r;
  r.address = stmt.Text(0);
  r.sealed = stmt.Blob(1);
  r.origin = stmt.Text(2);
  r.created_by = stmt.Text(3);
  r.created_at = stmt.Int(4);
  r.last_used_at = stmt.Int(5);
  r.use_count = stmt.Int(6);
  return r;
}

}  // namespace

Result<RecipientPassphraseRecord> SqliteStore::LoadRecipientPassphrase(
    const std::string& address) {
  Result<Stmt> stmt = Prepare(std::string(kSelect) + " WHERE address = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, address);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("no personal passphrase for " + address);
  return ReadRow(*stmt);
}

Result<RecipientPassphrasePut> SqliteStore::DoPutRecipientPassphraseIfAbsent(
    const RecipientPassphraseRecord& rec) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  RecipientPassphrasePut out;
  {
    Result<Stmt> insert = Prepare(
        "INSERT INTO recipient_passphrases (address, sealed, origin, "
        "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT "
        "(address) DO NOTHING");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, rec.address)
        .BindBlob(2, rec.sealed)
        .BindText(3, rec.origin)
        .BindText(4, rec.created_by)
        .Bind(5, rec.created_at);
    SEAL_RETURN_IF_ERROR(insert->Run());
  }
  out.created = sqlite3_changes(db_) == 1;
  Result<RecipientPassphraseRecord> stored =
      LoadRecipientPassphrase(rec.address);
  if (!stored.ok()) return stored.status();
  out.record = std::move(stored).value();
  SEAL_RETURN_IF_ERROR(txn->Commit());
  return out;
}

Status SqliteStore::DoSetRecipientPassphrase(
    const RecipientPassphraseRecord& rec) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "INSERT INTO recipient_passphrases (address, sealed, origin, "
      "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT "
      "(address) DO UPDATE SET sealed = excluded.sealed, origin = "
      "excluded.origin, created_by = excluded.created_by, created_at = "
      "excluded.created_at, last_used_at = 0, use_count = 0");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, rec.address)
      .BindBlob(2, rec.sealed)
      .BindText(3, rec.origin)
      .BindText(4, rec.created_by)
      .Bind(5, rec.created_at);
  return stmt->Run();
}

Result<RecipientPassphraseRecord> SqliteStore::DoGetRecipientPassphrase(
    const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadRecipientPassphrase(address);
}

Status SqliteStore::DoNoteRecipientPassphraseUsed(const std::string& address,
                                                  int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "UPDATE recipient_passphrases SET use_count = use_count + 1, "
      "last_used_at = ?2 WHERE address = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, address).Bind(2, now);
  SEAL_RETURN_IF_ERROR(stmt->Run());
  if (sqlite3_changes(db_) == 0) {
    return NotFoundError("no personal passphrase for " + address);
  }
  return Status::Ok();
}

Result<std::vector<RecipientPassphraseRecord>>
SqliteStore::DoListRecipientPassphrases() {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(std::string(kSelect) + " ORDER BY address");
  if (!stmt.ok()) return stmt.status();
  std::vector<RecipientPassphraseRecord> out;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadRow(*stmt));
  }
  return out;
}

Status SqliteStore::DoDeleteRecipientPassphrase(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt =
      Prepare("DELETE FROM recipient_passphrases WHERE address = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, address);
  SEAL_RETURN_IF_ERROR(stmt->Run());
  if (sqlite3_changes(db_) == 0) {
    return NotFoundError("no personal passphrase for " + address);
  }
  return Status::Ok();
}

}  // namespace seal::store
