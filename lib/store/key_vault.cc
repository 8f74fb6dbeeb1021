// KeyVault: PKCS#8 encoding, the key/certificate match check, sealing.
#include "lib/store/key_vault.h"

#include "lib/store/secret.h"
#include "lib/store/x509_parse.h"

namespace seal::store {
namespace {

Result<SecretBytes> EncodePkcs8(EVP_PKEY* key) {
  Pkcs8Ptr p8(EVP_PKEY2PKCS8(key));
  if (p8 == nullptr) return OpenSslError("cannot encode the private key");
  int n = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), nullptr);
  if (n <= 0) return OpenSslError("cannot encode the private key");
  SecretBytes out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  if (i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &p) != n) {
    return OpenSslError("cannot encode the private key");
  }
  return out;
}

Result<EvpPkeyPtr> DecodePkcs8(const SecretBytes& der) {
  Result<long> len = OpenSslLongLength(der.size());  // NOLINT(runtime/int)
  if (!len.ok()) return len.status();
  const unsigned char* p = der.data();
  Pkcs8Ptr p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, *len));
  if (p8 == nullptr) {
    return OpenSslError("stored private key is not PKCS#8",
                        StatusCode::kParseError);
  }
  EvpPkeyPtr key(EVP_PKCS82PKEY(p8.get()));
  if (key == nullptr) {
    return OpenSslError("cannot load the stored private key",
                        StatusCode::kParseError);
  }
  return key;
}

}  // namespace

Result<EncryptedKey> KeyVault::Seal(std::string_view der, EVP_PKEY* key) {
  if (key == nullptr) return InvalidArgumentError("no private key given");
  Result<X509Ptr> cert = DecodeCertificate(der);
  if (!cert.ok()) return cert.status();
  ClearOpenSslErrors();
  if (X509_check_private_key(cert->get(), key) != 1) {
    return OpenSslError("the private key does not match the certificate",
                        StatusCode::kInvalidArgument);
  }
  Result<SecretBytes> pkcs8 = EncodePkcs8(key);
  if (!pkcs8.ok()) return pkcs8.status();
  Result<std::string> sealed = master_key_.Seal(pkcs8->view(), Sha256Hex(der));
  if (!sealed.ok()) return sealed.status();
  EncryptedKey out;
  out.master_key_id = master_key_.id();
  out.blob = std::move(*sealed);
  return out;
}

Result<CertificateRecord> KeyVault::PutCertificateWithKey(
    std::string_view der, EVP_PKEY* key, CertSource source,
    std::string_view domain) {
  if (der.size() > store_.limits().max_certificate_bytes) {
    return ResourceExhaustedError("certificate is too large");
  }
  Result<EncryptedKey> sealed = Seal(der, key);
  if (!sealed.ok()) return sealed.status();
  return store_.PutCertificateWithKey(der, source, domain, *sealed);
}

Status KeyVault::PutPrivateKey(std::string_view cert_sha256, EVP_PKEY* key) {
  Result<CertificateRecord> cert = store_.GetCertificate(cert_sha256);
  if (!cert.ok()) return cert.status();
  Result<EncryptedKey> sealed = Seal(cert->der, key);
  if (!sealed.ok()) return sealed.status();
  return store_.PutPrivateKey(cert->sha256, *sealed);
}

Result<EvpPkeyPtr> KeyVault::GetPrivateKey(std::string_view cert_sha256) {
  Result<std::string> fp = NormalizeFingerprint(cert_sha256);
  if (!fp.ok()) return fp.status();
  Result<EncryptedKey> sealed = store_.GetPrivateKey(*fp);
  if (!sealed.ok()) return sealed.status();
  if (sealed->master_key_id != master_key_.id()) {
    return FailedPreconditionError(
        "the private key of certificate " + *fp +
        " is sealed under master key " + sealed->master_key_id +
        ", but the loaded master key is " + master_key_.id() +
        " (wrong store.key_file?)");
  }
  Result<SecretBytes> pkcs8 = master_key_.Open(sealed->blob, *fp);
  if (!pkcs8.ok()) {
    return pkcs8.status().WithContext("private key of certificate " + *fp);
  }
  return DecodePkcs8(*pkcs8);
}

}  // namespace seal::store
