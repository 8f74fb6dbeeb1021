// OpenSSL glue for the store and the CA: unique_ptr types that free OpenSSL
// objects, and the OpenSSL error queue turned into a Status message.
//
// Every failing OpenSSL call is reported as OpenSslError("what we tried"),
// which drains the thread's error queue into the message, so a later call
// never sees a stale error. The names live in seal::store so they cannot
// clash with similar helpers elsewhere (lib/crypto may grow its own).
// Thread-safety: the OpenSSL error queue is per thread; these are stateless.
#ifndef SEALMILTER_LIB_STORE_OPENSSL_UTIL_H_
#define SEALMILTER_LIB_STORE_OPENSSL_UTIL_H_

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::store {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using X509CrlPtr =
    std::unique_ptr<X509_CRL, OpenSslDeleter<X509_CRL, X509_CRL_free>>;
using X509NamePtr =
    std::unique_ptr<X509_NAME, OpenSslDeleter<X509_NAME, X509_NAME_free>>;
using X509ExtensionPtr =
    std::unique_ptr<X509_EXTENSION,
                    OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using X509StorePtr =
    std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX,
                    OpenSslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using EvpPkeyPtr =
    std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX,
                    OpenSslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EvpCipherCtxPtr =
    std::unique_ptr<EVP_CIPHER_CTX,
                    OpenSslDeleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>>;
using Asn1IntegerPtr =
    std::unique_ptr<ASN1_INTEGER,
                    OpenSslDeleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1TimePtr =
    std::unique_ptr<ASN1_TIME, OpenSslDeleter<ASN1_TIME, ASN1_TIME_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING,
                    OpenSslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES,
                    OpenSslDeleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using Pkcs8Ptr = std::unique_ptr<
    PKCS8_PRIV_KEY_INFO,
    OpenSslDeleter<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>>;

// A Status with `code` and the message "what: <OpenSSL errors>", draining
// the calling thread's OpenSSL error queue. Without queued errors the
// message is "what: (no OpenSSL error detail)".
Status OpenSslError(std::string_view what,
                    StatusCode code = StatusCode::kInternal);

// Empties the calling thread's OpenSSL error queue.
void ClearOpenSslErrors();

// The bytes a memory BIO holds.
std::string BioContents(BIO* bio);

// OpenSSL takes lengths as int or long; these refuse sizes that do not fit.
Result<int> OpenSslLength(size_t n);
Result<long> OpenSslLongLength(size_t n);

// Bytes as `const unsigned char*` for OpenSSL (the one place we cast).
inline const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_OPENSSL_UTIL_H_
