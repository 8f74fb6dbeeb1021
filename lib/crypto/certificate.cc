// Loading and describing certificates, keys and CRLs.
#include "lib/crypto/certificate.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <ctime>
#include <utility>

#include "lib/ascii.h"

namespace seal::crypto {
namespace {

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  if (n <= 0 || data == nullptr) return std::string();
  return std::string(data, static_cast<size_t>(n));
}

std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return std::string();
  // RFC 2253 order, UTF-8 kept as is (no \XX escapes of non-ASCII).
  X509_NAME_print_ex(bio.get(), name, 0,
                     XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return BioText(bio.get());
}

std::string Asn1Text(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0 || utf8 == nullptr) return std::string();
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

bool PlausibleAddress(std::string_view a) {
  if (a.empty() || a.size() > 320) return false;
  size_t at = a.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size()) {
    return false;
  }
  for (char c : a) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u == 127) return false;
  }
  return true;
}

bool IsNoStartLine(unsigned long err) {  // NOLINT(runtime/int)
  return ERR_GET_LIB(err) == ERR_LIB_PEM &&
         ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

KeyKind KindOf(const EVP_PKEY* key) {
  if (key == nullptr) return KeyKind::kOther;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return KeyKind::kRsa;
    case EVP_PKEY_EC:
      return KeyKind::kEc;
    default:
      return KeyKind::kOther;
  }
}

template <typename T, int (*Write)(BIO*, const T*)>
Result<std::string> WritePem(T* obj, std::string_view what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || Write(bio.get(), obj) != 1) {
    return OpenSslError(std::string("cannot write ") + std::string(what));
  }
  return BioText(bio.get());
}

}  // namespace

std::string_view KeyKindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kRsa:
      return "rsa";
    case KeyKind::kEc:
      return "ec";
    case KeyKind::kOther:
      break;
  }
  return "other";
}

Certificate Certificate::Adopt(X509Ptr x509) {
  Certificate c;
  c.x509_ = std::shared_ptr<X509>(x509.release(), X509_free);
  return c;
}

Certificate Certificate::Share(X509* x509) {
  if (x509 == nullptr) return Certificate();
  X509_up_ref(x509);
  return Adopt(X509Ptr(x509));
}

Result<Certificate> Certificate::FromPem(std::string_view pem) {
  ClearOpenSslErrors();
  Result<BioPtr> bio = MemoryBio(pem);
  if (!bio.ok()) return bio.status();
  X509Ptr x(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
  if (!x)
    return OpenSslError("cannot read a PEM certificate",
                        StatusCode::kParseError);
  return Adopt(std::move(x));
}

Result<Certificate> Certificate::FromDer(std::string_view der) {
  ClearOpenSslErrors();
  Result<int> len = OpenSslInt(der.size());
  if (!len.ok()) return len.status();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* start = p;
  X509Ptr x(d2i_X509(nullptr, &p, *len));
  if (!x)
    return OpenSslError("cannot read a DER certificate",
                        StatusCode::kParseError);
  if (p != start + der.size()) {
    return ParseError("DER certificate has trailing bytes");
  }
  return Adopt(std::move(x));
}

Result<std::vector<Certificate>> Certificate::AllFromPem(std::string_view pem) {
  ClearOpenSslErrors();
  Result<BioPtr> bio = MemoryBio(pem);
  if (!bio.ok()) return bio.status();
  std::vector<Certificate> out;
  for (;;) {
    X509Ptr x(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
    if (!x) {
      unsigned long err = ERR_peek_last_error();  // NOLINT(runtime/int)
      if (IsNoStartLine(err)) {
        ClearOpenSslErrors();
        break;
      }
      return OpenSslError("cannot read a PEM certificate",
                          StatusCode::kParseError);
    }
    out.push_back(Adopt(std::move(x)));
  }
  if (out.empty()) return NotFoundError("no PEM certificate in the input");
  return out;
}

std::string Certificate::Subject() const {
  return valid() ? NameText(X509_get_subject_name(get())) : std::string();
}

std::string Certificate::Issuer() const {
  return valid() ? NameText(X509_get_issuer_name(get())) : std::string();
}

std::string Certificate::SerialHex() const {
  if (!valid()) return std::string();
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(get()), nullptr);
  if (bn == nullptr) return std::string();
  char* hex = BN_bn2hex(bn);
  BN_free(bn);
  if (hex == nullptr) return std::string();
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

int64_t Certificate::NotBefore() const {
  if (!valid()) return 0;
  Result<int64_t> t = Asn1TimeToUnix(X509_get0_notBefore(get()));
  return t.ok() ? *t : 0;
}

int64_t Certificate::NotAfter() const {
  if (!valid()) return 0;
  Result<int64_t> t = Asn1TimeToUnix(X509_get0_notAfter(get()));
  return t.ok() ? *t : 0;
}

std::vector<std::string> Certificate::EmailAddresses() const {
  std::vector<std::string> out;
  if (!valid()) return out;
  auto add = [&out](std::string a) {
    if (!PlausibleAddress(a)) return;
    for (const std::string& have : out) {
      if (EqualsIgnoreAsciiCase(have, a)) return;
    }
    out.push_back(std::move(a));
  };
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
      if (n->type != GEN_EMAIL) continue;
      const ASN1_IA5STRING* s = n->d.rfc822Name;
      add(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                      static_cast<size_t>(ASN1_STRING_length(s))));
    }
  }
  const X509_NAME* subject = X509_get_subject_name(get());
  int idx = -1;
  while ((idx = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress,
                                           idx)) >= 0) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, idx);
    add(Asn1Text(X509_NAME_ENTRY_get_data(e)));
  }
  return out;
}

