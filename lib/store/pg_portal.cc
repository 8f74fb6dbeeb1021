// PgStore's portal accounts, one-time tokens and login sessions (store.h
// states the semantics). Every write runs in a transaction (so a call
// retried on a fresh connection never repeats one); a change that depends
// on the row's state is one UPDATE or DELETE with the condition in its
// WHERE clause, so the row lock PostgreSQL takes makes a second host wait
// and then re-check the condition: a token is consumed once, and no failed
// login is lost, across every host sharing the database.
#include <string>

#include "lib/store/pg_run.h"
#include "lib/store/pg_store.h"
#include "lib/store/pg_util.h"

namespace seal::store {
namespace {

#define SEAL_ACCOUNT_FIELDS                                  \
  "email, password_hash, locale, created_at, confirmed_at, " \
  "failed_logins, locked_until, last_login_at, password_changed_at"
const char kAccountColumns[] =
    "SELECT " SEAL_ACCOUNT_FIELDS " FROM portal_accounts WHERE email = $1";
const char kAccountReturning[] = " RETURNING " SEAL_ACCOUNT_FIELDS;
#undef SEAL_ACCOUNT_FIELDS
#define SEAL_TOKEN_FIELDS \
  "token_hash, email, purpose, created_at, expires_at, used_at"
const char kTokenColumns[] =
    "SELECT " SEAL_TOKEN_FIELDS " FROM portal_tokens WHERE token_hash = $1";
const char kTokenReturning[] = " RETURNING " SEAL_TOKEN_FIELDS;
#undef SEAL_TOKEN_FIELDS
const char kSessionReturning[] =
    " RETURNING id_hash, email, created_at, last_seen_at, expires_at, "
    "remote_addr, user_agent";

PortalAccount ReadAccount(const PgRows& rows, int r) {
  PortalAccount a;
  a.email = rows.Text(r, 0);
  a.password_hash = rows.Text(r, 1);
  a.locale = rows.Text(r, 2);
  a.created_at = rows.Int(r, 3);
  a.confirmed_at = rows.Int(r, 4);
  a.failed_logins = rows.Int(r, 5);
  a.locked_until = rows.Int(r, 6);
  a.last_login_at = rows.Int(r, 7);
  a.password_changed_at = rows.Int(r, 8);
  return a;
}

Result<PortalToken> ReadToken(const PgRows& rows, int r) {
  PortalToken t;
  t.token_hash = rows.Text(r, 0);
  t.email = rows.Text(r, 1);
  Result<PortalTokenPurpose> purpose = ParsePortalTokenPurpose(rows.Text(r, 2));
  if (!purpose.ok()) {
    return ParseError("database holds an unknown portal token purpose");
  }
  t.purpose = *purpose;
  t.created_at = rows.Int(r, 3);
  t.expires_at = rows.Int(r, 4);
  t.used_at = rows.Int(r, 5);
  return t;
}

PortalSession ReadSession(const PgRows& rows, int r) {
  PortalSession s;
  s.id_hash = rows.Text(r, 0);
  s.email = rows.Text(r, 1);
  s.created_at = rows.Int(r, 2);
  s.last_seen_at = rows.Int(r, 3);
  s.expires_at = rows.Int(r, 4);
  s.remote_addr = rows.Text(r, 5);
  s.user_agent = rows.Text(r, 6);
  return s;
}

// The account, locked FOR KEY SHARE when `lock` (a token or session is being
// added: the account must not go meanwhile); kNotFound.
Result<PortalAccount> LoadAccount(PgConn& c, const std::string& email,
                                  bool lock = false) {
  Result<PgRows> rows =
      c.Exec(std::string(kAccountColumns) + (lock ? " FOR KEY SHARE" : ""),
             PgParams().Text(email), "cannot read the portal account");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFoundError("no portal account " + email);
  return ReadAccount(*rows, 0);
}

}  // namespace

template <typename F>
Status PgStore::RunPortalWrite(F&& fn) {
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Status s = fn(c);
    if (!s.ok()) return s;
    SEAL_RETURN_IF_ERROR(txn->Commit());
    return true;
  });
  return r.ok() ? Status::Ok() : r.status();
}

Status PgStore::DoPutPortalAccount(const PortalAccount& account) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    Result<PgRows> put = c.Exec(
        "INSERT INTO portal_accounts (email, password_hash, locale, "
        "created_at, confirmed_at, password_changed_at) VALUES ($1, $2, $3, "
        "$4, $5, $6) ON CONFLICT (email) DO NOTHING",
        PgParams()
            .Text(account.email)
            .Text(account.password_hash)
            .Text(account.locale)
            .Int(account.created_at)
            .Int(account.confirmed_at)
            .Int(account.password_changed_at),
        "cannot store the portal account");
    if (!put.ok()) return put.status();
    if (put->affected() == 0) {
      return FailedPreconditionError("portal account " + account.email +
                                     " already exists");
    }
    return Status::Ok();
  });
}

