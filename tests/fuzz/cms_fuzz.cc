// libFuzzer target for inbound S/MIME parsing: arbitrary bytes as the CMS
// of an application/pkcs7-mime entity (DER and base64), decrypted with a
// fixed RSA key and verified against an empty trust store, as the inbound
// path does with mail from outside, and unwrapped layer by layer (lib/crypto
// unwrap). No input may crash or verify as valid, and an unwrap never
// reports more layers than its limit. Seeds: tests/fuzz/corpus/cms/.
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/crypto/byte_io.h"
#include "lib/crypto/decrypt.h"
#include "lib/crypto/trust_store.h"
#include "lib/crypto/unwrap.h"
#include "lib/crypto/verify.h"
#include "lib/openssl_ptr.h"

namespace {

// One self-signed RSA key pair, made once.
const std::vector<seal::crypto::KeyPair>& Keys() {
  static const std::vector<seal::crypto::KeyPair> keys = [] {
    std::vector<seal::crypto::KeyPair> out;
    EVP_PKEY* pkey = EVP_RSA_gen(2048);
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("fuzz"),
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, pkey, EVP_sha256());
    unsigned char* der = nullptr;
    int len = i2d_X509(x, &der);
    auto cert = seal::crypto::Certificate::FromDer(
        std::string(reinterpret_cast<char*>(der), static_cast<size_t>(len)));
    OPENSSL_free(der);
    X509_free(x);
    if (!cert.ok()) std::abort();
    out.push_back(seal::crypto::KeyPair{
        *cert, seal::crypto::PrivateKey::Adopt(seal::EvpPkeyPtr(pkey))});
    return out;
  }();
  return keys;
}

// Trusts nothing: no system bundle, no anchors.
const seal::crypto::TrustStore& Trust() {
  static const std::shared_ptr<const seal::crypto::TrustStore> trust = [] {
    seal::crypto::TrustStoreOptions options;
    options.use_system_store = false;
    auto t = seal::crypto::TrustStore::Create(options);
    if (!t.ok()) std::abort();
    return *t;
  }();
  return *trust;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (std::string_view encoding : {"binary", "base64"}) {
    seal::crypto::EntityRef ref;
    ref.content_type = "application/pkcs7-mime; smime-type=enveloped-data";
    ref.transfer_encoding = std::string(encoding);
    ref.body = bytes;
    std::string plain;
    (void)seal::crypto::DecryptEntity(ref, Keys(),
                                      seal::crypto::StringSink(&plain));
    ref.content_type = "application/pkcs7-mime; smime-type=signed-data";
    seal::Result<seal::crypto::VerifyResult> v =
        seal::crypto::VerifyEntity(ref, Trust(), {});
    if (v.ok() && v->status == seal::crypto::SignatureStatus::kValid) {
      std::abort();  // nothing is trusted: nothing can be valid
    }
    // The whole inbound walk, both content types: layers stay within the
    // limit and no layer's signature is valid.
    seal::crypto::UnwrapOptions unwrap;
    unwrap.spool.directory = "/tmp";
    for (std::string_view type :
         {"application/pkcs7-mime; smime-type=enveloped-data",
          "application/pkcs7-mime; smime-type=signed-data"}) {
      ref.content_type = std::string(type);
      std::string inner;
      seal::Result<seal::crypto::UnwrapReport> r = seal::crypto::UnwrapEntity(
          ref, Keys(), Trust(), unwrap, seal::crypto::StringSink(&inner));
      if (!r.ok()) {
        if (r.status().message().empty()) std::abort();
        continue;
      }
      if (r->layers.size() > static_cast<size_t>(unwrap.max_layers)) {
        std::abort();
      }
      const seal::crypto::VerifyResult* sig = r->signature();
      if (sig != nullptr &&
          sig->status == seal::crypto::SignatureStatus::kValid) {
        std::abort();
      }
    }
  }
  return 0;
}
