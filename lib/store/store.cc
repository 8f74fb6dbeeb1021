// Store: the backend-independent half — input checks, normalisation, caps
// and timestamps — in front of the Do* hooks.
#include "lib/store/store.h"

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "lib/store/hex.h"
#include "lib/store/normalize.h"
#include "lib/store/openssl_util.h"
#include "lib/store/x509_parse.h"

namespace seal::store {
namespace {

// Hex digits with optional ':' separators, lower-cased; "" when invalid.
std::string CleanHex(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ':') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
    out.push_back(c);
  }
  return out;
}

constexpr size_t kMaxNameDerBytes = 64 * 1024;
constexpr size_t kMaxKindBytes = 64;

Status CheckText(std::string_view what, std::string_view text, size_t max) {
  if (text.size() > max) {
    return ResourceExhaustedError(std::string(what) + " is longer than " +
                                  std::to_string(max) + " bytes");
  }
  return Status::Ok();
}

constexpr size_t kQuarantineIdDigits = 16;
constexpr size_t kMaxQueueIdBytes = 64;
constexpr size_t kMaxActorBytes = 256;
constexpr int kIdAttempts = 4;

// Text without control characters (CR, LF, NUL, DEL, ...) and at most `max`
// bytes: safe in a log line, an SMTP command or a table.
Status CheckLine(std::string_view what, std::string_view text, size_t max) {
  SEAL_RETURN_IF_ERROR(CheckText(what, text, max));
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgumentError(std::string(what) +
                                  " contains a control character");
    }
  }
  return Status::Ok();
}

Result<std::string> NewQuarantineId() {
  unsigned char bytes[kQuarantineIdDigits / 2];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return OpenSslError("cannot draw a random quarantine id");
  }
  return HexLower(
      std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace

Result<std::string> NormalizeQuarantineId(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      out.clear();
      break;
    }
    out.push_back(c);
  }
  if (out.size() != kQuarantineIdDigits) {
    return InvalidArgumentError("a quarantine id is " +
                                std::to_string(kQuarantineIdDigits) +
                                " hex digits");
  }
  return out;
}

Result<std::string> NormalizeFingerprint(std::string_view sha256) {
  std::string hex = CleanHex(sha256);
  if (hex.size() != 64) {
    return InvalidArgumentError(
        "a certificate fingerprint is 64 hex digits (SHA-256)");
  }
  return hex;
}

Result<std::string> NormalizeKeyId(std::string_view ski) {
  std::string hex = CleanHex(ski);
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 128) {
    return InvalidArgumentError(
        "a subject key identifier is 1 to 64 bytes of hex");
  }
  return hex;
}

Result<std::string> NormalizeSerial(std::string_view serial) {
  bool negative = !serial.empty() && serial.front() == '-';
  if (negative) serial.remove_prefix(1);
  std::string hex = CleanHex(serial);
  if (hex.empty() || hex.size() > 80) {
    return InvalidArgumentError("a serial number is 1 to 40 bytes of hex");
  }
  if (negative) hex.insert(hex.begin(), '-');
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) {
    return OpenSslError("bad serial number", StatusCode::kInvalidArgument);
  }
  BignumPtr bn(raw);
  char* printed = BN_bn2hex(bn.get());
  if (printed == nullptr) return OpenSslError("cannot print serial number");
  std::string out(printed);
  OPENSSL_free(printed);
  return out;
}

Store::Store(StoreLimits limits, const Clock* clock)
    : limits_(limits),
      clock_(clock != nullptr ? clock : &SystemClock::Instance()) {}

