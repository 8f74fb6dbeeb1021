// Authority: CA creation and loading, issuance, renewal and rollover.
#include "lib/ca/authority.h"

#include <algorithm>
#include <ctime>

#include "lib/ca/cert_builder.h"
#include "lib/ca/distinguished_name.h"
#include "lib/log.h"
#include "lib/store/normalize.h"
#include "lib/store/x509_parse.h"

namespace seal::ca {
namespace {

using store::CertificateRecord;
using store::CertSource;

std::string IsoDate(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  char buf[32] = "?";
  if (gmtime_r(&tt, &tm) != nullptr) {
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  return buf;
}

Result<int64_t> AddYears(int64_t t, int64_t years) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  if (gmtime_r(&tt, &tm) == nullptr) return InternalError("bad time");
  tm.tm_year += static_cast<int>(years);
  return static_cast<int64_t>(timegm(&tm));
}

// Certificates of source "authority" with a key, newest first; the first
// valid at `now`.
Result<CertificateRecord> CurrentCa(store::Store& store, int64_t now) {
  store::CertificateFilter filter;
  filter.source = CertSource::kAuthority;
  filter.with_private_key = true;
  Result<std::vector<CertificateRecord>> all = store.ListCertificates(filter);
  if (!all.ok()) return all.status();
  if (all->empty()) {
    return NotFoundError("the built-in CA has not been created (ca init)");
  }
  for (CertificateRecord& rec : *all) {
    if (rec.ValidAt(now) && !rec.revoked) return std::move(rec);
  }
  return FailedPreconditionError(
      "no CA certificate is valid now (the newest ended " +
      IsoDate(all->front().not_after) + "); create a new CA (ca init)");
}

Status NoteEvent(store::Store& store, std::string_view kind,
                 std::string_view subject, const CertificateRecord& rec) {
  return store.RecordEvent(kind, subject,
                           "sha256=" + rec.sha256 + " serial=" + rec.serial +
                               " not_after=" + IsoDate(rec.not_after));
}

void LogEventFailure(const Status& s) {
  if (!s.ok()) {
    LogLine(LogLevel::kWarning, "ca",
            "cannot record an audit event: " + s.ToString());
  }
}

}  // namespace

Status ValidateCaOptions(const CaOptions& options) {
  if (options.validity_years < 1 || options.validity_years > 100) {
    return InvalidArgumentError("ca.validity_years must be 1 to 100");
  }
  if (options.validity_days < 1 || options.validity_days > 3650) {
    return InvalidArgumentError("ca.validity_days must be 1 to 3650");
  }
  if (options.renew_before_days < 0 ||
      options.renew_before_days >= options.validity_days) {
    return InvalidArgumentError(
        "ca.renew_before_days must be at least 0 and less than "
        "ca.validity_days");
  }
  Result<store::X509NamePtr> name = ParseDistinguishedName(options.subject);
  if (!name.ok()) return name.status().WithContext("ca.subject");
  return Status::Ok();
}

Result<CertificateRecord> InitAuthority(store::Store& store,
                                        store::KeyVault& vault,
                                        const CaOptions& options, int64_t now,
                                        bool replace) {
  SEAL_RETURN_IF_ERROR(ValidateCaOptions(options));
  Result<CertificateRecord> existing = CurrentCa(store, now);
  if (existing.ok() && !replace) {
    return FailedPreconditionError(
        "a CA already exists (" + existing->subject + ", sha256 " +
        existing->sha256 + ", valid until " + IsoDate(existing->not_after) +
        "); replace it explicitly to create another");
  }
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound &&
      existing.status().code() != StatusCode::kFailedPrecondition) {
    return existing.status();
  }
  Result<store::X509NamePtr> subject = ParseDistinguishedName(options.subject);
  if (!subject.ok()) return subject.status();
  Result<store::EvpPkeyPtr> key = GenerateKey(options.key_type);
  if (!key.ok()) return key.status();
  Result<int64_t> not_after = AddYears(now, options.validity_years);
  if (!not_after.ok()) return not_after.status();
  Result<store::X509Ptr> cert = BuildCaCertificate(
      key->get(), subject->get(), now - kBackdateSeconds, *not_after);
  if (!cert.ok()) return cert.status();
  Result<std::string> der = CertificateDer(cert->get());
  if (!der.ok()) return der.status();
  Result<CertificateRecord> rec =
      vault.PutCertificateWithKey(*der, key->get(), CertSource::kAuthority);
  if (!rec.ok()) return rec.status();
  LogEventFailure(NoteEvent(store,
                            replace && existing.ok() ? "ca-replace" : "ca-init",
                            rec->subject, *rec));
  return rec;
}

