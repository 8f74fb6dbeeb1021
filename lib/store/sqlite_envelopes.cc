// SqliteStore's envelope records and portal audit trail (store.h states the
// semantics). Every change is one UPDATE with its condition in the WHERE
// clause, so two processes sharing the file cannot both revoke an envelope
// or both claim its read receipt; the mutex serialises this process.
#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "lib/store/sqlite_store.h"
#include "lib/store/sqlite_util.h"

namespace seal::store {
namespace {

const char kEnvelopeColumns[] =
    "SELECT id, created_at, expires_at, sender, recipients, portal_key_id, "
    "security, opt_reply, opt_reply_all, opt_forward, opt_read_receipt, "
    "revoked_at, revoked_by, revoke_reason, first_opened_at, open_count, "
    "receipt_sent_at FROM envelopes";

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

Result<EnvelopeRecord> ReadEnvelope(const Stmt& stmt) {
  EnvelopeRecord rec;
  rec.id = stmt.Text(0);
  rec.created_at = stmt.Int(1);
  rec.expires_at = stmt.Int(2);
  rec.sender = stmt.Text(3);
  rec.recipients = SplitLines(stmt.Text(4));
  rec.portal_key_id = stmt.Text(5);
  Result<EnvelopeSecurity> security = ParseEnvelopeSecurity(stmt.Text(6));
  if (!security.ok()) {
    return ParseError("database holds an unknown envelope security");
  }
  rec.security = *security;
  rec.reply = stmt.Int(7) != 0;
  rec.reply_all = stmt.Int(8) != 0;
  rec.forward = stmt.Int(9) != 0;
  rec.read_receipt = stmt.Int(10) != 0;
  rec.revoked_at = stmt.Int(11);
  rec.revoked_by = stmt.Text(12);
  rec.revoke_reason = stmt.Text(13);
  rec.first_opened_at = stmt.Int(14);
  rec.open_count = stmt.Int(15);
  rec.receipt_sent_at = stmt.Int(16);
  return rec;
}

constexpr size_t kMaxRows = 10000000;

}  // namespace

Result<EnvelopeRecord> SqliteStore::LoadEnvelope(const std::string& id) {
  Result<Stmt> stmt = Prepare(std::string(kEnvelopeColumns) + " WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, id);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("no envelope " + id);
  return ReadEnvelope(*stmt);
}

Status SqliteStore::DoPutEnvelope(const EnvelopeRecord& rec) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "INSERT INTO envelopes (id, created_at, expires_at, sender, recipients, "
      "portal_key_id, security, opt_reply, opt_reply_all, opt_forward, "
      "opt_read_receipt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
      "?11)");
  if (!stmt.ok()) return stmt.status();
  const std::string recipients = JoinLines(rec.recipients);  // outlives Run
  stmt->BindText(1, rec.id)
      .Bind(2, rec.created_at)
      .Bind(3, rec.expires_at)
      .BindText(4, rec.sender)
      .BindText(5, recipients)
      .BindText(6, rec.portal_key_id)
      .BindText(7, EnvelopeSecurityName(rec.security))
      .Bind(8, rec.reply ? 1 : 0)
      .Bind(9, rec.reply_all ? 1 : 0)
      .Bind(10, rec.forward ? 1 : 0)
      .Bind(11, rec.read_receipt ? 1 : 0);
  Status s = stmt->Run();
  if (s.code() == StatusCode::kFailedPrecondition) {
    return FailedPreconditionError("envelope " + rec.id + " is already stored");
  }
  return s;
}

Result<EnvelopeRecord> SqliteStore::DoGetEnvelope(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadEnvelope(id);
}

Result<std::vector<EnvelopeRecord>> SqliteStore::DoListEnvelopes(
    const EnvelopeFilter& filter, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      std::string(kEnvelopeColumns) +
      " WHERE (?1 = '' OR sender = ?1) AND (?2 = '' OR instr(char(10) || "
      "recipients || char(10), char(10) || ?2 || char(10)) > 0) AND (?3 IS "
      "NULL OR (?3 = 'revoked' AND revoked_at != 0) OR (?3 = 'expired' AND "
      "revoked_at = 0 AND expires_at != 0 AND expires_at <= ?4) OR (?3 = "
      "'active' AND revoked_at = 0 AND (expires_at = 0 OR expires_at > ?4))) "
      "ORDER BY created_at DESC, seq DESC LIMIT ?5");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, filter.sender).BindText(2, filter.recipient);
  if (filter.state.has_value()) {
    stmt->BindText(3, EnvelopeStateName(*filter.state));
  } else {
    stmt->BindNull(3);
  }
  size_t limit =
      filter.limit == 0 ? kMaxRows : std::min(filter.limit, kMaxRows);
  stmt->Bind(4, now).Bind(5, static_cast<int64_t>(limit));
  std::vector<EnvelopeRecord> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Result<EnvelopeRecord> rec = ReadEnvelope(*stmt);
    if (!rec.ok()) return rec.status();
    out.push_back(std::move(*rec));
  }
  return out;
}