Result<CertificateRecord> Store::ParseForPut(std::string_view der,
                                             CertSource source,
                                             std::string_view domain,
                                             std::string& normal_domain) const {
  if (der.size() > limits_.max_certificate_bytes) {
    return ResourceExhaustedError(
        "certificate is larger than " +
        std::to_string(limits_.max_certificate_bytes) + " bytes");
  }
  if (source == CertSource::kDomain) {
    Result<std::string> d = NormalizeDomain(domain);
    if (!d.ok()) return d.status();
    normal_domain = std::move(*d);
  } else if (!domain.empty()) {
    return InvalidArgumentError(
        "only a domain certificate (source domain) names a domain");
  }
  Result<CertificateRecord> rec =
      ParseCertificate(der, limits_.max_emails_per_certificate);
  if (!rec.ok()) return rec.status();
  rec->source = source;
  rec->added_at = clock_->Now();
  if (!normal_domain.empty()) rec->domains.push_back(normal_domain);
  return rec;
}

Status Store::CheckKey(const EncryptedKey& key) const {
  if (key.blob.empty()) return InvalidArgumentError("sealed key is empty");
  if (key.blob.size() > limits_.max_key_blob_bytes) {
    return ResourceExhaustedError("sealed key is larger than " +
                                  std::to_string(limits_.max_key_blob_bytes) +
                                  " bytes");
  }
  if (!IsLowerHex(key.master_key_id) || key.master_key_id.size() > 64) {
    return InvalidArgumentError("master key id must be lower-case hex");
  }
  return Status::Ok();
}

Result<CertificateRecord> Store::PutCertificate(std::string_view der,
                                                CertSource source,
                                                std::string_view domain) {
  std::string normal_domain;
  Result<CertificateRecord> rec =
      ParseForPut(der, source, domain, normal_domain);
  if (!rec.ok()) return rec.status();
  return DoPutCertificate(*rec, normal_domain, nullptr);
}

Result<CertificateRecord> Store::PutCertificateWithKey(
    std::string_view der, CertSource source, std::string_view domain,
    const EncryptedKey& key) {
  SEAL_RETURN_IF_ERROR(CheckKey(key));
  std::string normal_domain;
  Result<CertificateRecord> rec =
      ParseForPut(der, source, domain, normal_domain);
  if (!rec.ok()) return rec.status();
  EncryptedKey stamped = key;
  stamped.created_at = clock_->Now();
  return DoPutCertificate(*rec, normal_domain, &stamped);
}

Result<CertificateRecord> Store::GetCertificate(std::string_view sha256) {
  Result<std::string> fp = NormalizeFingerprint(sha256);
  if (!fp.ok()) return fp.status();
  return DoGetCertificate(*fp);
}

Result<std::vector<CertificateRecord>> Store::CertificatesFor(
    std::string_view address) {
  Result<std::string> a = NormalizeAddress(address);
  if (!a.ok()) return a.status();
  CertificateFilter filter;
  filter.address = std::move(*a);
  return DoListCertificates(filter);
}

Result<CertificateRecord> Store::BestCertificateFor(
    std::string_view address, int64_t now, CertUsage usage,
    std::optional<CertSource> source) {
  Result<std::string> a = NormalizeAddress(address);
  if (!a.ok()) return a.status();
  return DoBestCertificate(*a, now, usage, source);
}

Result<CertificateRecord> Store::DomainCertificate(std::string_view domain,
                                                   int64_t now) {
  Result<std::string> d = NormalizeDomain(domain);
  if (!d.ok()) return d.status();
  return DoDomainCertificate(*d, now);
}

Result<std::vector<CertificateRecord>> Store::FindByIssuerSerial(
    std::string_view issuer_der, std::string_view serial_hex) {
  if (issuer_der.empty() || issuer_der.size() > kMaxNameDerBytes) {
    return InvalidArgumentError("issuer name DER is empty or too large");
  }
  Result<std::string> serial = NormalizeSerial(serial_hex);
  if (!serial.ok()) return serial.status();
  return DoFindByIssuerSerial(std::string(issuer_der), *serial);
}

Result<std::vector<CertificateRecord>> Store::FindBySki(
    std::string_view ski_hex) {
  Result<std::string> ski = NormalizeKeyId(ski_hex);
  if (!ski.ok()) return ski.status();
  return DoFindBySki(*ski);
}

