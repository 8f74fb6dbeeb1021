// Small helpers shared by the S/MIME tests: running an encryption or
// signature into a string, splitting our own output, tampering with base64
// bodies.
#ifndef SEALMILTER_TESTS_UNIT_CRYPTO_TEST_UTIL_H_
#define SEALMILTER_TESTS_UNIT_CRYPTO_TEST_UTIL_H_

#include <string>
#include <string_view>

#include "lib/crypto/base64.h"
#include "lib/crypto/mime_frame.h"

namespace seal::crypto::testing {

// Splits a whole entity; aborts the test on failure.
inline ParsedEntity MustSplit(std::string_view entity) {
  Result<ParsedEntity> p = SplitEntity(entity);
  if (!p.ok()) return ParsedEntity{};
  return std::move(p).value();
}

// Decodes the base64 body of `entity`, applies `edit` to the DER, and
// re-encodes it into a new entity with the same headers.
template <typename Edit>
std::string EditDer(const std::string& entity, Edit edit) {
  ParsedEntity p = MustSplit(entity);
  Result<std::string> der = Base64Decode(p.body);
  if (!der.ok()) return std::string();
  std::string d = *der;
  edit(d);
  return std::string(p.header_block) + Base64EncodeLines(d);
}

}  // namespace seal::crypto::testing

#endif  // SEALMILTER_TESTS_UNIT_CRYPTO_TEST_UTIL_H_
