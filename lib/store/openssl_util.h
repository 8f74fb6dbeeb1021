// OpenSSL glue for the store and the CA: the owning pointer types (shared
// with the other modules, lib/openssl_ptr.h), and the OpenSSL error queue
// turned into a Status message.
//
// Every failing OpenSSL call is reported as OpenSslError("what we tried"),
// which drains the thread's error queue into the message, so a later call
// never sees a stale error. The error helpers live in seal::store; the
// pointer types are seal's, named here too.
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

#include "lib/openssl_ptr.h"
#include "lib/status.h"

namespace seal::store {

using seal::Asn1IntegerPtr;
using seal::Asn1OctetStringPtr;
using seal::Asn1TimePtr;
using seal::BignumPtr;
using seal::BioPtr;
using seal::EvpCipherCtxPtr;
using seal::EvpPkeyCtxPtr;
using seal::EvpPkeyPtr;
using seal::GeneralNamesPtr;
using seal::OpenSslDeleter;
using seal::Pkcs8Ptr;
using seal::X509CrlPtr;
using seal::X509ExtensionPtr;
using seal::X509NamePtr;
using seal::X509Ptr;
using seal::X509StoreCtxPtr;
using seal::X509StorePtr;

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
