// The plain data the Store keeps: certificates with their parsed metadata,
// encrypted private keys, CRLs, SMIMECapabilities, audit events and
// quarantined messages.
//
// Conventions: times are Unix seconds (UTC); a certificate is identified by
// the lower-case hex SHA-256 of its DER ("fingerprint"); e-mail addresses and
// domains are stored lower-case (ASCII). Binary fields (DER, issuer name DER,
// blobs) are std::string holding bytes. None of these types holds a plaintext
// private key: EncryptedKey is what KeyVault (key_vault.h) seals.
// Thread-safety: plain values.
#ifndef SEALMILTER_LIB_STORE_RECORDS_H_
#define SEALMILTER_LIB_STORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"

namespace seal::store {

// Where a certificate came from.
enum class CertSource {
  kImported,   // an administrator imported it (sealctl certs import)
  kHarvested,  // taken from a signed message (the sender's certificate)
  kIssued,     // the built-in CA issued it to an internal user
  kDomain,     // a gateway certificate used for every address of a domain
  kAuthority,  // the built-in CA's own certificate
};

// "imported", "harvested", "issued", "domain", "authority".
std::string_view CertSourceName(CertSource source);
Result<CertSource> ParseCertSource(std::string_view name);

// What a certificate's key may be used for, from keyUsage and
// extendedKeyUsage (an absent extension allows everything).
enum CertUsage : uint32_t {
  kUsageSign = 1u << 0,     // digitalSignature/nonRepudiation, emailProtection
  kUsageEncrypt = 1u << 1,  // keyEncipherment/keyAgreement, emailProtection
};

struct CertificateRecord {
  std::string der;         // the certificate exactly as given
  std::string sha256;      // lower-case hex SHA-256 of `der`: the identity
  std::string subject;     // RFC 2253, UTF-8
  std::string issuer;      // RFC 2253, UTF-8
  std::string issuer_der;  // DER of the issuer Name (for issuer+serial)
  std::string serial;      // upper-case hex (SerialHex in x509_parse.h)
  std::string ski;         // lower-case hex subjectKeyIdentifier, "" if none
  std::vector<std::string> emails;  // SAN rfc822Name + subject emailAddress,
                                    // lower-case, sorted, unique
  int64_t not_before = 0;
  int64_t not_after = 0;
  std::string key_algorithm;  // "rsa:2048", "ec:prime256v1", "ed25519", ...
  bool is_ca = false;         // basicConstraints cA
  uint32_t usage = 0;         // CertUsage bits

  // Kept by the store:
  CertSource source = CertSource::kImported;
  std::vector<std::string> domains;  // domains this is the domain cert for
  bool revoked = false;              // marked revoked by an administrator
  bool has_private_key = false;      // a private key is stored for it
  int64_t added_at = 0;              // when the store first saw it

  // Valid at `now`: not_before <= now <= not_after.
  bool ValidAt(int64_t now) const {
    return not_before <= now && now <= not_after;
  }
};

// A private key sealed under the master key (see master_key.h). The store
// keeps it opaque; only KeyVault can open it.
struct EncryptedKey {
  std::string master_key_id;  // hex id of the master key that sealed it
  std::string blob;           // MasterKey::Seal output
  int64_t created_at = 0;     // set by the store
};

struct CrlRecord {
  std::string der;
  std::string sha256;      // lower-case hex SHA-256 of `der`
  std::string issuer;      // RFC 2253
  std::string issuer_der;  // DER of the issuer Name: one CRL per issuer
  int64_t this_update = 0;
  int64_t next_update = 0;  // 0 when the CRL has no nextUpdate
  int64_t added_at = 0;
};

// SMIMECapabilities seen for an address (from its signed mail). The blob is
// the DER attribute value; `flags` is whatever the caller parsed from it (the
// bit meanings belong to lib/crypto). The store does not interpret either.
struct CapabilitiesRecord {
  std::string address;
  std::string cert_sha256;  // the signer certificate, "" if unknown
  std::string blob;
  uint64_t flags = 0;
  int64_t seen_at = 0;
};

// One audit line: "issued", "renewed", "ca-init", "revoked", ...
struct EventRecord {
  int64_t id = 0;  // increasing
  int64_t time = 0;
  std::string kind;
  std::string subject;  // what it concerns: an address, a fingerprint
  std::string detail;
};

// What ListCertificates returns; every set field must match.
struct CertificateFilter {
  std::optional<CertSource> source;
  std::string address;            // "" = any; else certificates for it
  bool with_private_key = false;  // only certificates with a stored key
};

// Where a quarantined message is: kept for an administrator (held), sent
// on after review (released), or gone (deleted: its bytes are erased, the
// metadata stays for the audit trail).
enum class QuarantineState { kHeld, kReleased, kDeleted };

// "held", "released", "deleted".
std::string_view QuarantineStateName(QuarantineState state);
Result<QuarantineState> ParseQuarantineState(std::string_view name);

// One message sealmilter holds instead of delivering (gateway.quarantine
// "store"). The message is kept exactly as the milter spooled it.
struct QuarantineRecord {
  std::string id;          // 16 lower-case hex digits, random; set by the store
  int64_t created_at = 0;  // set by the store
  std::string queue_id;    // the MTA's queue id, "" if unknown
  std::string sender;      // envelope sender without <>, "" = null sender
  std::vector<std::string> recipients;  // envelope recipients, in order
  // How it arrived, so a release sees the same direction (direction.h):
  std::string auth_user;    // SMTP AUTH user ({auth_authen}), "" if none
  std::string client_addr;  // the SMTP client's address, "" if unknown
  std::string reason;       // why: "content policy (rule-a,rule-b)"
  uint64_t size = 0;        // bytes of the message; set by the store
  std::string sha256;       // lower-case hex of the message; set by the store
  std::string message;      // the bytes; only when asked for (GetQuarantine)
  QuarantineState state = QuarantineState::kHeld;
  int64_t handled_at = 0;  // when it left kHeld; 0 while held
  std::string handled_by;  // who released or deleted it, "" while held
};

// What ListQuarantine returns, newest first.
struct QuarantineFilter {
  std::optional<QuarantineState> state;  // nullopt: every state
  size_t limit = 0;                      // 0: no limit
};

// Size limits the store enforces on input (hostile or mistaken blobs).
struct StoreLimits {
  size_t max_certificate_bytes = 64 * 1024;
  size_t max_crl_bytes = 16 * 1024 * 1024;
  size_t max_key_blob_bytes = 64 * 1024;
  size_t max_capabilities_bytes = 16 * 1024;
  size_t max_emails_per_certificate = 256;
  size_t max_event_text_bytes = 4096;
  size_t max_quarantine_bytes = 50u << 20;  // one quarantined message
  size_t max_quarantine_recipients = 1000;
  size_t max_envelope_recipients = 1000;  // who may open one envelope
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_RECORDS_H_
