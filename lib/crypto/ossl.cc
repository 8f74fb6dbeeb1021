// OpenSSL error queue → Status, stack deleters, memory BIOs.
#include "lib/crypto/ossl.h"

#include <openssl/err.h>

#include <limits>

namespace seal::crypto {

void FreeX509Stack(STACK_OF(X509) * stack) {
  sk_X509_pop_free(stack, X509_free);
}

void FreeCrlStack(STACK_OF(X509_CRL) * stack) {
  sk_X509_CRL_pop_free(stack, X509_CRL_free);
}

void FreeAlgorStack(STACK_OF(X509_ALGOR) * stack) {
  sk_X509_ALGOR_pop_free(stack, X509_ALGOR_free);
}

std::string DrainOpenSslErrors() {
  std::string message;
  const char* file = nullptr;
  int line = 0;
  const char* func = nullptr;
  const char* data = nullptr;
  int flags = 0;
  unsigned long err;  // NOLINT(runtime/int): OpenSSL's type
  while ((err = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0) {
    if (!message.empty()) message += "; ";
    const char* lib = ERR_lib_error_string(err);
    const char* reason = ERR_reason_error_string(err);
    if (lib != nullptr) {
      message += lib;
      message += ": ";
    }
    if (reason != nullptr) {
      message += reason;
    } else {
      char buf[256];
      ERR_error_string_n(err, buf, sizeof buf);
      message += buf;
    }
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
      message += " (";
      message += data;
      message += ")";
    }
  }
  return message;
}

Status OpenSslError(std::string_view what, StatusCode code) {
  std::string message(what);
  message += ": ";
  std::string detail = DrainOpenSslErrors();
  message += detail.empty() ? "(no OpenSSL error detail)" : detail;
  return Status(code, std::move(message));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

Result<int> OpenSslInt(size_t n) {
  if (n > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return ResourceExhaustedError("object too large for OpenSSL (" +
                                  std::to_string(n) + " bytes)");
  }
  return static_cast<int>(n);
}

Result<BioPtr> MemoryBio(std::string_view data) {
  Result<int> len = OpenSslInt(data.size());
  if (!len.ok()) return len.status();
  // BIO_new_mem_buf with an empty buffer still gives a valid empty BIO.
  static const char kEmpty[1] = {0};
  BioPtr bio(BIO_new_mem_buf(data.empty() ? kEmpty : data.data(), *len));
  if (!bio) return OpenSslError("cannot create a memory BIO");
  return bio;
}

}  // namespace seal::crypto
