// Helpers for the CA tests: chain verification with OpenSSL's
// X509_verify_cert at a chosen time, and extension readers.
#ifndef SEALMILTER_TESTS_UNIT_CA_CA_TEST_UTIL_H_
#define SEALMILTER_TESTS_UNIT_CA_CA_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/store/openssl_util.h"

namespace seal::ca::testing {

// 2025-01-01T00:00:00Z
inline constexpr int64_t kNow = 1735689600;
inline constexpr int64_t kDay = 86400;

store::X509Ptr Decode(const std::string& der);

// X509_V_OK (0) when `leaf` chains to the trusted `ca` at `when` for S/MIME
// encryption; otherwise the X509_V_ERR_* code.
int Verify(const std::string& ca_der, const std::string& leaf_der, int64_t when,
           int purpose);

std::vector<std::string> SanEmails(X509* cert);
std::string Hex(const ASN1_OCTET_STRING* s);
int SerialBits(X509* cert);

}  // namespace seal::ca::testing

#endif  // SEALMILTER_TESTS_UNIT_CA_CA_TEST_UTIL_H_