Result<std::vector<CertificateRecord>> Store::ListCertificates(
    const CertificateFilter& filter) {
  CertificateFilter normal = filter;
  if (!filter.address.empty()) {
    Result<std::string> a = NormalizeAddress(filter.address);
    if (!a.ok()) return a.status();
    normal.address = std::move(*a);
  }
  return DoListCertificates(normal);
}

Status Store::SetRevoked(std::string_view sha256, bool revoked) {
  Result<std::string> fp = NormalizeFingerprint(sha256);
  if (!fp.ok()) return fp.status();
  return DoSetRevoked(*fp, revoked);
}

Status Store::RemoveCertificate(std::string_view sha256, KeyRemoval keys) {
  Result<std::string> fp = NormalizeFingerprint(sha256);
  if (!fp.ok()) return fp.status();
  return DoRemoveCertificate(*fp, keys);
}

Status Store::PutPrivateKey(std::string_view cert_sha256,
                            const EncryptedKey& key) {
  Result<std::string> fp = NormalizeFingerprint(cert_sha256);
  if (!fp.ok()) return fp.status();
  SEAL_RETURN_IF_ERROR(CheckKey(key));
  EncryptedKey stamped = key;
  stamped.created_at = clock_->Now();
  return DoPutPrivateKey(*fp, stamped);
}

Result<EncryptedKey> Store::GetPrivateKey(std::string_view cert_sha256) {
  Result<std::string> fp = NormalizeFingerprint(cert_sha256);
  if (!fp.ok()) return fp.status();
  return DoGetPrivateKey(*fp);
}

Result<CrlRecord> Store::PutCrl(std::string_view der) {
  if (der.size() > limits_.max_crl_bytes) {
    return ResourceExhaustedError("CRL is larger than " +
                                  std::to_string(limits_.max_crl_bytes) +
                                  " bytes");
  }
  Result<CrlRecord> crl = ParseCrl(der);
  if (!crl.ok()) return crl.status();
  crl->added_at = clock_->Now();
  return DoPutCrl(*crl);
}

Result<CrlRecord> Store::GetCrl(std::string_view issuer_der) {
  if (issuer_der.empty() || issuer_der.size() > kMaxNameDerBytes) {
    return InvalidArgumentError("issuer name DER is empty or too large");
  }
  return DoGetCrl(std::string(issuer_der));
}

Result<std::vector<CrlRecord>> Store::ListCrls() { return DoListCrls(); }

Status Store::RemoveCrl(std::string_view issuer_der) {
  if (issuer_der.empty() || issuer_der.size() > kMaxNameDerBytes) {
    return InvalidArgumentError("issuer name DER is empty or too large");
  }
  return DoRemoveCrl(std::string(issuer_der));
}

Status Store::PutCapabilities(const CapabilitiesRecord& caps) {
  CapabilitiesRecord normal = caps;
  Result<std::string> a = NormalizeAddress(caps.address);
  if (!a.ok()) return a.status();
  normal.address = std::move(*a);
  if (!caps.cert_sha256.empty()) {
    Result<std::string> fp = NormalizeFingerprint(caps.cert_sha256);
    if (!fp.ok()) return fp.status();
    normal.cert_sha256 = std::move(*fp);
  }
  if (caps.blob.size() > limits_.max_capabilities_bytes) {
    return ResourceExhaustedError(
        "SMIMECapabilities are larger than " +
        std::to_string(limits_.max_capabilities_bytes) + " bytes");
  }
  if (normal.seen_at == 0) normal.seen_at = clock_->Now();
  return DoPutCapabilities(normal);
}

Result<CapabilitiesRecord> Store::CapabilitiesFor(
    std::string_view address, std::string_view cert_sha256) {
  Result<std::string> a = NormalizeAddress(address);
  if (!a.ok()) return a.status();
  std::string fp;
  if (!cert_sha256.empty()) {
    Result<std::string> f = NormalizeFingerprint(cert_sha256);
    if (!f.ok()) return f.status();
    fp = std::move(*f);
  }
  return DoCapabilitiesFor(*a, fp);
}

