// Tables for the validators and the sample mask (lib/rules/validators.h,
// lib/rules/mask.h).
#include <catch2/catch.hpp>
#include <string>

#include "lib/rules/mask.h"
#include "lib/rules/validators.h"

namespace seal::rules {
namespace {

struct Case {
  const char* input;
  const char* canonical;  // nullptr: invalid
};

void Check(Validator v, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(std::string(ValidatorName(v)) + ": '" + c.input + "'");
    std::optional<std::string> got = Validate(v, c.input);
    if (c.canonical == nullptr) {
      CHECK_FALSE(got.has_value());
    } else {
      REQUIRE(got.has_value());
      CHECK(*got == c.canonical);
    }
  }
}

TEST_CASE("luhn accepts 13-19 digit card numbers with a good checksum") {
  Check(Validator::kLuhn,
        {
            {"4111111111111111", "4111111111111111"},        // Visa test
            {"4111 1111 1111 1111", "4111111111111111"},     // spaces
            {"4111-1111-1111-1111", "4111111111111111"},     // hyphens
            {"5500005555555559", "5500005555555559"},        // Mastercard
            {"378282246310005", "378282246310005"},          // Amex, 15
            {"3782 822463 10005", "378282246310005"},        // Amex grouping
            {"6011111111111117", "6011111111111117"},        // Discover
            {"4222222222222", "4222222222222"},              // 13 digits
            {"6304000000000000000", "6304000000000000000"},  // 19 digits
            {"4111111111111112", nullptr},                   // bad checksum
            {"4111 1111 1111 1121", nullptr},                // transposed
            {"411111111111", nullptr},                       // 12 digits
            {"41111111111111111111", nullptr},               // 20 digits
            {"0000000000000000", nullptr},                   // all one digit
            {"4111.1111.1111.1111", nullptr},                // other separator
            {"4111x111111111111", nullptr},                  // letter
            {"", nullptr},
        });
}

TEST_CASE("us_ssn applies the SSA structural rules") {
  Check(Validator::kUsSsn,
        {
            {"078-05-1120", "078051120"},  // the Woolworth wallet number
            {"123-45-6789", "123456789"},
            {"219 09 9999", "219099999"},
            {"899-99-9999", "899999999"},  // highest valid area
            {"000-12-3456", nullptr},      // area 000
            {"666-12-3456", nullptr},      // area 666
            {"900-12-3456", nullptr},      // area 9xx
            {"987-65-4321", nullptr},      // advertising range (9xx)
            {"123-00-4567", nullptr},      // group 00
            {"123-45-0000", nullptr},      // serial 0000
            {"123-45-678", nullptr},       // 8 digits
            {"123-45-67890", nullptr},     // 10 digits
            {"123/45/6789", nullptr},      // other separator
        });
}

TEST_CASE("aba checks the 3-7-1 checksum and the prefix ranges") {
  Check(Validator::kAba,
        {
            {"021000021", "021000021"},  // JPMorgan Chase, New York
            {"011000015", "011000015"},  // Federal Reserve Bank of Boston
            {"122105155", "122105155"},  // prefix 12
            {"322271627", "322271627"},  // prefix 32
            {"021000022", nullptr},      // bad checksum
            {"123456789", nullptr},      // bad checksum
            {"000000000", nullptr},      // all zero
            {"131000005", nullptr},      // checksum ok, prefix 13 unassigned
            {"02100002", nullptr},       // 8 digits
            {"0210000211", nullptr},     // 10 digits
        });
}

TEST_CASE("iban checks country length, check digits and mod 97") {
  Check(
      Validator::kIban,
      {
          {"DE89370400440532013000", "DE89370400440532013000"},
          {"DE89 3704 0044 0532 0130 00", "DE89370400440532013000"},
          {"de89 3704 0044 0532 0130 00", "DE89370400440532013000"},
          {"GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"},
          {"NO9386011117947", "NO9386011117947"},  // shortest, 15
          {"FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"},
          {"MT84MALT011000012345MTLCAST001S",
           "MT84MALT011000012345MTLCAST001S"},
          // A greedy pattern ran into the next word: ignored after a space.
          {"DE89 3704 0044 0532 0130 00 AB12", "DE89370400440532013000"},
          {"DE89 3704 0044 0532 0130 01", nullptr},   // bad checksum
          {"DE88 3704 0044 0532 0130 00", nullptr},   // bad check digits
          {"DE8937040044053201300", nullptr},         // 21, DE wants 22
          {"DE893704004405320130001", nullptr},       // 23, run-on
          {"XX89370400440532013000", nullptr},        // unknown country
          {"DE00370400440532013000", nullptr},        // check digits 00
          {"DE89  3704 0044 0532 0130 00", nullptr},  // double space
          {"DE89-3704-0044-0532-0130-00", nullptr},   // hyphens
      });
  CHECK(IbanLength("DE") == 22);
  CHECK(IbanLength("NO") == 15);
  CHECK(IbanLength("RU") == 33);
  CHECK(IbanLength("US") == 0);
}

TEST_CASE("no validator keeps the match") {
  CHECK(Validate(Validator::kNone, "anything") == std::string("anything"));
}

TEST_CASE("samples are masked except the last four letters or digits") {
  struct {
    const char* match;
    const char* sample;
  } cases[] = {
      {"078-05-1120", "***-**-1120"},
      {"4111 1111 1111 1111", "**** **** **** 1111"},
      {"DE89 3704 0044 0532 0130 00", "**** **** **** **** **30 00"},
      {"[encrypt]", "[***rypt]"},
      {"#", "#"},
      {"abc", "abc"},  // known limit: four or fewer stay visible
      {"Sensitivity:\tPrivate", "***********: ***vate"},
      {"caf\xc3\xa9 secret", "**** **cret"},  // one '*' per UTF-8 character
      {"a\r\n\r\nb", "a b"},
  };
  for (const auto& c : cases) {
    INFO(c.match);
    CHECK(MaskSample(c.match) == c.sample);
  }
  std::string longer(100, '7');
  std::string masked = MaskSample(longer);
  CHECK(masked.size() == kMaxSampleChars);
  CHECK(masked.substr(0, 3) == "...");
  CHECK(masked.substr(masked.size() - 4) == "7777");
  CHECK(masked.find("77777") == std::string::npos);
}

}  // namespace
}  // namespace seal::rules
