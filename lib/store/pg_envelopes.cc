// PgStore's envelope records and portal audit trail (store.h states the
// semantics). Each change is one UPDATE whose WHERE clause holds the
// condition, so the row lock PostgreSQL takes makes a second host's
// revocation or read-receipt claim wait and then find the condition false.
#include <algorithm>
#include <string>
#include <vector>

#include "lib/store/pg_run.h"
#include "lib/store/pg_store.h"
#include "lib/store/pg_util.h"

namespace seal::store {
namespace {

#define SEAL_ENVELOPE_FIELDS                                             \
  "id, created_at, expires_at, sender, recipients, portal_key_id, "      \
  "security, opt_reply, opt_reply_all, opt_forward, opt_read_receipt, "  \
  "revoked_at, revoked_by, revoke_reason, first_opened_at, open_count, " \
  "receipt_sent_at"
const char kEnvelopeColumns[] =
    "SELECT " SEAL_ENVELOPE_FIELDS " FROM envelopes";
const char kEnvelopeReturning[] = " RETURNING " SEAL_ENVELOPE_FIELDS;
#undef SEAL_ENVELOPE_FIELDS

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

Result<EnvelopeRecord> ReadEnvelope(const PgRows& rows, int r) {
  EnvelopeRecord rec;
  rec.id = rows.Text(r, 0);
  rec.created_at = rows.Int(r, 1);
  rec.expires_at = rows.Int(r, 2);
  rec.sender = rows.Text(r, 3);
  rec.recipients = SplitLines(rows.Text(r, 4));
  rec.portal_key_id = rows.Text(r, 5);
  Result<EnvelopeSecurity> security = ParseEnvelopeSecurity(rows.Text(r, 6));
  if (!security.ok()) {
    return ParseError("database holds an unknown envelope security");
  }
  rec.security = *security;
  rec.reply = rows.Bool(r, 7);
  rec.reply_all = rows.Bool(r, 8);
  rec.forward = rows.Bool(r, 9);
  rec.read_receipt = rows.Bool(r, 10);
  rec.revoked_at = rows.Int(r, 11);
  rec.revoked_by = rows.Text(r, 12);
  rec.revoke_reason = rows.Text(r, 13);
  rec.first_opened_at = rows.Int(r, 14);
  rec.open_count = rows.Int(r, 15);
  rec.receipt_sent_at = rows.Int(r, 16);
  return rec;
}

Result<EnvelopeRecord> LoadEnvelope(PgConn& c, const std::string& id) {
  Result<PgRows> rows = c.Exec(std::string(kEnvelopeColumns) + " WHERE id = $1",
                               PgParams().Text(id), "cannot read the envelope");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFoundError("no envelope " + id);
  return ReadEnvelope(*rows, 0);
}

constexpr size_t kMaxRows = 10000000;

}  // namespace

Status PgStore::DoPutEnvelope(const EnvelopeRecord& rec) {
  const std::string recipients = JoinLines(rec.recipients);
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgRows> put = c.Exec(
        "INSERT INTO envelopes (id, created_at, expires_at, sender, "
        "recipients, portal_key_id, security, opt_reply, opt_reply_all, "
        "opt_forward, opt_read_receipt) VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "$8, $9, $10, $11)",
        PgParams()
            .Text(rec.id)
            .Int(rec.created_at)
            .Int(rec.expires_at)
            .Text(rec.sender)
            .Text(recipients)
            .Text(rec.portal_key_id)
            .Text(EnvelopeSecurityName(rec.security))
            .Bool(rec.reply)
            .Bool(rec.reply_all)
            .Bool(rec.forward)
            .Bool(rec.read_receipt),
        "cannot store the envelope");
    if (!put.ok()) return put.status();
    return true;
  });
  if (r.ok()) return Status::Ok();
  if (r.status().code() == StatusCode::kFailedPrecondition) {
    return FailedPreconditionError("envelope " + rec.id + " is already stored");
  }
  return r.status();
}

Result<EnvelopeRecord> PgStore::DoGetEnvelope(const std::string& id) {
  return Run<EnvelopeRecord>([&](PgConn& c) { return LoadEnvelope(c, id); });
}

Result<std::vector<EnvelopeRecord>> PgStore::DoListEnvelopes(
    const EnvelopeFilter& filter, int64_t now) {
  const size_t limit =
      filter.limit == 0 ? kMaxRows : std::min(filter.limit, kMaxRows);
  return Run<std::vector<EnvelopeRecord>>(
      [&](PgConn& c) -> Result<std::vector<EnvelopeRecord>> {
        PgParams params;
        params.Text(filter.sender).Text(filter.recipient);
        if (filter.state.has_value()) {
          params.Text(EnvelopeStateName(*filter.state));
        } else {
          params.NullText();
        }
        params.Int(now).Int(static_cast<int64_t>(limit));
        Result<PgRows> rows = c.Exec(
            std::string(kEnvelopeColumns) +
                " WHERE ($1::text = '' OR sender = $1) AND ($2::text = '' OR "
                "position(chr(10) || $2 || chr(10) in chr(10) || recipients "
                "|| chr(10)) > 0) AND ($3::text IS NULL OR ($3 = 'revoked' "
                "AND revoked_at != 0) OR ($3 = 'expired' AND revoked_at = 0 "
                "AND expires_at != 0 AND expires_at <= $4::bigint) OR ($3 = "
                "'active' AND revoked_at = 0 AND (expires_at = 0 OR "
                "expires_at > $4))) ORDER BY created_at DESC, seq DESC LIMIT "
                "$5",
            params, "cannot read the envelopes");
        if (!rows.ok()) return rows.status();
        std::vector<EnvelopeRecord> out;
        for (int r = 0; r < rows->size(); ++r) {
          Result<EnvelopeRecord> rec = ReadEnvelope(*rows, r);
          if (!rec.ok()) return rec.status();
          out.push_back(std::move(*rec));
        }
        return out;
      });
}

