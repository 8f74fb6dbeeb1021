// PgStore's personal passphrases of envelope recipients (store.h states the
// semantics). Insert-if-absent is one INSERT ... ON CONFLICT DO NOTHING and
// the read-back in the same transaction: PostgreSQL makes a second host's
// insert of the same address wait for the first to commit and then do
// nothing, so both read the one row. The use count is one UPDATE.
#include <string>

#include "lib/store/pg_run.h"
#include "lib/store/pg_store.h"
#include "lib/store/pg_util.h"

namespace seal::store {
namespace {

const char kSelect[] =
    "SELECT address, sealed, origin, created_by, created_at, last_used_at, "
    "use_count FROM recipient_passphrases";

RecipientPassphraseRecord ReadRow(const PgRows& rows, int r) {
  RecipientPassphraseRecord rec;
  rec.address = rows.Text(r, 0);
  rec.sealed = rows.Bytes(r, 1);
  rec.origin = rows.Text(r, 2);
  rec.created_by = rows.Text(r, 3);
  rec.created_at = rows.Int(r, 4);
  rec.last_used_at = rows.Int(r, 5);
  rec.use_count = rows.Int(r, 6);
  return rec;
}

Result<RecipientPassphraseRecord> Load(PgConn& c, const std::string& address) {
  Result<PgRows> rows =
      c.Exec(std::string(kSelect) + " WHERE address = $1",
             PgParams().Text(address), "cannot read the personal passphrase");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    return NotFoundError("no personal passphrase for " + address);
  }
  return ReadRow(*rows, 0);
}

// `sql` changes the one row of `address`; none changed is kNotFound.
Status ChangeOne(PgConn& c, const char* sql, const PgParams& params,
                 const std::string& address, const char* what) {
  Result<PgRows> done = c.Exec(sql, params, what);
  if (!done.ok()) return done.status();
  if (done->affected() == 0) {
    return NotFoundError("no personal passphrase for " + address);
  }
  return Status::Ok();
}

}  // namespace

Result<RecipientPassphrasePut> PgStore::DoPutRecipientPassphraseIfAbsent(
    const RecipientPassphraseRecord& rec) {
  return Run<RecipientPassphrasePut>(
      [&](PgConn& c) -> Result<RecipientPassphrasePut> {
        Result<PgTxn> txn = PgTxn::Begin(c);
        if (!txn.ok()) return txn.status();
        Result<PgRows> put = c.Exec(
            "INSERT INTO recipient_passphrases (address, sealed, origin, "
            "created_by, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
            "(address) DO NOTHING",
            PgParams()
                .Text(rec.address)
                .Bytes(rec.sealed)
                .Text(rec.origin)
                .Text(rec.created_by)
                .Int(rec.created_at),
            "cannot store the personal passphrase");
        if (!put.ok()) return put.status();
        RecipientPassphrasePut out;
        out.created = put->affected() == 1;
        Result<RecipientPassphraseRecord> stored = Load(c, rec.address);
        if (!stored.ok()) return stored.status();
        out.record = std::move(stored).value();
        SEAL_RETURN_IF_ERROR(txn->Commit());
        return out;
      });
}

Status PgStore::DoSetRecipientPassphrase(const RecipientPassphraseRecord& rec) {
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    Result<PgRows> put = c.Exec(
        "INSERT INTO recipient_passphrases (address, sealed, origin, "
        "created_by, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
        "(address) DO UPDATE SET sealed = EXCLUDED.sealed, origin = "
        "EXCLUDED.origin, created_by = EXCLUDED.created_by, created_at = "
        "EXCLUDED.created_at, last_used_at = 0, use_count = 0",
        PgParams()
            .Text(rec.address)
            .Bytes(rec.sealed)
            .Text(rec.origin)
            .Text(rec.created_by)
            .Int(rec.created_at),
        "cannot store the personal passphrase");
    if (!put.ok()) return put.status();
    SEAL_RETURN_IF_ERROR(txn->Commit());
    return true;
  });
  return r.ok() ? Status::Ok() : r.status();
}

Result<RecipientPassphraseRecord> PgStore::DoGetRecipientPassphrase(
    const std::string& address) {
  return Run<RecipientPassphraseRecord>(
      [&](PgConn& c) { return Load(c, address); });
}

Status PgStore::DoNoteRecipientPassphraseUsed(const std::string& address,
                                              int64_t now) {
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    SEAL_RETURN_IF_ERROR(
        ChangeOne(c,
                  "UPDATE recipient_passphrases SET use_count = use_count + 1, "
                  "last_used_at = $2 WHERE address = $1",
                  PgParams().Text(address).Int(now), address,
                  "cannot count the passphrase's use"));
    SEAL_RETURN_IF_ERROR(txn->Commit());
    return true;
  });
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<RecipientPassphraseRecord>>
PgStore::DoListRecipientPassphrases() {
  return Run<std::vector<RecipientPassphraseRecord>>(
      [&](PgConn& c) -> Result<std::vector<RecipientPassphraseRecord>> {
        Result<PgRows> rows =
            c.Exec(std::string(kSelect) + " ORDER BY address", PgParams(),
                   "cannot list the personal passphrases");
        if (!rows.ok()) return rows.status();
        std::vector<RecipientPassphraseRecord> out;
        for (int r = 0; r < rows->size(); ++r) out.push_back(ReadRow(*rows, r));
        return out;
      });
}

Status PgStore::DoDeleteRecipientPassphrase(const std::string& address) {
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgTxn> txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    SEAL_RETURN_IF_ERROR(
        ChangeOne(c, "DELETE FROM recipient_passphrases WHERE address = $1",
                  PgParams().Text(address), address,
                  "cannot delete the personal passphrase"));
    SEAL_RETURN_IF_ERROR(txn->Commit());
    return true;
  });
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace seal::store
