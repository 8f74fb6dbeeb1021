// Tables for key type names and generation (lib/ca/key_type.h) and for
// distinguished names from config (lib/ca/distinguished_name.h).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lib/ca/distinguished_name.h"
#include "lib/ca/key_type.h"
#include "lib/store/x509_parse.h"

namespace seal::ca {
namespace {

TEST_CASE("key type names round-trip; unknown names are refused") {
  for (KeyType t : {KeyType::kRsa2048, KeyType::kRsa3072, KeyType::kRsa4096,
                    KeyType::kEcP256, KeyType::kEcP384}) {
    Result<KeyType> back = ParseKeyType(KeyTypeName(t));
    REQUIRE(back.ok());
    CHECK(*back == t);
  }
  for (const char* bad : {"", "rsa", "RSA2048", "ec", "ed25519", "dsa1024"}) {
    INFO(bad);
    CHECK(ParseKeyType(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("generated keys have the requested algorithm and size") {
  struct Case {
    KeyType type;
    int base_id;
    int bits;
    const char* group;
  };
  // rsa3072/rsa4096 are exercised by the CA tests and skipped here for time.
  const std::vector<Case> cases = {
      {KeyType::kRsa2048, EVP_PKEY_RSA, 2048, nullptr},
      {KeyType::kEcP256, EVP_PKEY_EC, 256, "prime256v1"},
      {KeyType::kEcP384, EVP_PKEY_EC, 384, "secp384r1"},
  };
  for (const Case& c : cases) {
    INFO(KeyTypeName(c.type));
    Result<store::EvpPkeyPtr> key = GenerateKey(c.type);
    REQUIRE(key.ok());
    CHECK(EVP_PKEY_get_base_id(key->get()) == c.base_id);
    CHECK(EVP_PKEY_get_bits(key->get()) == c.bits);
    if (c.group != nullptr) {
      char name[64] = {0};
      size_t len = 0;
      REQUIRE(EVP_PKEY_get_group_name(key->get(), name, sizeof name, &len) ==
              1);
      CHECK(std::string(name, len) == c.group);
    }
  }
}

TEST_CASE("distinguished names from config") {
  struct Case {
    const char* in;
    const char* rfc2253;  // nullptr: refused
  };
  const std::vector<Case> cases = {
      {"CN=sealmilter internal CA", "CN=sealmilter internal CA"},
      {"CN=Mail CA,O=Example Ltd,C=DE", "CN=Mail CA,O=Example Ltd,C=DE"},
      {" CN = Spaced , O = Org ", "CN=Spaced,O=Org"},
      {"CN=Example\\, Inc.,O=Org", "CN=Example\\, Inc.,O=Org"},
      {"CN=trailing\\ ", "CN=trailing\\ "},
      {"CN=hex \\41\\42", "CN=hex AB"},
      {"CN=M\xc3\xbcller CA", "CN=M\xc3\xbcller CA"},
      {"emailAddress=ca@example.com,CN=CA",
       "emailAddress=ca@example.com,CN=CA"},
      {"DC=example,DC=com", "DC=example,DC=com"},
      {"commonName=Long Name", "CN=Long Name"},
      {"", nullptr},
      {"CN", nullptr},
      {"CN=", nullptr},
      {"=value", nullptr},
      {"CN=a,", nullptr},
      {"CN=a+O=b", nullptr},
      {"CN=#0403414243", nullptr},
      {"XX=unknown", nullptr},
      {"C=Germany", nullptr},  // countryName is two letters
      {"CN=dangling\\", nullptr},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    Result<store::X509NamePtr> name = ParseDistinguishedName(c.in);
    if (c.rfc2253 == nullptr) {
      CHECK_FALSE(name.ok());
      if (!name.ok()) {
        CHECK(name.status().code() == StatusCode::kInvalidArgument);
      }
    } else {
      INFO(name.status().ToString());
      REQUIRE(name.ok());
      CHECK(store::NameText(name->get()) == c.rfc2253);
    }
  }
}

}  // namespace
}  // namespace seal::ca
