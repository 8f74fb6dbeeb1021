// SqliteStore's portal accounts, one-time tokens and login sessions
// (store.h states the semantics). Every change that depends on the row's
// state is one UPDATE or DELETE with the condition in its WHERE clause,
// inside a BEGIN IMMEDIATE transaction when it is read back: two processes
// sharing the file cannot both consume a token or lose a failed-login
// count; the mutex serialises this process.
#include <sqlite3.h>

#include <mutex>
#include <string>

#include "lib/store/sqlite_store.h"
#include "lib/store/sqlite_util.h"

namespace seal::store {
namespace {

const char kAccountColumns[] =
    "SELECT email, password_hash, locale, created_at, confirmed_at, "
    "failed_logins, locked_until, last_login_at, password_changed_at FROM "
    "portal_accounts WHERE email = ?1";
const char kTokenColumns[] =
    "SELECT token_hash, email, purpose, created_at, expires_at, used_at FROM "
    "portal_tokens WHERE token_hash = ?1";
const char kSessionColumns[] =
    "SELECT id_hash, email, created_at, last_seen_at, expires_at, "
    "remote_addr, user_agent FROM portal_sessions WHERE id_hash = ?1";

PortalAccount ReadAccount(const Stmt& stmt) {
  PortalAccount a;
  a.email = stmt.Text(0);
  a.password_hash = stmt.Text(1);
  a.locale = stmt.Text(2);
  a.created_at = stmt.Int(3);
  a.confirmed_at = stmt.Int(4);
  a.failed_logins = stmt.Int(5);
  a.locked_until = stmt.Int(6);
  a.last_login_at = stmt.Int(7);
  a.password_changed_at = stmt.Int(8);
  return a;
}

}  // namespace

Result<PortalAccount> SqliteStore::LoadPortalAccount(const std::string& email) {
  Result<Stmt> stmt = Prepare(kAccountColumns);
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, email);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("no portal account " + email);
  return ReadAccount(*stmt);
}

Status SqliteStore::DoPutPortalAccount(const PortalAccount& account) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> stmt = Prepare(
      "INSERT INTO portal_accounts (email, password_hash, locale, "
      "created_at, confirmed_at, password_changed_at) VALUES (?1, ?2, ?3, "
      "?4, ?5, ?6)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, account.email)
      .BindText(2, account.password_hash)
      .BindText(3, account.locale)
      .Bind(4, account.created_at)
      .Bind(5, account.confirmed_at)
      .Bind(6, account.password_changed_at);
  Status s = stmt->Run();
  if (s.code() == StatusCode::kFailedPrecondition) {
    return FailedPreconditionError("portal account " + account.email +
                                   " already exists");
  }
  return s;
}

Result<PortalAccount> SqliteStore::DoGetPortalAccount(
    const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadPortalAccount(email);
}

// An UPDATE whose WHERE clause may exclude an existing account (already
// confirmed): no change is then OK; no account is kNotFound.
Status SqliteStore::UpdatePortalAccount(const std::string& sql,
                                        const std::string& email, int64_t value,
                                        const std::string* text) {
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    Result<Stmt> update = Prepare(sql);
    if (!update.ok()) return update.status();
    update->BindText(1, email).Bind(2, value);
    if (text != nullptr) update->BindText(3, *text);
    SEAL_RETURN_IF_ERROR(update->Run());
  }
  if (sqlite3_changes(db_) == 0) {
    Result<PortalAccount> acc = LoadPortalAccount(email);
    if (!acc.ok()) return acc.status();
  }
  return txn->Commit();
}

Status SqliteStore::DoConfirmPortalAccount(const std::string& email,
                                           int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  return UpdatePortalAccount(
      "UPDATE portal_accounts SET confirmed_at = ?2 WHERE email = ?1 AND "
      "confirmed_at = 0",
      email, now, nullptr);
}

Status SqliteStore::DoSetPortalPassword(const std::string& email,
                                        const std::string& password_hash,
                                        int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  return UpdatePortalAccount(
      "UPDATE portal_accounts SET password_hash = ?3, password_changed_at = "
      "?2, failed_logins = 0, locked_until = 0 WHERE email = ?1",
      email, now, &password_hash);
}

