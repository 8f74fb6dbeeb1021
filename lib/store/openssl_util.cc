// OpenSSL error queue → Status, and small BIO/length helpers.
#include "lib/store/openssl_util.h"

#include <openssl/err.h>

#include <limits>

namespace seal::store {

Status OpenSslError(std::string_view what, StatusCode code) {
  std::string message(what);
  message += ": ";
  bool any = false;
  const char* file = nullptr;
  int line = 0;
  const char* func = nullptr;
  const char* data = nullptr;
  int flags = 0;
  unsigned long err;  // NOLINT(runtime/int): OpenSSL's type
  while ((err = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0) {
    if (any) message += "; ";
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    message += buf;
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
      message += " (";
      message += data;
      message += ")";
    }
    any = true;
  }
  if (!any) message += "(no OpenSSL error detail)";
  return Status(code, std::move(message));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  // BIO_get_mem_data is a macro with a C cast; call what it expands to.
  long n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data);  // NOLINT(runtime/int)
  if (n <= 0 || data == nullptr) return std::string();
  return std::string(data, static_cast<size_t>(n));
}

Result<int> OpenSslLength(size_t n) {
  if (n > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return ResourceExhaustedError("object too large for OpenSSL");
  }
  return static_cast<int>(n);
}

Result<long> OpenSslLongLength(size_t n) {  // NOLINT(runtime/int)
  if (n > static_cast<size_t>(std::numeric_limits<long>::max())) {
    return ResourceExhaustedError("object too large for OpenSSL");
  }
  return static_cast<long>(n);  // NOLINT(runtime/int)
}

}  // namespace seal::store
