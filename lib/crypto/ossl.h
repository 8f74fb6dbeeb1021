// OpenSSL glue for the S/MIME engine: the owning pointer types (shared with
// the other modules, lib/openssl_ptr.h, plus the stacks lib/crypto uses),
// and the OpenSSL error queue turned into a Status.
//
// Every failing OpenSSL call in lib/crypto is reported through
// OpenSslError("what we tried", code), which drains the calling thread's
// error queue into the message, so a later call never sees a stale error.
// Public entry points of lib/crypto clear the queue when they start.
// Known limits: only the object types lib/crypto uses are covered.
// Thread-safety: the OpenSSL error queue is per thread; all of this is
// stateless and may be used from any thread.
#ifndef SEALMILTER_LIB_CRYPTO_OSSL_H_
#define SEALMILTER_LIB_CRYPTO_OSSL_H_

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "lib/openssl_ptr.h"
#include "lib/status.h"

namespace seal::crypto {

template <typename T, void (*Free)(T*)>
using OsslDeleter = seal::OpenSslDeleter<T, Free>;

void FreeX509Stack(STACK_OF(X509) * stack);
void FreeCrlStack(STACK_OF(X509_CRL) * stack);
void FreeAlgorStack(STACK_OF(X509_ALGOR) * stack);

using seal::Asn1StringPtr;
using seal::Asn1TimePtr;
using seal::BioPtr;
using seal::CmsPtr;
using seal::EvpCipherCtxPtr;
using seal::EvpEncodeCtxPtr;
using seal::EvpPkeyCtxPtr;
using seal::EvpPkeyPtr;
using seal::GeneralNamesPtr;
using seal::X509AlgorPtr;
using seal::X509CrlPtr;
using seal::X509Ptr;
using seal::X509StoreCtxPtr;
using seal::X509StorePtr;
using X509StackPtr =
    std::unique_ptr<STACK_OF(X509), OsslDeleter<STACK_OF(X509), FreeX509Stack>>;
using CrlStackPtr =
    std::unique_ptr<STACK_OF(X509_CRL),
                    OsslDeleter<STACK_OF(X509_CRL), FreeCrlStack>>;
using AlgorStackPtr =
    std::unique_ptr<STACK_OF(X509_ALGOR),
                    OsslDeleter<STACK_OF(X509_ALGOR), FreeAlgorStack>>;

// A Status with `code` and the message "what: <OpenSSL errors>", draining
// the calling thread's error queue. With an empty queue the message is
// "what: (no OpenSSL error detail)".
Status OpenSslError(std::string_view what,
                    StatusCode code = StatusCode::kInternal);

// The queued errors as text ("" when none), draining the queue.
std::string DrainOpenSslErrors();

// Empties the calling thread's OpenSSL error queue.
void ClearOpenSslErrors();

// A read-only memory BIO over `data` (no copy; `data` must outlive it).
Result<BioPtr> MemoryBio(std::string_view data);

// `n` as an int for OpenSSL length arguments; kResourceExhausted if larger.
Result<int> OpenSslInt(size_t n);

// Runs `fn` (returning Status or Result<T>) and turns any C++ exception into
// an error, so none escapes a lib/crypto entry point. Out of memory is
// kInternal, worth a retry: kResourceExhausted means a configured size limit
// (the gateway answers it with a permanent 552).
template <typename F>
auto NoThrow(std::string_view what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return InternalError(std::string(what) + ": out of memory");
  } catch (const std::exception& e) {
    return InternalError(std::string(what) + ": " + e.what());
  } catch (...) {
    return InternalError(std::string(what) + ": unknown exception");
  }
}

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_OSSL_H_