Result<PortalAccount> SqliteStore::DoNotePortalLoginFailure(
    const std::string& email, int64_t max_failures, int64_t lock_seconds,
    int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    // Every right-hand side sees the row as it was before the UPDATE.
    Result<Stmt> update = Prepare(
        "UPDATE portal_accounts SET failed_logins = CASE WHEN failed_logins "
        "+ 1 >= ?2 THEN 0 ELSE failed_logins + 1 END, locked_until = CASE "
        "WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END WHERE "
        "email = ?1");
    if (!update.ok()) return update.status();
    update->BindText(1, email)
        .Bind(2, max_failures)
        .Bind(3, now + lock_seconds);
    SEAL_RETURN_IF_ERROR(update->Run());
  }
  if (sqlite3_changes(db_) == 0) {
    return NotFoundError("no portal account " + email);
  }
  Result<PortalAccount> acc = LoadPortalAccount(email);
  if (!acc.ok()) return acc.status();
  SEAL_RETURN_IF_ERROR(txn->Commit());
  return acc;
}

Status SqliteStore::DoNotePortalLoginSuccess(const std::string& email,
                                             int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> update = Prepare(
      "UPDATE portal_accounts SET failed_logins = 0, locked_until = 0, "
      "last_login_at = ?2 WHERE email = ?1");
  if (!update.ok()) return update.status();
  update->BindText(1, email).Bind(2, now);
  SEAL_RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_) == 0) {
    return NotFoundError("no portal account " + email);
  }
  return Status::Ok();
}

Status SqliteStore::DoDeletePortalAccount(const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  for (const char* sql : {"DELETE FROM portal_tokens WHERE email = ?1",
                          "DELETE FROM portal_sessions WHERE email = ?1"}) {
    Result<Stmt> del = Prepare(sql);
    if (!del.ok()) return del.status();
    del->BindText(1, email);
    SEAL_RETURN_IF_ERROR(del->Run());
  }
  {
    Result<Stmt> del = Prepare("DELETE FROM portal_accounts WHERE email = ?1");
    if (!del.ok()) return del.status();
    del->BindText(1, email);
    SEAL_RETURN_IF_ERROR(del->Run());
  }
  if (sqlite3_changes(db_) == 0) {
    return NotFoundError("no portal account " + email);
  }
  return txn->Commit();
}

Status SqliteStore::InsertForAccount(const std::string& email, Stmt& insert,
                                     const std::string& duplicate) {
  Result<PortalAccount> acc = LoadPortalAccount(email);
  if (!acc.ok()) return acc.status();
  Status s = insert.Run();
  if (s.code() == StatusCode::kFailedPrecondition) {
    return FailedPreconditionError(duplicate);
  }
  return s;
}

Status SqliteStore::DoPutPortalToken(const PortalToken& token) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    Result<Stmt> insert = Prepare(
        "INSERT INTO portal_tokens (token_hash, email, purpose, created_at, "
        "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, token.token_hash)
        .BindText(2, token.email)
        .BindText(3, PortalTokenPurposeName(token.purpose))
        .Bind(4, token.created_at)
        .Bind(5, token.expires_at);
    SEAL_RETURN_IF_ERROR(InsertForAccount(
        token.email, *insert, "the portal token is already stored"));
  }
  return txn->Commit();
}

Result<PortalToken> SqliteStore::DoConsumePortalToken(
    const std::string& token_hash, PortalTokenPurpose purpose, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  PortalToken token;
  {
    Result<Stmt> stmt = Prepare(kTokenColumns);
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, token_hash);
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row || stmt->Text(2) != PortalTokenPurposeName(purpose)) {
      return NotFoundError("no such portal token");
    }
    token.token_hash = stmt->Text(0);
    token.email = stmt->Text(1);
    token.purpose = purpose;
    token.created_at = stmt->Int(3);
    token.expires_at = stmt->Int(4);
    token.used_at = stmt->Int(5);
  }
  if (token.used_at != 0) {
    return FailedPreconditionError("the portal token is already used");
  }
  if (token.expires_at <= now) {
    return FailedPreconditionError("the portal token has expired");
  }
  {
    Result<Stmt> update = Prepare(
        "UPDATE portal_tokens SET used_at = ?2 WHERE token_hash = ?1 AND "
        "used_at = 0");
    if (!update.ok()) return update.status();
    update->BindText(1, token_hash).Bind(2, now);
    SEAL_RETURN_IF_ERROR(update->Run());
  }
  if (sqlite3_changes(db_) != 1) {
    // Cannot happen under BEGIN IMMEDIATE; refuse rather than hand it out.
    return FailedPreconditionError("the portal token is already used");
  }
  SEAL_RETURN_IF_ERROR(txn->Commit());
  token.used_at = now;
  return token;
}