Status Store::RecordEvent(std::string_view kind, std::string_view subject,
                          std::string_view detail) {
  if (kind.empty()) return InvalidArgumentError("event kind is empty");
  SEAL_RETURN_IF_ERROR(CheckText("event kind", kind, kMaxKindBytes));
  SEAL_RETURN_IF_ERROR(
      CheckText("event subject", subject, limits_.max_event_text_bytes));
  SEAL_RETURN_IF_ERROR(
      CheckText("event detail", detail, limits_.max_event_text_bytes));
  EventRecord event;
  event.time = clock_->Now();
  event.kind = std::string(kind);
  event.subject = std::string(subject);
  event.detail = std::string(detail);
  return DoRecordEvent(event);
}

Result<std::vector<EventRecord>> Store::RecentEvents(size_t limit) {
  if (limit == 0) return std::vector<EventRecord>();
  return DoRecentEvents(limit);
}

Result<QuarantineRecord> Store::PutQuarantine(std::string_view message,
                                              const QuarantineRecord& info) {
  if (message.empty()) {
    return InvalidArgumentError("a quarantined message cannot be empty");
  }
  if (message.size() > limits_.max_quarantine_bytes) {
    return ResourceExhaustedError(
        "message is larger than the quarantine limit of " +
        std::to_string(limits_.max_quarantine_bytes) + " bytes");
  }
  if (info.recipients.empty()) {
    return InvalidArgumentError("a quarantined message needs a recipient");
  }
  if (info.recipients.size() > limits_.max_quarantine_recipients) {
    return ResourceExhaustedError(
        "more than " + std::to_string(limits_.max_quarantine_recipients) +
        " recipients to quarantine");
  }
  for (const std::string& r : info.recipients) {
    if (r.empty()) return InvalidArgumentError("empty recipient address");
    SEAL_RETURN_IF_ERROR(CheckLine("recipient", r, kMaxAddressBytes));
  }
  SEAL_RETURN_IF_ERROR(CheckLine("sender", info.sender, kMaxAddressBytes));
  SEAL_RETURN_IF_ERROR(CheckLine("queue id", info.queue_id, kMaxQueueIdBytes));
  SEAL_RETURN_IF_ERROR(CheckLine("AUTH user", info.auth_user, kMaxActorBytes));
  SEAL_RETURN_IF_ERROR(
      CheckLine("client address", info.client_addr, kMaxActorBytes));
  SEAL_RETURN_IF_ERROR(CheckLine("quarantine reason", info.reason,
                                 limits_.max_event_text_bytes));

  QuarantineRecord rec;
  rec.created_at = clock_->Now();
  rec.queue_id = info.queue_id;
  rec.sender = info.sender;
  rec.recipients = info.recipients;
  rec.auth_user = info.auth_user;
  rec.client_addr = info.client_addr;
  rec.reason = info.reason;
  rec.size = message.size();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         digest);
  rec.sha256 = HexLower(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  rec.state = QuarantineState::kHeld;
  // 64 random bits: a collision is improbable, but a new id costs nothing.
  Status last;
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    Result<std::string> id = NewQuarantineId();
    if (!id.ok()) return id.status();
    rec.id = std::move(*id);
    last = DoPutQuarantine(rec, message);
    if (last.code() != StatusCode::kFailedPrecondition) break;
  }
  if (!last.ok()) return last;
  return rec;
}

Result<QuarantineRecord> Store::GetQuarantine(std::string_view id,
                                              bool with_message) {
  Result<std::string> normal = NormalizeQuarantineId(id);
  if (!normal.ok()) return normal.status();
  return DoGetQuarantine(*normal, with_message);
}

Result<std::vector<QuarantineRecord>> Store::ListQuarantine(
    const QuarantineFilter& filter) {
  return DoListQuarantine(filter);
}

Status Store::MarkReleased(std::string_view id, std::string_view by) {
  Result<std::string> normal = NormalizeQuarantineId(id);
  if (!normal.ok()) return normal.status();
  if (by.empty()) return InvalidArgumentError("who releases it is not named");
  SEAL_RETURN_IF_ERROR(CheckLine("releasing user", by, kMaxActorBytes));
  return DoSetQuarantineState(*normal, {QuarantineState::kHeld},
                              QuarantineState::kReleased, clock_->Now(),
                              std::string(by));
}