Result<PortalAccount> PgStore::DoGetPortalAccount(const std::string& email) {
  return Run<PortalAccount>([&](PgConn& c) { return LoadAccount(c, email); });
}

Status PgStore::DoConfirmPortalAccount(const std::string& email, int64_t now) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    Result<PgRows> update = c.Exec(
        "UPDATE portal_accounts SET confirmed_at = $2 WHERE email = $1 AND "
        "confirmed_at = 0",
        PgParams().Text(email).Int(now), "cannot confirm the portal account");
    if (!update.ok()) return update.status();
    if (update->affected() == 0) return LoadAccount(c, email).status();
    return Status::Ok();
  });
}

Status PgStore::DoSetPortalPassword(const std::string& email,
                                    const std::string& password_hash,
                                    int64_t now) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    Result<PgRows> update = c.Exec(
        "UPDATE portal_accounts SET password_hash = $2, password_changed_at "
        "= $3, failed_logins = 0, locked_until = 0 WHERE email = $1",
        PgParams().Text(email).Text(password_hash).Int(now),
        "cannot set the portal password");
    if (!update.ok()) return update.status();
    if (update->affected() == 0) {
      return NotFoundError("no portal account " + email);
    }
    return Status::Ok();
  });
}

Result<PortalAccount> PgStore::DoNotePortalLoginFailure(
    const std::string& email, int64_t max_failures, int64_t lock_seconds,
    int64_t now) {
  PortalAccount after;
  Status s = RunPortalWrite([&](PgConn& c) -> Status {
    // Every right-hand side sees the row as it was before the UPDATE; a
    // concurrent one waits for this row lock, then adds to our result.
    Result<PgRows> rows = c.Exec(
        "UPDATE portal_accounts SET failed_logins = CASE WHEN failed_logins "
        "+ 1 >= $2 THEN 0 ELSE failed_logins + 1 END, locked_until = CASE "
        "WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END WHERE "
        "email = $1" +
            std::string(kAccountReturning),
        PgParams().Text(email).Int(max_failures).Int(now + lock_seconds),
        "cannot count the failed login");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NotFoundError("no portal account " + email);
    after = ReadAccount(*rows, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return after;
}

Status PgStore::DoNotePortalLoginSuccess(const std::string& email,
                                         int64_t now) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    Result<PgRows> update = c.Exec(
        "UPDATE portal_accounts SET failed_logins = 0, locked_until = 0, "
        "last_login_at = $2 WHERE email = $1",
        PgParams().Text(email).Int(now), "cannot note the login");
    if (!update.ok()) return update.status();
    if (update->affected() == 0) {
      return NotFoundError("no portal account " + email);
    }
    return Status::Ok();
  });
}

Status PgStore::DoDeletePortalAccount(const std::string& email) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    // ON DELETE CASCADE also takes what another host adds meanwhile.
    for (const char* sql : {"DELETE FROM portal_tokens WHERE email = $1",
                            "DELETE FROM portal_sessions WHERE email = $1"}) {
      Result<PgRows> del = c.Exec(sql, PgParams().Text(email),
                                  "cannot delete the portal account");
      if (!del.ok()) return del.status();
    }
    Result<PgRows> del =
        c.Exec("DELETE FROM portal_accounts WHERE email = $1",
               PgParams().Text(email), "cannot delete the portal account");
    if (!del.ok()) return del.status();
    if (del->affected() == 0) {
      return NotFoundError("no portal account " + email);
    }
    return Status::Ok();
  });
}

Status PgStore::DoPutPortalToken(const PortalToken& token) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    SEAL_RETURN_IF_ERROR(LoadAccount(c, token.email, true).status());
    Result<PgRows> put = c.Exec(
        "INSERT INTO portal_tokens (token_hash, email, purpose, created_at, "
        "expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token_hash) DO "
        "NOTHING",
        PgParams()
            .Text(token.token_hash)
            .Text(token.email)
            .Text(PortalTokenPurposeName(token.purpose))
            .Int(token.created_at)
            .Int(token.expires_at),
        "cannot store the portal token");
    if (!put.ok()) return put.status();
    if (put->affected() == 0) {
      return FailedPreconditionError("the portal token is already stored");
    }
    return Status::Ok();
  });
}

Result<PortalToken> PgStore::DoConsumePortalToken(const std::string& token_hash,
                                                  PortalTokenPurpose purpose,
                                                  int64_t now) {
  PortalToken token;
  Status s = RunPortalWrite([&](PgConn& c) -> Status {
    Result<PgRows> rows = c.Exec(
        "UPDATE portal_tokens SET used_at = $3 WHERE token_hash = $1 AND "
        "purpose = $2 AND used_at = 0 AND expires_at > $3" +
            std::string(kTokenReturning),
        PgParams()
            .Text(token_hash)
            .Text(PortalTokenPurposeName(purpose))
            .Int(now),
        "cannot consume the portal token");
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) {
      Result<PortalToken> t = ReadToken(*rows, 0);
      if (!t.ok()) return t.status();
      token = std::move(*t);
      return Status::Ok();
    }
    // Why not: read the row as the winner (if any) left it.
    Result<PgRows> why =
        c.Exec(std::string(kTokenColumns), PgParams().Text(token_hash),
               "cannot read the portal token");
    if (!why.ok()) return why.status();
    if (why->empty() || why->Text(0, 2) != PortalTokenPurposeName(purpose)) {
      return NotFoundError("no such portal token");
    }
    if (why->Int(0, 5) != 0) {
      return FailedPreconditionError("the portal token is already used");
    }
    return FailedPreconditionError("the portal token has expired");
  });
  if (!s.ok()) return s;
  return token;
}

