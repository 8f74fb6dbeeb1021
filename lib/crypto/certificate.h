// Certificate, PrivateKey and Crl: shared, immutable handles on OpenSSL
// objects, loaded from PEM or DER, with the facts S/MIME needs (subject,
// issuer, serial, validity, e-mail addresses, key type).
//
// Copies share the underlying object (OpenSSL reference counts), so a
// Certificate is cheap to pass around and to keep in caches. E-mail
// addresses come from subjectAltName rfc822Name entries and the subject's
// emailAddress attribute; matching is ASCII case-insensitive on the whole
// address (as lib/store normalises addresses).
// Known limits: SmtpUTF8Mailbox (RFC 8398) names are not read; encrypted
// PEM keys need a passphrase argument; no PKCS#12 here (lib/store imports).
// Thread-safety: the objects are immutable after loading; copies and
// const calls may be used from any thread.
#ifndef SEALMILTER_LIB_CRYPTO_CERTIFICATE_H_
#define SEALMILTER_LIB_CRYPTO_CERTIFICATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/crypto/ossl.h"
#include "lib/status.h"

namespace seal::crypto {

enum class KeyKind { kRsa, kEc, kOther };
std::string_view KeyKindName(KeyKind kind);

class Certificate {
 public:
  Certificate() = default;  // empty; valid() is false
  // Takes one reference: Adopt owns `x509`, Share adds a reference.
  static Certificate Adopt(X509Ptr x509);
  static Certificate Share(X509* x509);

  static Result<Certificate> FromPem(std::string_view pem);
  static Result<Certificate> FromDer(std::string_view der);
  // Every certificate in a PEM bundle, in order; none is kNotFound.
  static Result<std::vector<Certificate>> AllFromPem(std::string_view pem);

  bool valid() const { return x509_ != nullptr; }
  X509* get() const { return x509_.get(); }

  std::string Subject() const;  // RFC 2253, UTF-8
  std::string Issuer() const;
  std::string SerialHex() const;  // upper-case hex
  int64_t NotBefore() const;      // Unix seconds
  int64_t NotAfter() const;
  std::vector<std::string> EmailAddresses() const;
  bool HasEmail(std::string_view address) const;
  std::string Sha256Fingerprint() const;  // lower-case hex
  KeyKind key_kind() const;
  int key_bits() const;
  bool IsSelfIssued() const;

  Result<std::string> ToDer() const;
  Result<std::string> ToPem() const;

  // Same certificate (DER equality).
  bool operator==(const Certificate& other) const;

 private:
  std::shared_ptr<X509> x509_;
};

class PrivateKey {
 public:
  PrivateKey() = default;
  static PrivateKey Adopt(EvpPkeyPtr key);
  // PEM ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", or
  // "ENCRYPTED PRIVATE KEY" with `passphrase`).
  static Result<PrivateKey> FromPem(std::string_view pem,
                                    std::string_view passphrase = {});
  // DER PKCS#8 (unencrypted) or a traditional RSA/EC key.
  static Result<PrivateKey> FromDer(std::string_view der);

  bool valid() const { return key_ != nullptr; }
  EVP_PKEY* get() const { return key_.get(); }
  KeyKind key_kind() const;
  // Unencrypted PKCS#8 PEM (for tests and the interop tool).
  Result<std::string> ToPem() const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

class Crl {
 public:
  Crl() = default;
  static Crl Adopt(X509CrlPtr crl);
  static Result<Crl> FromPem(std::string_view pem);
  static Result<Crl> FromDer(std::string_view der);
  static Result<std::vector<Crl>> AllFromPem(std::string_view pem);

  bool valid() const { return crl_ != nullptr; }
  X509_CRL* get() const { return crl_.get(); }
  Result<std::string> ToPem() const;

 private:
  std::shared_ptr<X509_CRL> crl_;
};

// A certificate and its private key, checked to belong together.
struct KeyPair {
  Certificate cert;
  PrivateKey key;

  static Result<KeyPair> Make(Certificate cert, PrivateKey key);
};

// Unix seconds of an ASN1_TIME; kParseError when it cannot be read.
Result<int64_t> Asn1TimeToUnix(const ASN1_TIME* time);
// "2025-03-01 12:00:00 UTC".
std::string FormatUtc(int64_t unix_seconds);

// Builds a STACK_OF(X509) holding references to `certs`.
Result<X509StackPtr> ToX509Stack(const std::vector<Certificate>& certs);
// Copies a stack into Certificates (sharing the objects).
std::vector<Certificate> FromX509Stack(const STACK_OF(X509) * stack);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_CERTIFICATE_H_
