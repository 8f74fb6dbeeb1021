// Building the built-in CA's certificates with OpenSSL: the self-signed CA
// certificate and the S/MIME certificates it issues to internal users.
//
// CA certificate: v3, basicConstraints critical CA:TRUE pathlen:0, keyUsage
// critical keyCertSign+cRLSign, subjectKeyIdentifier, authorityKeyIdentifier,
// SHA-256 signature, random 128-bit serial.
// User certificate: v3, subject CN=<address> (emailAddress=<address> when
// longer than 64 bytes; an empty subject with a critical SAN when longer
// than 128), subjectAltName rfc822Name, basicConstraints critical CA:FALSE,
// keyUsage critical digitalSignature+keyEncipherment, extendedKeyUsage
// emailProtection, SKI, AKI (the CA's key id), SHA-256 signature, random
// 128-bit serial.
// Known limits: ASCII addresses only (no SmtpUTF8Mailbox, RFC 8398); no CRL
// distribution point or AIA extensions.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_CA_CERT_BUILDER_H_
#define SEALMILTER_LIB_CA_CERT_BUILDER_H_

#include <cstdint>
#include <string_view>

#include "lib/status.h"
#include "lib/store/openssl_util.h"

namespace seal::ca {

// A random positive serial of exactly 128 bits.
Result<store::Asn1IntegerPtr> RandomSerial();

Result<store::X509Ptr> BuildCaCertificate(EVP_PKEY* key,
                                          const X509_NAME* subject,
                                          int64_t not_before,
                                          int64_t not_after);

// `address` must already be normalised (lower-case) and ASCII.
Result<store::X509Ptr> BuildUserCertificate(X509* ca_cert, EVP_PKEY* ca_key,
                                            EVP_PKEY* user_key,
                                            std::string_view address,
                                            int64_t not_before,
                                            int64_t not_after);

// DER of a certificate.
Result<std::string> CertificateDer(X509* cert);

}  // namespace seal::ca

#endif  // SEALMILTER_LIB_CA_CERT_BUILDER_H_