Status PgStore::DoPutPortalSession(const PortalSession& session) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    SEAL_RETURN_IF_ERROR(LoadAccount(c, session.email, true).status());
    Result<PgRows> put = c.Exec(
        "INSERT INTO portal_sessions (id_hash, email, created_at, "
        "last_seen_at, expires_at, remote_addr, user_agent) VALUES ($1, $2, "
        "$3, $4, $5, $6, $7) ON CONFLICT (id_hash) DO NOTHING",
        PgParams()
            .Text(session.id_hash)
            .Text(session.email)
            .Int(session.created_at)
            .Int(session.last_seen_at)
            .Int(session.expires_at)
            .Text(session.remote_addr)
            .Text(session.user_agent),
        "cannot store the portal session");
    if (!put.ok()) return put.status();
    if (put->affected() == 0) {
      return FailedPreconditionError("the portal session is already stored");
    }
    return Status::Ok();
  });
}

Result<PortalSession> PgStore::DoTouchPortalSession(const std::string& id_hash,
                                                    int64_t idle_seconds,
                                                    int64_t now) {
  enum Outcome { kTouched, kUnknown, kExpired };
  PortalSession session;
  Result<int> outcome = Run<int>([&](PgConn& c) -> Result<int> {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<PgRows> rows = c.Exec(
        "UPDATE portal_sessions SET last_seen_at = $3 WHERE id_hash = $1 AND "
        "expires_at > $3 AND ($2 = 0 OR last_seen_at + $2 > $3)" +
            std::string(kSessionReturning),
        PgParams().Text(id_hash).Int(idle_seconds).Int(now),
        "cannot touch the portal session");
    if (!rows.ok()) return rows.status();
    int result = kTouched;
    if (!rows->empty()) {
      session = ReadSession(*rows, 0);
    } else {
      // Unknown, or expired or idle: then it goes (unless another host
      // has touched it meanwhile, which the condition sees).
      Result<PgRows> del = c.Exec(
          "DELETE FROM portal_sessions WHERE id_hash = $1 AND (expires_at <= "
          "$3 OR ($2 != 0 AND last_seen_at + $2 <= $3))",
          PgParams().Text(id_hash).Int(idle_seconds).Int(now),
          "cannot delete the portal session");
      if (!del.ok()) return del.status();
      result = del->affected() == 0 ? kUnknown : kExpired;
    }
    SEAL_RETURN_IF_ERROR(txn->Commit());
    return result;
  });
  if (!outcome.ok()) return outcome.status();
  if (*outcome == kUnknown) return NotFoundError("no such portal session");
  if (*outcome == kExpired) {
    return NotFoundError("the portal session has expired");
  }
  return session;
}

Status PgStore::DoDeletePortalSession(const std::string& id_hash) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    Result<PgRows> del =
        c.Exec("DELETE FROM portal_sessions WHERE id_hash = $1",
               PgParams().Text(id_hash), "cannot delete the portal session");
    return del.ok() ? Status::Ok() : del.status();
  });
}

Status PgStore::DoDeletePortalSessionsFor(const std::string& email) {
  return RunPortalWrite([&](PgConn& c) -> Status {
    Result<PgRows> del =
        c.Exec("DELETE FROM portal_sessions WHERE email = $1",
               PgParams().Text(email), "cannot delete the portal sessions");
    return del.ok() ? Status::Ok() : del.status();
  });
}

Result<int64_t> PgStore::DoPurgePortalExpired(int64_t now) {
  int64_t removed = 0;
  Status s = RunPortalWrite([&](PgConn& c) -> Status {
    removed = 0;
    Result<PgRows> tokens = c.Exec(
        "DELETE FROM portal_tokens WHERE expires_at <= $1 OR (used_at != 0 "
        "AND used_at <= $2)",
        PgParams().Int(now).Int(now - kSecondsPerDay),
        "cannot purge the portal tokens");
    if (!tokens.ok()) return tokens.status();
    removed += tokens->affected();
    Result<PgRows> sessions =
        c.Exec("DELETE FROM portal_sessions WHERE expires_at <= $1",
               PgParams().Int(now), "cannot purge the portal sessions");
    if (!sessions.ok()) return sessions.status();
    removed += sessions->affected();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return removed;
}

}  // namespace seal::store
