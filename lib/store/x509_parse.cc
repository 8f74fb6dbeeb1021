// Certificate and CRL metadata extraction with OpenSSL.
#include "lib/store/x509_parse.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>

#include "lib/store/hex.h"
#include "lib/store/normalize.h"

namespace seal::store {
namespace {

// DER of `obj` through an i2d function.
template <typename T>
Result<std::string> ToDer(const T* obj, int (*i2d)(const T*, unsigned char**),
                          std::string_view what) {
  int n = i2d(obj, nullptr);
  if (n <= 0) return OpenSslError("cannot encode " + std::string(what));
  std::string out(static_cast<size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d(obj, &p) != n) {
    return OpenSslError("cannot encode " + std::string(what));
  }
  return out;
}

std::string KeyAlgorithm(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);  // owned by cert
  if (key == nullptr) {
    ClearOpenSslErrors();
    return "unknown";
  }
  int id = EVP_PKEY_get_base_id(key);
  int bits = EVP_PKEY_get_bits(key);
  switch (id) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return (id == EVP_PKEY_RSA ? "rsa:" : "rsa-pss:") + std::to_string(bits);
    case EVP_PKEY_EC: {
      char group[80] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1) {
        return "ec:" + std::string(group, len);
      }
      ClearOpenSslErrors();
      return "ec:unknown";
    }
    default: {
      const char* sn = OBJ_nid2sn(id);
      return sn != nullptr ? std::string(sn) : std::string("unknown");
    }
  }
}

uint32_t UsageOf(X509* cert) {
  uint32_t ku = X509_get_key_usage(cert);  // UINT32_MAX when absent
  uint32_t eku = X509_get_extended_key_usage(cert);
  bool eku_ok = (eku & (XKU_SMIME | XKU_ANYEKU)) != 0;
  uint32_t usage = 0;
  if (eku_ok && (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0) {
    usage |= kUsageSign;
  }
  if (eku_ok && (ku & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT)) != 0) {
    usage |= kUsageEncrypt;
  }
  return usage;
}

// Appends the plausible addresses among `candidate` (IA5 from a SAN or the
// subject).
void AddEmail(std::string_view candidate, std::vector<std::string>& out) {
  Result<std::string> normal = NormalizeAddress(candidate);
  if (normal.ok()) out.push_back(*normal);
}

Status CollectEmails(X509* cert, size_t max_emails,
                     std::vector<std::string>& out) {
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  GeneralNamesPtr sans_owner(sans);
  if (sans != nullptr) {
    int n = sk_GENERAL_NAME_num(sans);
    if (n > 0 && static_cast<size_t>(n) > 4 * max_emails) {
      return ResourceExhaustedError("certificate has too many subject names");
    }
    for (int i = 0; i < n; ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type != GEN_EMAIL || gn->d.rfc822Name == nullptr) continue;
      const ASN1_IA5STRING* s = gn->d.rfc822Name;
      AddEmail(std::string_view(reinterpret_cast<const char*>(s->data),
                                static_cast<size_t>(std::max(s->length, 0))),
               out);
    }
  }
  ClearOpenSslErrors();  // an absent extension queues nothing; a bad one did
  const X509_NAME* subject = X509_get_subject_name(cert);
  int idx = -1;
  while ((idx = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress,
                                           idx)) >= 0) {
    const ASN1_STRING* s =
        X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    if (s == nullptr) continue;
    AddEmail(std::string_view(
                 reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                 static_cast<size_t>(std::max(ASN1_STRING_length(s), 0))),
             out);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > max_emails) {
    return ResourceExhaustedError("certificate has more than " +
                                  std::to_string(max_emails) +
                                  " e-mail addresses");
  }
  return Status::Ok();
}

}  // namespace

Result<X509Ptr> DecodeCertificate(std::string_view der) {
  if (der.empty()) return ParseError("certificate is empty");
  Result<long> len = OpenSslLongLength(der.size());  // NOLINT(runtime/int)
  if (!len.ok()) return len.status();
  const unsigned char* p = Bytes(der);
  X509Ptr cert(d2i_X509(nullptr, &p, *len));
  if (cert == nullptr) {
    return OpenSslError("certificate is not DER X.509",
                        StatusCode::kParseError);
  }
  if (p != Bytes(der) + der.size()) {
    return ParseError("certificate has trailing bytes after the DER object");
  }
  return cert;
}

Result<CertificateRecord> ParseCertificate(std::string_view der,
                                           size_t max_emails) {
  Result<X509Ptr> cert = DecodeCertificate(der);
  if (!cert.ok()) return cert.status();
  Result<CertificateRecord> rec = DescribeCertificate(cert->get(), max_emails);
  if (!rec.ok()) return rec.status();
  // Keep the caller's bytes: for a strict DER decode they equal i2d output.
  rec->der = std::string(der);
  rec->sha256 = Sha256Hex(der);
  return rec;
}