Status Store::DeleteQuarantine(std::string_view id, std::string_view by) {
  Result<std::string> normal = NormalizeQuarantineId(id);
  if (!normal.ok()) return normal.status();
  if (by.empty()) return InvalidArgumentError("who deletes it is not named");
  SEAL_RETURN_IF_ERROR(CheckLine("deleting user", by, kMaxActorBytes));
  return DoSetQuarantineState(
      *normal, {QuarantineState::kHeld, QuarantineState::kReleased},
      QuarantineState::kDeleted, clock_->Now(), std::string(by));
}

// --- Envelopes (portal) ----------------------------------------------------

namespace {

constexpr size_t kMaxKeyIdBytes = 128;
constexpr size_t kMaxActionBytes = 64;

}  // namespace

Result<EnvelopeRecord> Store::PutEnvelope(const EnvelopeRecord& rec) {
  EnvelopeRecord normal;
  Result<std::string> id = NormalizeEnvelopeId(rec.id);
  if (!id.ok()) return id.status();
  normal.id = std::move(*id);
  if (rec.recipients.empty()) {
    return InvalidArgumentError("an envelope needs a recipient");
  }
  if (rec.recipients.size() > limits_.max_envelope_recipients) {
    return ResourceExhaustedError(
        "more than " + std::to_string(limits_.max_envelope_recipients) +
        " envelope recipients");
  }
  for (const std::string& r : rec.recipients) {
    Result<std::string> a = NormalizeAddress(r);
    if (!a.ok()) return a.status();
    SEAL_RETURN_IF_ERROR(CheckLine("recipient", *a, kMaxAddressBytes));
    normal.recipients.push_back(std::move(*a));
  }
  if (!rec.sender.empty()) {
    Result<std::string> a = NormalizeAddress(rec.sender);
    if (!a.ok()) return a.status();
    SEAL_RETURN_IF_ERROR(CheckLine("sender", *a, kMaxAddressBytes));
    normal.sender = std::move(*a);
  }
  SEAL_RETURN_IF_ERROR(
      CheckLine("portal key id", rec.portal_key_id, kMaxKeyIdBytes));
  if (rec.expires_at < 0) {
    return InvalidArgumentError("an envelope expiry cannot be negative");
  }
  normal.created_at = clock_->Now();
  normal.expires_at = rec.expires_at;
  normal.portal_key_id = rec.portal_key_id;
  normal.security = rec.security;
  normal.reply = rec.reply;
  normal.reply_all = rec.reply_all;
  normal.forward = rec.forward;
  normal.read_receipt = rec.read_receipt;
  SEAL_RETURN_IF_ERROR(DoPutEnvelope(normal));
  return normal;
}

Result<EnvelopeRecord> Store::GetEnvelope(std::string_view id) {
  Result<std::string> normal = NormalizeEnvelopeId(id);
  if (!normal.ok()) return normal.status();
  return DoGetEnvelope(*normal);
}

Result<std::vector<EnvelopeRecord>> Store::ListEnvelopes(
    const EnvelopeFilter& filter) {
  EnvelopeFilter normal = filter;
  if (!filter.sender.empty()) {
    Result<std::string> a = NormalizeAddress(filter.sender);
    if (!a.ok()) return a.status();
    normal.sender = std::move(*a);
  }
  if (!filter.recipient.empty()) {
    Result<std::string> a = NormalizeAddress(filter.recipient);
    if (!a.ok()) return a.status();
    normal.recipient = std::move(*a);
  }
  return DoListEnvelopes(normal, clock_->Now());
}

Status Store::RevokeEnvelope(std::string_view id, std::string_view by,
                             std::string_view reason) {
  Result<std::string> normal = NormalizeEnvelopeId(id);
  if (!normal.ok()) return normal.status();
  if (by.empty()) return InvalidArgumentError("who revokes it is not named");
  SEAL_RETURN_IF_ERROR(CheckLine("revoking user", by, kMaxActorBytes));
  SEAL_RETURN_IF_ERROR(
      CheckLine("revoke reason", reason, limits_.max_event_text_bytes));
  return DoRevokeEnvelope(*normal, clock_->Now(), std::string(by),
                          std::string(reason));
}