Result<std::unique_ptr<Authority>> Authority::Load(store::Store& store,
                                                   store::KeyVault& vault,
                                                   const CaOptions& options,
                                                   const store::Clock& clock) {
  SEAL_RETURN_IF_ERROR(ValidateCaOptions(options));
  Result<CertificateRecord> rec = CurrentCa(store, clock.Now());
  if (!rec.ok()) return rec.status();
  Result<store::X509Ptr> cert = store::DecodeCertificate(rec->der);
  if (!cert.ok()) return cert.status();
  Result<store::EvpPkeyPtr> key = vault.GetPrivateKey(rec->sha256);
  if (!key.ok()) return key.status().WithContext("CA key");
  return std::unique_ptr<Authority>(
      new Authority(store, vault, options, clock, std::move(*rec),
                    std::move(*cert), std::move(*key)));
}

Authority::Authority(store::Store& store, store::KeyVault& vault,
                     CaOptions options, const store::Clock& clock,
                     CertificateRecord ca_record, store::X509Ptr ca_cert,
                     store::EvpPkeyPtr ca_key)
    : store_(store),
      vault_(vault),
      options_(std::move(options)),
      clock_(clock),
      ca_record_(std::move(ca_record)),
      ca_cert_(std::move(ca_cert)),
      ca_key_(std::move(ca_key)) {}

Result<CertificateRecord> Authority::IssueLocked(const std::string& address,
                                                 int64_t now,
                                                 std::string_view event) {
  if (!ca_record_.ValidAt(now)) {
    return FailedPreconditionError("the CA certificate is not valid now (" +
                                   IsoDate(ca_record_.not_before) + " to " +
                                   IsoDate(ca_record_.not_after) + ")");
  }
  const int64_t window = options_.renew_before_days * store::kSecondsPerDay;
  const int64_t not_before =
      std::max(now - kBackdateSeconds, ca_record_.not_before);
  const int64_t not_after =
      std::min(now + options_.validity_days * store::kSecondsPerDay,
               ca_record_.not_after);
  if (not_after - now <= window) {
    return FailedPreconditionError(
        "the CA certificate ends " + IsoDate(ca_record_.not_after) +
        ", too soon to issue a certificate that outlasts the renewal window; "
        "create a new CA (ca init, replacing)");
  }
  Result<store::EvpPkeyPtr> key = GenerateKey(options_.user_key_type);
  if (!key.ok()) return key.status();
  Result<store::X509Ptr> cert =
      BuildUserCertificate(ca_cert_.get(), ca_key_.get(), key->get(), address,
                           not_before, not_after);
  if (!cert.ok()) return cert.status();
  Result<std::string> der = CertificateDer(cert->get());
  if (!der.ok()) return der.status();
  Result<CertificateRecord> rec =
      vault_.PutCertificateWithKey(*der, key->get(), CertSource::kIssued);
  if (!rec.ok()) return rec.status();
  LogEventFailure(NoteEvent(store_, event, address, *rec));
  return rec;
}

Result<Issued> Authority::EnsureCurrent(std::string_view address, int64_t now) {
  Result<std::string> normal = store::NormalizeAddress(address);
  if (!normal.ok()) return normal.status();
  std::lock_guard<std::mutex> lock(mu_);
  Result<CertificateRecord> best = store_.BestCertificateFor(
      *normal, now, store::kUsageEncrypt, CertSource::kIssued);
  if (!best.ok() && best.status().code() != StatusCode::kNotFound) {
    return best.status();
  }
  const int64_t window = options_.renew_before_days * store::kSecondsPerDay;
  if (best.ok() && best->has_private_key && best->not_after - now > window) {
    return Issued{std::move(*best), false, Status::Ok()};
  }
  Result<CertificateRecord> issued =
      IssueLocked(*normal, now, best.ok() ? "renewed" : "issued");
  if (!issued.ok()) {
    if (best.ok() && best->has_private_key &&
        issued.status().code() == StatusCode::kFailedPrecondition) {
      LogLine(LogLevel::kWarning, "ca",
              "cannot renew the certificate of " + *normal + ": " +
                  issued.status().message());
      return Issued{std::move(*best), false, issued.status()};
    }
    return issued.status();
  }
  return Issued{std::move(*issued), true, Status::Ok()};
}

Result<CertificateRecord> Authority::Rollover(std::string_view address,
                                              int64_t now,
                                              bool revoke_previous) {
  Result<std::string> normal = store::NormalizeAddress(address);
  if (!normal.ok()) return normal.status();
  std::lock_guard<std::mutex> lock(mu_);
  Result<CertificateRecord> issued = IssueLocked(*normal, now, "rollover");
  if (!issued.ok()) return issued.status();
  if (revoke_previous) {
    store::CertificateFilter filter;
    filter.source = CertSource::kIssued;
    filter.address = *normal;
    Result<std::vector<CertificateRecord>> all =
        store_.ListCertificates(filter);
    if (!all.ok()) return all.status();
    for (const CertificateRecord& rec : *all) {
      if (rec.sha256 == issued->sha256 || rec.revoked) continue;
      SEAL_RETURN_IF_ERROR(store_.SetRevoked(rec.sha256, true));
      LogEventFailure(NoteEvent(store_, "revoked", *normal, rec));
    }
  }
  return issued;
}

}  // namespace seal::ca