Result<CertificateRecord> DescribeCertificate(X509* cert, size_t max_emails) {
  ClearOpenSslErrors();
  // Caches the extensions and flags whether any of them failed to parse.
  if (X509_check_purpose(cert, -1, 0) != 1 ||
      (X509_get_extension_flags(cert) & EXFLAG_INVALID) != 0) {
    return OpenSslError("certificate has invalid extensions",
                        StatusCode::kParseError);
  }
  CertificateRecord rec;
  Result<std::string> der = ToDer<X509>(cert, i2d_X509, "certificate");
  if (!der.ok()) return der.status();
  rec.der = std::move(*der);
  rec.sha256 = Sha256Hex(rec.der);
  rec.subject = NameText(X509_get_subject_name(cert));
  rec.issuer = NameText(X509_get_issuer_name(cert));
  Result<std::string> issuer_der = NameDer(X509_get_issuer_name(cert));
  if (!issuer_der.ok()) return issuer_der.status();
  rec.issuer_der = std::move(*issuer_der);
  Result<std::string> serial = SerialHex(X509_get0_serialNumber(cert));
  if (!serial.ok()) return serial.status();
  rec.serial = std::move(*serial);
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert)) {
    rec.ski = HexLower(std::string_view(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
        static_cast<size_t>(std::max(ASN1_STRING_length(ski), 0))));
  }
  Result<int64_t> nb = Asn1TimeToUnix(X509_get0_notBefore(cert));
  if (!nb.ok()) return nb.status().WithContext("notBefore");
  Result<int64_t> na = Asn1TimeToUnix(X509_get0_notAfter(cert));
  if (!na.ok()) return na.status().WithContext("notAfter");
  rec.not_before = *nb;
  rec.not_after = *na;
  rec.key_algorithm = KeyAlgorithm(cert);
  rec.is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
  rec.usage = UsageOf(cert);
  SEAL_RETURN_IF_ERROR(CollectEmails(cert, max_emails, rec.emails));
  return rec;
}

Result<CrlRecord> ParseCrl(std::string_view der) {
  if (der.empty()) return ParseError("CRL is empty");
  Result<long> len = OpenSslLongLength(der.size());  // NOLINT(runtime/int)
  if (!len.ok()) return len.status();
  ClearOpenSslErrors();
  const unsigned char* p = Bytes(der);
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, *len));
  if (crl == nullptr) {
    return OpenSslError("CRL is not DER", StatusCode::kParseError);
  }
  if (p != Bytes(der) + der.size()) {
    return ParseError("CRL has trailing bytes after the DER object");
  }
  CrlRecord rec;
  rec.der = std::string(der);
  rec.sha256 = Sha256Hex(der);
  rec.issuer = NameText(X509_CRL_get_issuer(crl.get()));
  Result<std::string> issuer_der = NameDer(X509_CRL_get_issuer(crl.get()));
  if (!issuer_der.ok()) return issuer_der.status();
  rec.issuer_der = std::move(*issuer_der);
  const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl.get());
  if (last == nullptr) return ParseError("CRL has no thisUpdate");
  Result<int64_t> this_update = Asn1TimeToUnix(last);
  if (!this_update.ok()) return this_update.status().WithContext("thisUpdate");
  rec.this_update = *this_update;
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get())) {
    Result<int64_t> next_update = Asn1TimeToUnix(next);
    if (!next_update.ok()) {
      return next_update.status().WithContext("nextUpdate");
    }
    rec.next_update = *next_update;
  }
  return rec;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(Bytes(data), data.size(), digest);
  return HexLower(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

Result<std::string> SerialHex(const ASN1_INTEGER* serial) {
  if (serial == nullptr) return ParseError("certificate has no serial number");
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) {
    return OpenSslError("bad serial number", StatusCode::kParseError);
  }
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return OpenSslError("cannot print serial number");
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

Result<std::string> NameDer(const X509_NAME* name) {
  if (name == nullptr) return ParseError("missing name");
  return ToDer<X509_NAME>(name, i2d_X509_NAME, "name");
}

std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || name == nullptr) return std::string();
  // RFC 2253, but UTF-8 stays UTF-8 instead of \XX escapes.
  unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;  // NOLINT
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) {
    ClearOpenSslErrors();
    return std::string();
  }
  return BioContents(bio.get());
}

Result<int64_t> Asn1TimeToUnix(const ASN1_TIME* time) {
  if (time == nullptr) return ParseError("missing time");
  struct tm tm = {};
  if (ASN1_TIME_to_tm(time, &tm) != 1) {
    return OpenSslError("bad time", StatusCode::kParseError);
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::string DerToPem(std::string_view der, std::string_view label) {
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  // 48 input bytes → one 64-character line.
  for (size_t i = 0; i < der.size(); i += 48) {
    size_t n = std::min<size_t>(48, der.size() - i);
    unsigned char line[65];
    int len =
        EVP_EncodeBlock(line, Bytes(der.substr(i, n)), static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(line), static_cast<size_t>(len));
    out.push_back('\n');
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

}  // namespace seal::store