Status Store::SetEnvelopeExpiry(std::string_view id, int64_t at) {
  Result<std::string> normal = NormalizeEnvelopeId(id);
  if (!normal.ok()) return normal.status();
  if (at < -1) return InvalidArgumentError("an envelope expiry is negative");
  if (at == -1) at = clock_->Now();
  return DoSetEnvelopeExpiry(*normal, at);
}

Result<EnvelopeRecord> Store::NoteEnvelopeOpened(std::string_view id) {
  Result<std::string> normal = NormalizeEnvelopeId(id);
  if (!normal.ok()) return normal.status();
  return DoNoteEnvelopeOpened(*normal, clock_->Now());
}

Result<bool> Store::ClaimReadReceipt(std::string_view id) {
  Result<std::string> normal = NormalizeEnvelopeId(id);
  if (!normal.ok()) return normal.status();
  return DoClaimReadReceipt(*normal, clock_->Now());
}

Status Store::RecordPortalAudit(const PortalAuditRecord& rec) {
  PortalAuditRecord normal;
  if (!rec.envelope_id.empty()) {
    Result<std::string> id = NormalizeEnvelopeId(rec.envelope_id);
    if (!id.ok()) return id.status();
    normal.envelope_id = std::move(*id);
  }
  if (rec.action.empty() || rec.action.size() > kMaxActionBytes) {
    return InvalidArgumentError("a portal audit action is 1 to " +
                                std::to_string(kMaxActionBytes) + " bytes");
  }
  for (char c : rec.action) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) {
      return InvalidArgumentError("a portal audit action is [a-z_]");
    }
  }
  SEAL_RETURN_IF_ERROR(CheckLine("email", rec.email, kMaxAddressBytes));
  SEAL_RETURN_IF_ERROR(
      CheckLine("remote address", rec.remote_addr, kMaxActorBytes));
  SEAL_RETURN_IF_ERROR(
      CheckLine("user agent", rec.user_agent, limits_.max_event_text_bytes));
  SEAL_RETURN_IF_ERROR(
      CheckLine("audit detail", rec.detail, limits_.max_event_text_bytes));
  normal.at = clock_->Now();
  normal.email = rec.email;
  for (char& c : normal.email) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  normal.action = rec.action;
  normal.remote_addr = rec.remote_addr;
  normal.user_agent = rec.user_agent;
  normal.detail = rec.detail;
  return DoRecordPortalAudit(normal);
}

Result<std::vector<PortalAuditRecord>> Store::ListPortalAudit(
    std::string_view envelope_id, size_t limit) {
  std::string id;
  if (!envelope_id.empty()) {
    Result<std::string> normal = NormalizeEnvelopeId(envelope_id);
    if (!normal.ok()) return normal.status();
    id = std::move(*normal);
  }
  return DoListPortalAudit(id, limit);
}

// --- Portal accounts, tokens and sessions (sealportal) ----------------------

namespace {

constexpr size_t kMaxPasswordHashBytes = 512;
constexpr size_t kMaxLocaleBytes = 35;  // BCP 47 tags in practice
// Lock and idle times up to 100 years: enough for any policy, and `now +`
// them cannot overflow.
constexpr int64_t kMaxPortalSeconds = 100LL * 366 * kSecondsPerDay;

Result<std::string> PortalEmail(std::string_view email) {
  Result<std::string> a = NormalizeAddress(email);
  if (!a.ok()) {
    return InvalidArgumentError("portal account email: " +
                                a.status().message());
  }
  return a;
}

// A libsodium password hash string ("$argon2id$v=19$..."): printable ASCII
// without spaces, at most kMaxPasswordHashBytes.
Status CheckPasswordHash(std::string_view hash) {
  if (hash.size() > kMaxPasswordHashBytes) {
    return InvalidArgumentError("a password hash is longer than " +
                                std::to_string(kMaxPasswordHashBytes) +
                                " bytes");
  }
  for (char c : hash) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return InvalidArgumentError(
          "a password hash is printable ASCII without spaces or control "
          "characters");
    }
  }
  return Status::Ok();
}