Status SqliteStore::DoRevokeEnvelope(const std::string& id, int64_t at,
                                     const std::string& by,
                                     const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    Result<Stmt> update = Prepare(
        "UPDATE envelopes SET revoked_at = ?2, revoked_by = ?3, "
        "revoke_reason = ?4 WHERE id = ?1 AND revoked_at = 0");
    if (!update.ok()) return update.status();
    update->BindText(1, id).Bind(2, at).BindText(3, by).BindText(4, reason);
    SEAL_RETURN_IF_ERROR(update->Run());
  }
  if (sqlite3_changes(db_) == 0) {
    Result<EnvelopeRecord> rec = LoadEnvelope(id);
    if (!rec.ok()) return rec.status();
    return FailedPreconditionError("envelope " + id + " is already revoked");
  }
  return txn->Commit();
}

Status SqliteStore::DoSetEnvelopeExpiry(const std::string& id, int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> update =
      Prepare("UPDATE envelopes SET expires_at = ?2 WHERE id = ?1");
  if (!update.ok()) return update.status();
  update->BindText(1, id).Bind(2, at);
  SEAL_RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_) == 0) return NotFoundError("no envelope " + id);
  return Status::Ok();
}

Result<EnvelopeRecord> SqliteStore::DoNoteEnvelopeOpened(const std::string& id,
                                                         int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    Result<Stmt> update = Prepare(
        "UPDATE envelopes SET open_count = open_count + 1, first_opened_at = "
        "CASE WHEN first_opened_at = 0 THEN ?2 ELSE first_opened_at END "
        "WHERE id = ?1");
    if (!update.ok()) return update.status();
    update->BindText(1, id).Bind(2, at);
    SEAL_RETURN_IF_ERROR(update->Run());
  }
  if (sqlite3_changes(db_) == 0) return NotFoundError("no envelope " + id);
  Result<EnvelopeRecord> rec = LoadEnvelope(id);
  if (!rec.ok()) return rec.status();
  SEAL_RETURN_IF_ERROR(txn->Commit());
  return rec;
}

Result<bool> SqliteStore::DoClaimReadReceipt(const std::string& id,
                                             int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    Result<Stmt> update = Prepare(
        "UPDATE envelopes SET receipt_sent_at = ?2 WHERE id = ?1 AND "
        "opt_read_receipt != 0 AND receipt_sent_at = 0 AND revoked_at = 0");
    if (!update.ok()) return update.status();
    update->BindText(1, id).Bind(2, at);
    SEAL_RETURN_IF_ERROR(update->Run());
  }
  if (sqlite3_changes(db_) == 0) {
    Result<EnvelopeRecord> rec = LoadEnvelope(id);
    if (!rec.ok()) return rec.status();
    return false;
  }
  SEAL_RETURN_IF_ERROR(txn->Commit());
  return true;
}

Status SqliteStore::DoRecordPortalAudit(const PortalAuditRecord& rec) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "INSERT INTO portal_audit (at, envelope_id, email, action, "
      "remote_addr, user_agent, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, rec.at)
      .BindText(2, rec.envelope_id)
      .BindText(3, rec.email)
      .BindText(4, rec.action)
      .BindText(5, rec.remote_addr)
      .BindText(6, rec.user_agent)
      .BindText(7, rec.detail);
  return stmt->Run();
}

Result<std::vector<PortalAuditRecord>> SqliteStore::DoListPortalAudit(
    const std::string& envelope_id, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "SELECT id, at, envelope_id, email, action, remote_addr, user_agent, "
      "detail FROM portal_audit WHERE (?1 = '' OR envelope_id = ?1) ORDER BY "
      "id DESC LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  size_t n = limit == 0 ? kMaxRows : std::min(limit, kMaxRows);
  stmt->BindText(1, envelope_id).Bind(2, static_cast<int64_t>(n));
  std::vector<PortalAuditRecord> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    PortalAuditRecord rec;
    rec.id = stmt->Int(0);
    rec.at = stmt->Int(1);
    rec.envelope_id = stmt->Text(2);
    rec.email = stmt->Text(3);
    rec.action = stmt->Text(4);
    rec.remote_addr = stmt->Text(5);
    rec.user_agent = stmt->Text(6);
    rec.detail = stmt->Text(7);
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace seal::store