bool Certificate::HasEmail(std::string_view address) const {
  for (const std::string& a : EmailAddresses()) {
    if (EqualsIgnoreAsciiCase(a, address)) return true;
  }
  return false;
}

std::string Certificate::Sha256Fingerprint() const {
  if (!valid()) return std::string();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(get(), EVP_sha256(), md, &len) != 1) {
    ClearOpenSslErrors();
    return std::string();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

KeyKind Certificate::key_kind() const {
  return valid() ? KindOf(X509_get0_pubkey(get())) : KeyKind::kOther;
}

int Certificate::key_bits() const {
  if (!valid()) return 0;
  EVP_PKEY* key = X509_get0_pubkey(get());
  return key == nullptr ? 0 : EVP_PKEY_get_bits(key);
}

bool Certificate::IsSelfIssued() const {
  return valid() && X509_NAME_cmp(X509_get_subject_name(get()),
                                  X509_get_issuer_name(get())) == 0;
}

Result<std::string> Certificate::ToDer() const {
  if (!valid()) return FailedPreconditionError("empty certificate");
  unsigned char* der = nullptr;
  int n = i2d_X509(get(), &der);
  if (n <= 0) return OpenSslError("cannot encode a certificate");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

Result<std::string> Certificate::ToPem() const {
  if (!valid()) return FailedPreconditionError("empty certificate");
  return WritePem<X509, PEM_write_bio_X509>(get(), "a PEM certificate");
}

bool Certificate::operator==(const Certificate& other) const {
  if (!valid() || !other.valid()) return valid() == other.valid();
  return X509_cmp(get(), other.get()) == 0;
}

PrivateKey PrivateKey::Adopt(EvpPkeyPtr key) {
  PrivateKey k;
  k.key_ = std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
  return k;
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem,
                                       std::string_view passphrase) {
  ClearOpenSslErrors();
  Result<BioPtr> bio = MemoryBio(pem);
  if (!bio.ok()) return bio.status();
  // With a null callback OpenSSL reads `u` as a NUL-terminated passphrase;
  // an empty one must still be a valid string so no prompt appears.
  std::string pass(passphrase);
  EvpPkeyPtr key(
      PEM_read_bio_PrivateKey(bio->get(), nullptr, nullptr, pass.data()));
  OPENSSL_cleanse(pass.data(), pass.size());
  if (!key) {
    return OpenSslError("cannot read a PEM private key",
                        StatusCode::kParseError);
  }
  return Adopt(std::move(key));
}

Result<PrivateKey> PrivateKey::FromDer(std::string_view der) {
  ClearOpenSslErrors();
  Result<int> len = OpenSslInt(der.size());
  if (!len.ok()) return len.status();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, *len));
  if (!key) {
    return OpenSslError("cannot read a DER private key",
                        StatusCode::kParseError);
  }
  return Adopt(std::move(key));
}