Status SqliteStore::DoPutPortalSession(const PortalSession& session) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  {
    Result<Stmt> insert = Prepare(
        "INSERT INTO portal_sessions (id_hash, email, created_at, "
        "last_seen_at, expires_at, remote_addr, user_agent) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7)");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, session.id_hash)
        .BindText(2, session.email)
        .Bind(3, session.created_at)
        .Bind(4, session.last_seen_at)
        .Bind(5, session.expires_at)
        .BindText(6, session.remote_addr)
        .BindText(7, session.user_agent);
    SEAL_RETURN_IF_ERROR(InsertForAccount(
        session.email, *insert, "the portal session is already stored"));
  }
  return txn->Commit();
}

Result<PortalSession> SqliteStore::DoTouchPortalSession(
    const std::string& id_hash, int64_t idle_seconds, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  PortalSession session;
  {
    Result<Stmt> stmt = Prepare(kSessionColumns);
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, id_hash);
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFoundError("no such portal session");
    session.id_hash = stmt->Text(0);
    session.email = stmt->Text(1);
    session.created_at = stmt->Int(2);
    session.last_seen_at = stmt->Int(3);
    session.expires_at = stmt->Int(4);
    session.remote_addr = stmt->Text(5);
    session.user_agent = stmt->Text(6);
  }
  const bool expired =
      session.expires_at <= now ||
      (idle_seconds != 0 && session.last_seen_at + idle_seconds <= now);
  if (expired) {
    {
      Result<Stmt> del =
          Prepare("DELETE FROM portal_sessions WHERE id_hash = ?1");
      if (!del.ok()) return del.status();
      del->BindText(1, id_hash);
      SEAL_RETURN_IF_ERROR(del->Run());
    }
    SEAL_RETURN_IF_ERROR(txn->Commit());
    return NotFoundError("the portal session has expired");
  }
  {
    Result<Stmt> update = Prepare(
        "UPDATE portal_sessions SET last_seen_at = ?2 WHERE id_hash = ?1");
    if (!update.ok()) return update.status();
    update->BindText(1, id_hash).Bind(2, now);
    SEAL_RETURN_IF_ERROR(update->Run());
  }
  SEAL_RETURN_IF_ERROR(txn->Commit());
  session.last_seen_at = now;
  return session;
}

Status SqliteStore::DoDeletePortalSession(const std::string& id_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> del = Prepare("DELETE FROM portal_sessions WHERE id_hash = ?1");
  if (!del.ok()) return del.status();
  del->BindText(1, id_hash);
  return del->Run();
}

Status SqliteStore::DoDeletePortalSessionsFor(const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Stmt> del = Prepare("DELETE FROM portal_sessions WHERE email = ?1");
  if (!del.ok()) return del.status();
  del->BindText(1, email);
  return del->Run();
}

Result<int64_t> SqliteStore::DoPurgePortalExpired(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Transaction> txn = Transaction::Begin(db_, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.status();
  int64_t removed = 0;
  {
    Result<Stmt> del = Prepare(
        "DELETE FROM portal_tokens WHERE expires_at <= ?1 OR (used_at != 0 "
        "AND used_at <= ?2)");
    if (!del.ok()) return del.status();
    del->Bind(1, now).Bind(2, now - kSecondsPerDay);
    SEAL_RETURN_IF_ERROR(del->Run());
    removed += sqlite3_changes(db_);
  }
  {
    Result<Stmt> del =
        Prepare("DELETE FROM portal_sessions WHERE expires_at <= ?1");
    if (!del.ok()) return del.status();
    del->Bind(1, now);
    SEAL_RETURN_IF_ERROR(del->Run());
    removed += sqlite3_changes(db_);
  }
  SEAL_RETURN_IF_ERROR(txn->Commit());
  return removed;
}

}  // namespace seal::store
