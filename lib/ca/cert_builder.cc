// X.509 v3 construction for the CA and its user certificates.
#include "lib/ca/cert_builder.h"

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <string>

namespace seal::ca {
namespace {

using store::OpenSslError;

constexpr size_t kMaxCommonName = 64;     // ub-common-name
constexpr size_t kMaxEmailAddress = 128;  // OpenSSL's ub for emailAddress

Status SetValidity(X509* cert, int64_t not_before, int64_t not_after) {
  if (not_after <= not_before) {
    return InvalidArgumentError("certificate would expire before it starts");
  }
  store::Asn1TimePtr nb(
      ASN1_TIME_set(nullptr, static_cast<time_t>(not_before)));
  store::Asn1TimePtr na(ASN1_TIME_set(nullptr, static_cast<time_t>(not_after)));
  if (nb == nullptr || na == nullptr ||
      X509_set1_notBefore(cert, nb.get()) != 1 ||
      X509_set1_notAfter(cert, na.get()) != 1) {
    return OpenSslError("cannot set the validity period");
  }
  return Status::Ok();
}

// Adds an extension described in OpenSSL's config syntax (constant strings
// only; nothing from input goes through this parser).
Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  store::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(std::string("cannot add extension ") + OBJ_nid2sn(nid));
  }
  return Status::Ok();
}

Status AddEmailSan(X509* cert, std::string_view address, bool critical) {
  store::GeneralNamesPtr names(GENERAL_NAMES_new());
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
  Result<int> len = store::OpenSslLength(address.size());
  if (!len.ok()) {
    GENERAL_NAME_free(gn);
    ASN1_IA5STRING_free(ia5);
    return len.status();
  }
  if (names == nullptr || gn == nullptr || ia5 == nullptr ||
      ASN1_STRING_set(ia5, address.data(), *len) != 1) {
    GENERAL_NAME_free(gn);
    ASN1_IA5STRING_free(ia5);
    return OpenSslError("cannot build subjectAltName");
  }
  GENERAL_NAME_set0_value(gn, GEN_EMAIL, ia5);  // gn owns ia5
  if (sk_GENERAL_NAME_push(names.get(), gn) <= 0) {
    GENERAL_NAME_free(gn);
    return OpenSslError("cannot build subjectAltName");
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(),
                        critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("cannot add subjectAltName");
  }
  return Status::Ok();
}

// Common header: version 3, random serial, names, validity, public key.
Result<store::X509Ptr> NewCertificate(const X509_NAME* issuer,
                                      const X509_NAME* subject,
                                      EVP_PKEY* public_key, int64_t not_before,
                                      int64_t not_after) {
  store::ClearOpenSslErrors();
  store::X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("cannot create a certificate");
  }
  Result<store::Asn1IntegerPtr> serial = RandomSerial();
  if (!serial.ok()) return serial.status();
  if (X509_set_serialNumber(cert.get(), serial->get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_pubkey(cert.get(), public_key) != 1) {
    return OpenSslError("cannot fill in the certificate");
  }
  SEAL_RETURN_IF_ERROR(SetValidity(cert.get(), not_before, not_after));
  return cert;
}

Status Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) {
    return OpenSslError("cannot sign the certificate");
  }
  return Status::Ok();
}

}  // namespace

Result<store::Asn1IntegerPtr> RandomSerial() {
  store::BignumPtr bn(BN_new());
  if (bn == nullptr ||
      BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) {
    return OpenSslError("cannot make a random serial number");
  }
  store::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr) return OpenSslError("cannot encode a serial number");
  return serial;
}

Result<store::X509Ptr> BuildCaCertificate(EVP_PKEY* key,
                                          const X509_NAME* subject,
                                          int64_t not_before,
                                          int64_t not_after) {
  Result<store::X509Ptr> cert =
      NewCertificate(subject, subject, key, not_before, not_after);
  if (!cert.ok()) return cert.status();
  X509* x = cert->get();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  SEAL_RETURN_IF_ERROR(AddExtension(x, &ctx, NID_basic_constraints,
                                    "critical,CA:TRUE,pathlen:0"));
  SEAL_RETURN_IF_ERROR(
      AddExtension(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  SEAL_RETURN_IF_ERROR(
      AddExtension(x, &ctx, NID_subject_key_identifier, "hash"));
  SEAL_RETURN_IF_ERROR(
      AddExtension(x, &ctx, NID_authority_key_identifier, "keyid:always"));
  SEAL_RETURN_IF_ERROR(Sign(x, key));
  return cert;
}

Result<store::X509Ptr> BuildUserCertificate(X509* ca_cert, EVP_PKEY* ca_key,
                                            EVP_PKEY* user_key,
                                            std::string_view address,
                                            int64_t not_before,
                                            int64_t not_after) {
  if (address.empty()) return InvalidArgumentError("address is empty");
  for (char c : address) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return InvalidArgumentError(
          "cannot issue a certificate for a non-ASCII address (SmtpUTF8Mailbox "
          "is not supported)");
    }
  }
  store::X509NamePtr subject(X509_NAME_new());
  if (subject == nullptr) return OpenSslError("cannot allocate a name");
  Result<int> len = store::OpenSslLength(address.size());
  if (!len.ok()) return len.status();
  int nid = 0;
  if (address.size() <= kMaxCommonName) {
    nid = NID_commonName;
  } else if (address.size() <= kMaxEmailAddress) {
    nid = NID_pkcs9_emailAddress;
  }
  if (nid != 0 &&
      X509_NAME_add_entry_by_NID(subject.get(), nid, MBSTRING_ASC,
                                 store::Bytes(address), *len, -1, 0) != 1) {
    return OpenSslError("cannot build the subject name");
  }
  Result<store::X509Ptr> cert =
      NewCertificate(X509_get_subject_name(ca_cert), subject.get(), user_key,
                     not_before, not_after);
  if (!cert.ok()) return cert.status();
  X509* x = cert->get();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert, x, nullptr, nullptr, 0);
  SEAL_RETURN_IF_ERROR(
      AddExtension(x, &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  SEAL_RETURN_IF_ERROR(AddExtension(
      x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment"));
  SEAL_RETURN_IF_ERROR(
      AddExtension(x, &ctx, NID_ext_key_usage, "emailProtection"));
  SEAL_RETURN_IF_ERROR(
      AddExtension(x, &ctx, NID_subject_key_identifier, "hash"));
  SEAL_RETURN_IF_ERROR(
      AddExtension(x, &ctx, NID_authority_key_identifier, "keyid:always"));
  SEAL_RETURN_IF_ERROR(AddEmailSan(x, address, /*critical=*/nid == 0));
  SEAL_RETURN_IF_ERROR(Sign(x, ca_key));
  return cert;
}

Result<std::string> CertificateDer(X509* cert) {
  int n = i2d_X509(cert, nullptr);
  if (n <= 0) return OpenSslError("cannot encode the certificate");
  std::string out(static_cast<size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_X509(cert, &p) != n) {
    return OpenSslError("cannot encode the certificate");
  }
  return out;
}

}  // namespace seal::ca