Status PgStore::DoRevokeEnvelope(const std::string& id, int64_t at,
                                 const std::string& by,
                                 const std::string& reason) {
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgRows> update = c.Exec(
        "UPDATE envelopes SET revoked_at = $2, revoked_by = $3, "
        "revoke_reason = $4 WHERE id = $1 AND revoked_at = 0",
        PgParams().Text(id).Int(at).Text(by).Text(reason),
        "cannot revoke the envelope");
    if (!update.ok()) return update.status();
    if (update->affected() == 1) return true;
    Result<EnvelopeRecord> rec = LoadEnvelope(c, id);
    if (!rec.ok()) return rec.status();
    return FailedPreconditionError("envelope " + id + " is already revoked");
  });
  return r.ok() ? Status::Ok() : r.status();
}

Status PgStore::DoSetEnvelopeExpiry(const std::string& id, int64_t at) {
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgRows> update =
        c.Exec("UPDATE envelopes SET expires_at = $2 WHERE id = $1",
               PgParams().Text(id).Int(at), "cannot change the envelope");
    if (!update.ok()) return update.status();
    if (update->affected() == 0) return NotFoundError("no envelope " + id);
    return true;
  });
  return r.ok() ? Status::Ok() : r.status();
}

Result<EnvelopeRecord> PgStore::DoNoteEnvelopeOpened(const std::string& id,
                                                     int64_t at) {
  return Run<EnvelopeRecord>([&](PgConn& c) -> Result<EnvelopeRecord> {
    Result<PgRows> rows = c.Exec(
        "UPDATE envelopes SET open_count = open_count + 1, "
        "first_opened_at = CASE WHEN first_opened_at = 0 THEN $2 ELSE "
        "first_opened_at END WHERE id = $1" +
            std::string(kEnvelopeReturning),
        PgParams().Text(id).Int(at), "cannot change the envelope");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NotFoundError("no envelope " + id);
    return ReadEnvelope(*rows, 0);
  });
}

Result<bool> PgStore::DoClaimReadReceipt(const std::string& id, int64_t at) {
  return Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgRows> update = c.Exec(
        "UPDATE envelopes SET receipt_sent_at = $2 WHERE id = $1 AND "
        "opt_read_receipt AND receipt_sent_at = 0 AND revoked_at = 0",
        PgParams().Text(id).Int(at), "cannot claim the read receipt");
    if (!update.ok()) return update.status();
    if (update->affected() == 1) return true;
    Result<EnvelopeRecord> rec = LoadEnvelope(c, id);
    if (!rec.ok()) return rec.status();
    return false;
  });
}

Status PgStore::DoRecordPortalAudit(const PortalAuditRecord& rec) {
  Result<bool> r = Run<bool>([&](PgConn& c) -> Result<bool> {
    Result<PgRows> put = c.Exec(
        "INSERT INTO portal_audit (at, envelope_id, email, action, "
        "remote_addr, user_agent, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        PgParams()
            .Int(rec.at)
            .Text(rec.envelope_id)
            .Text(rec.email)
            .Text(rec.action)
            .Text(rec.remote_addr)
            .Text(rec.user_agent)
            .Text(rec.detail),
        "cannot record the portal audit event");
    if (!put.ok()) return put.status();
    return true;
  });
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<PortalAuditRecord>> PgStore::DoListPortalAudit(
    const std::string& envelope_id, size_t limit) {
  const size_t n = limit == 0 ? kMaxRows : std::min(limit, kMaxRows);
  return Run<std::vector<PortalAuditRecord>>(
      [&](PgConn& c) -> Result<std::vector<PortalAuditRecord>> {
        Result<PgRows> rows = c.Exec(
            "SELECT id, at, envelope_id, email, action, remote_addr, "
            "user_agent, detail FROM portal_audit WHERE ($1::text = '' OR "
            "envelope_id = $1) ORDER BY id DESC LIMIT $2",
            PgParams().Text(envelope_id).Int(static_cast<int64_t>(n)),
            "cannot read the portal audit trail");
        if (!rows.ok()) return rows.status();
        std::vector<PortalAuditRecord> out;
        for (int r = 0; r < rows->size(); ++r) {
          PortalAuditRecord rec;
          rec.id = rows->Int(r, 0);
          rec.at = rows->Int(r, 1);
          rec.envelope_id = rows->Text(r, 2);
          rec.email = rows->Text(r, 3);
          rec.action = rows->Text(r, 4);
          rec.remote_addr = rows->Text(r, 5);
          rec.user_agent = rows->Text(r, 6);
          rec.detail = rows->Text(r, 7);
          out.push_back(std::move(rec));
        }
        return out;
      });
}

}  // namespace seal::store
