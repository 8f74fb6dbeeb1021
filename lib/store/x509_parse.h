// Parsing certificates and CRLs into the metadata the store indexes, and the
// canonical forms lookups use (fingerprint, serial hex, issuer Name DER).
//
// Input must be exactly one DER object: PEM, trailing bytes, a certificate
// whose extensions OpenSSL marks invalid, or anything OpenSSL cannot decode
// is kParseError. E-mail addresses come from subjectAltName rfc822Name and
// the subject's emailAddress; entries that are not plausible addresses
// (control characters, no '@', too long) are skipped, and more than
// `max_emails` addresses is kResourceExhausted. Callers cap the input size.
// Known limits: SmtpUTF8Mailbox (RFC 8398) otherName entries are not read.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_STORE_X509_PARSE_H_
#define SEALMILTER_LIB_STORE_X509_PARSE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/status.h"
#include "lib/store/openssl_util.h"
#include "lib/store/records.h"

namespace seal::store {

// Decodes one DER certificate; the whole input must be consumed.
Result<X509Ptr> DecodeCertificate(std::string_view der);

// The metadata of a DER certificate. Store-kept fields (source, domains,
// revoked, has_private_key, added_at) are left at their defaults.
Result<CertificateRecord> ParseCertificate(std::string_view der,
                                           size_t max_emails = 256);
// The same for an already decoded certificate.
Result<CertificateRecord> DescribeCertificate(X509* cert,
                                              size_t max_emails = 256);

// The metadata of a DER CRL (signature not checked: that needs the issuer).
Result<CrlRecord> ParseCrl(std::string_view der);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Upper-case hex of a serial number as OpenSSL prints it ("0" for zero, a
// leading '-' when negative). Lookups by issuer+serial use this form.
Result<std::string> SerialHex(const ASN1_INTEGER* serial);
// DER of a Name. Lookups by issuer+serial compare these bytes.
Result<std::string> NameDer(const X509_NAME* name);
// RFC 2253 text of a Name, UTF-8, control characters escaped.
std::string NameText(const X509_NAME* name);
// An ASN1_TIME as Unix seconds.
Result<int64_t> Asn1TimeToUnix(const ASN1_TIME* time);

// "-----BEGIN <label>-----" PEM of DER bytes, lines of 64 characters.
std::string DerToPem(std::string_view der, std::string_view label);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_X509_PARSE_H_