KeyKind PrivateKey::key_kind() const { return KindOf(get()); }

Result<std::string> PrivateKey::ToPem() const {
  if (!valid()) return FailedPreconditionError("empty private key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), get(), nullptr, nullptr, 0,
                                       nullptr, nullptr) != 1) {
    return OpenSslError("cannot write a PEM private key");
  }
  return BioText(bio.get());
}

Crl Crl::Adopt(X509CrlPtr crl) {
  Crl c;
  c.crl_ = std::shared_ptr<X509_CRL>(crl.release(), X509_CRL_free);
  return c;
}

Result<Crl> Crl::FromPem(std::string_view pem) {
  ClearOpenSslErrors();
  Result<BioPtr> bio = MemoryBio(pem);
  if (!bio.ok()) return bio.status();
  X509CrlPtr crl(PEM_read_bio_X509_CRL(bio->get(), nullptr, nullptr, nullptr));
  if (!crl)
    return OpenSslError("cannot read a PEM CRL", StatusCode::kParseError);
  return Adopt(std::move(crl));
}

Result<Crl> Crl::FromDer(std::string_view der) {
  ClearOpenSslErrors();
  Result<int> len = OpenSslInt(der.size());
  if (!len.ok()) return len.status();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, *len));
  if (!crl)
    return OpenSslError("cannot read a DER CRL", StatusCode::kParseError);
  return Adopt(std::move(crl));
}

Result<std::vector<Crl>> Crl::AllFromPem(std::string_view pem) {
  ClearOpenSslErrors();
  Result<BioPtr> bio = MemoryBio(pem);
  if (!bio.ok()) return bio.status();
  std::vector<Crl> out;
  for (;;) {
    X509CrlPtr crl(
        PEM_read_bio_X509_CRL(bio->get(), nullptr, nullptr, nullptr));
    if (!crl) {
      unsigned long err = ERR_peek_last_error();  // NOLINT(runtime/int)
      if (IsNoStartLine(err)) {
        ClearOpenSslErrors();
        break;
      }
      return OpenSslError("cannot read a PEM CRL", StatusCode::kParseError);
    }
    out.push_back(Adopt(std::move(crl)));
  }
  if (out.empty()) return NotFoundError("no PEM CRL in the input");
  return out;
}

Result<std::string> Crl::ToPem() const {
  if (!valid()) return FailedPreconditionError("empty CRL");
  return WritePem<X509_CRL, PEM_write_bio_X509_CRL>(get(), "a PEM CRL");
}

Result<KeyPair> KeyPair::Make(Certificate cert, PrivateKey key) {
  ClearOpenSslErrors();
  if (!cert.valid() || !key.valid()) {
    return InvalidArgumentError("key pair needs a certificate and a key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return OpenSslError("private key does not belong to certificate " +
                            cert.Subject() + " serial " + cert.SerialHex(),
                        StatusCode::kInvalidArgument);
  }
  return KeyPair{std::move(cert), std::move(key)};
}

Result<int64_t> Asn1TimeToUnix(const ASN1_TIME* time) {
  struct tm tm {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    ClearOpenSslErrors();
    return ParseError("unreadable ASN.1 time");
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::string FormatUtc(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_seconds);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return std::string(buf, n);
}

Result<X509StackPtr> ToX509Stack(const std::vector<Certificate>& certs) {
  X509StackPtr stack(sk_X509_new_null());
  if (!stack) return OpenSslError("cannot allocate a certificate stack");
  for (const Certificate& c : certs) {
    if (!c.valid()) continue;
    X509_up_ref(c.get());
    if (sk_X509_push(stack.get(), c.get()) <= 0) {
      X509_free(c.get());
      return OpenSslError("cannot build a certificate stack");
    }
  }
  return stack;
}

std::vector<Certificate> FromX509Stack(const STACK_OF(X509) * stack) {
  std::vector<Certificate> out;
  if (stack == nullptr) return out;
  for (int i = 0; i < sk_X509_num(stack); ++i) {
    out.push_back(Certificate::Share(sk_X509_value(stack, i)));
  }
  return out;
}

}  // namespace seal::crypto