// "", or a language tag: letters, digits, '-' and '_'.
Status CheckLocale(std::string_view locale) {
  if (locale.size() > kMaxLocaleBytes) {
    return InvalidArgumentError("a locale is at most " +
                                std::to_string(kMaxLocaleBytes) + " bytes");
  }
  for (char c : locale) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return InvalidArgumentError(
          "a locale is letters, digits, '-' and '_' (e.g. de-CH)");
    }
  }
  return Status::Ok();
}

// CheckLine, but over the cap is kInvalidArgument: the portal passes
// request headers through, so an oversized one is malformed input.
Status CheckPortalLine(std::string_view what, std::string_view text,
                       size_t max) {
  if (text.size() > max) {
    return InvalidArgumentError(std::string(what) + " is longer than " +
                                std::to_string(max) + " bytes");
  }
  return CheckLine(what, text, max);
}

Result<std::string> SecretHash(std::string_view what, std::string_view hash) {
  Result<std::string> h = NormalizeSecretHash(hash);
  if (!h.ok()) {
    return InvalidArgumentError(std::string(what) + ": " +
                                h.status().message());
  }
  return h;
}

}  // namespace

Status Store::PutPortalAccount(const PortalAccount& account) {
  Result<std::string> email = PortalEmail(account.email);
  if (!email.ok()) return email.status();
  SEAL_RETURN_IF_ERROR(CheckPasswordHash(account.password_hash));
  SEAL_RETURN_IF_ERROR(CheckLocale(account.locale));
  if (account.failed_logins != 0 || account.locked_until != 0 ||
      account.last_login_at != 0) {
    return InvalidArgumentError(
        "a new portal account starts with failed_logins, locked_until and "
        "last_login_at 0");
  }
  if (account.confirmed_at < 0) {
    return InvalidArgumentError("confirmed_at cannot be negative");
  }
  PortalAccount normal;
  normal.email = std::move(*email);
  normal.password_hash = account.password_hash;
  normal.locale = account.locale;
  normal.created_at = clock_->Now();
  normal.confirmed_at = account.confirmed_at;
  normal.password_changed_at =
      account.password_hash.empty() ? 0 : normal.created_at;
  return DoPutPortalAccount(normal);
}

Result<PortalAccount> Store::GetPortalAccount(std::string_view email) {
  Result<std::string> e = PortalEmail(email);
  if (!e.ok()) return e.status();
  return DoGetPortalAccount(*e);
}

Status Store::ConfirmPortalAccount(std::string_view email) {
  Result<std::string> e = PortalEmail(email);
  if (!e.ok()) return e.status();
  return DoConfirmPortalAccount(*e, clock_->Now());
}

Status Store::SetPortalPassword(std::string_view email,
                                std::string_view password_hash) {
  Result<std::string> e = PortalEmail(email);
  if (!e.ok()) return e.status();
  if (password_hash.empty()) {
    return InvalidArgumentError("a new password hash cannot be empty");
  }
  SEAL_RETURN_IF_ERROR(CheckPasswordHash(password_hash));
  return DoSetPortalPassword(*e, std::string(password_hash), clock_->Now());
}

Result<PortalAccount> Store::NotePortalLoginFailure(std::string_view email,
                                                    int64_t max_failures,
                                                    int64_t lock_seconds) {
  Result<std::string> e = PortalEmail(email);
  if (!e.ok()) return e.status();
  if (max_failures < 1 || max_failures > 1000000) {
    return InvalidArgumentError("max_failures must be 1 to 1000000");
  }
  if (lock_seconds < 1 || lock_seconds > kMaxPortalSeconds) {
    return InvalidArgumentError("lock_seconds must be 1 to " +
                                std::to_string(kMaxPortalSeconds));
  }
  return DoNotePortalLoginFailure(*e, max_failures, lock_seconds,
                                  clock_->Now());
}

