// Chain verification and extension readers for the CA tests.
#include "tests/unit/ca/ca_test_util.h"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "lib/store/hex.h"

namespace seal::ca::testing {

store::X509Ptr Decode(const std::string& der) {
  const unsigned char* p = store::Bytes(der);
  store::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(cert != nullptr);
  return cert;
}

int Verify(const std::string& ca_der, const std::string& leaf_der, int64_t when,
           int purpose) {
  store::X509Ptr ca = Decode(ca_der);
  store::X509Ptr leaf = Decode(leaf_der);
  store::X509StorePtr trust(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(trust.get(), ca.get()) == 1);
  store::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(ctx.get(), trust.get(), leaf.get(), nullptr) ==
          1);
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(when));
  REQUIRE(X509_STORE_CTX_set_purpose(ctx.get(), purpose) == 1);
  if (X509_verify_cert(ctx.get()) == 1) return X509_V_OK;
  int err = X509_STORE_CTX_get_error(ctx.get());
  return err == X509_V_OK ? -1 : err;
}

std::vector<std::string> SanEmails(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_EMAIL) {
      out.emplace_back(
          reinterpret_cast<const char*>(
              ASN1_STRING_get0_data(gn->d.rfc822Name)),
          static_cast<size_t>(ASN1_STRING_length(gn->d.rfc822Name)));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string Hex(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  return store::HexLower(
      std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s))));
}

int SerialBits(X509* cert) {
  store::BignumPtr bn(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  REQUIRE(bn != nullptr);
  return BN_num_bits(bn.get());
}

}  // namespace seal::ca::testing