Status Store::NotePortalLoginSuccess(std::string_view email) {
  Result<std::string> e = PortalEmail(email);
  if (!e.ok()) return e.status();
  return DoNotePortalLoginSuccess(*e, clock_->Now());
}

Status Store::DeletePortalAccount(std::string_view email) {
  Result<std::string> e = PortalEmail(email);
  if (!e.ok()) return e.status();
  return DoDeletePortalAccount(*e);
}

Status Store::PutPortalToken(const PortalToken& token) {
  Result<std::string> hash = SecretHash("portal token", token.token_hash);
  if (!hash.ok()) return hash.status();
  Result<std::string> email = PortalEmail(token.email);
  if (!email.ok()) return email.status();
  if (PortalTokenPurposeName(token.purpose) == "unknown") {
    return InvalidArgumentError("unknown portal token purpose");
  }
  const int64_t now = clock_->Now();
  if (token.expires_at <= now) {
    return InvalidArgumentError(
        "a portal token's expires_at must be after now");
  }
  PortalToken normal;
  normal.token_hash = std::move(*hash);
  normal.email = std::move(*email);
  normal.purpose = token.purpose;
  normal.created_at = now;
  normal.expires_at = token.expires_at;
  return DoPutPortalToken(normal);
}

Result<PortalToken> Store::ConsumePortalToken(std::string_view token_hash,
                                              PortalTokenPurpose purpose) {
  Result<std::string> hash = SecretHash("portal token", token_hash);
  if (!hash.ok()) return hash.status();
  if (PortalTokenPurposeName(purpose) == "unknown") {
    return InvalidArgumentError("unknown portal token purpose");
  }
  return DoConsumePortalToken(*hash, purpose, clock_->Now());
}

Status Store::PutPortalSession(const PortalSession& session) {
  Result<std::string> hash = SecretHash("portal session", session.id_hash);
  if (!hash.ok()) return hash.status();
  Result<std::string> email = PortalEmail(session.email);
  if (!email.ok()) return email.status();
  const int64_t now = clock_->Now();
  if (session.expires_at <= now) {
    return InvalidArgumentError(
        "a portal session's expires_at must be after now");
  }
  SEAL_RETURN_IF_ERROR(CheckPortalLine("session remote address",
                                       session.remote_addr, kMaxActorBytes));
  SEAL_RETURN_IF_ERROR(CheckPortalLine("session user agent", session.user_agent,
                                       limits_.max_event_text_bytes));
  PortalSession normal;
  normal.id_hash = std::move(*hash);
  normal.email = std::move(*email);
  normal.created_at = now;
  normal.last_seen_at = now;
  normal.expires_at = session.expires_at;
  normal.remote_addr = session.remote_addr;
  normal.user_agent = session.user_agent;
  return DoPutPortalSession(normal);
}

Result<PortalSession> Store::TouchPortalSession(std::string_view id_hash,
                                                int64_t idle_seconds) {
  Result<std::string> hash = SecretHash("portal session", id_hash);
  if (!hash.ok()) return hash.status();
  if (idle_seconds < 0 || idle_seconds > kMaxPortalSeconds) {
    return InvalidArgumentError("idle_seconds must be 0 to " +
                                std::to_string(kMaxPortalSeconds));
  }
  return DoTouchPortalSession(*hash, idle_seconds, clock_->Now());
}

Status Store::DeletePortalSession(std::string_view id_hash) {
  Result<std::string> hash = SecretHash("portal session", id_hash);
  if (!hash.ok()) return hash.status();
  return DoDeletePortalSession(*hash);
}

Status Store::DeletePortalSessionsFor(std::string_view email) {
  Result<std::string> e = PortalEmail(email);
  if (!e.ok()) return e.status();
  return DoDeletePortalSessionsFor(*e);
}

Result<int64_t> Store::PurgePortalExpired() {
  return DoPurgePortalExpired(clock_->Now());
}

}  // namespace seal::store
