// Address extraction from From/To/Cc values.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lib/mime/address_list.h"

namespace seal::mime {
namespace {

TEST_CASE("ParseAddressList extracts addr-specs", "[mime][address]") {
  struct Case {
    const char* name;
    std::string in;
    std::vector<std::string> out;
  };
  const std::vector<Case> cases = {
      {"bare", "a@example.com", {"a@example.com"}},
      {"name and angle",
       "Alice Doe <alice@example.com>",
       {"alice@example.com"}},
      {"quoted name with comma",
       "\"Doe, Alice\" <alice@example.com>, "
       "bob@example.org",
       {"alice@example.com", "bob@example.org"}},
      {"quoted name with @", "\"a@b\" <c@d.example>", {"c@d.example"}},
      {"comment",
       "alice@example.com (Alice (the first))",
       {"alice@example.com"}},
      {"group",
       "team: a@x.example, b@y.example;, c@z.example",
       {"a@x.example", "b@y.example", "c@z.example"}},
      {"empty group", "undisclosed-recipients:;", {}},
      {"route", "<@relay.example:user@example.com>", {"user@example.com"}},
      {"spaces in addr", "john @ example.com", {"john@example.com"}},
      {"quoted local part",
       "\"john doe\"@example.com",
       {"\"john doe\"@example.com"}},
      {"single word", "postmaster", {"postmaster"}},
      {"phrase without address", "Alice Doe", {}},
      {"encoded name",
       "=?utf-8?q?J=C3=BCrg?= <j@example.com>",
       {"j@example.com"}},
      {"missing >", "Alice <alice@example.com", {"alice@example.com"}},
      {"unterminated quote", "\"Alice <a@x>", {}},
      {"empty angle", "<>", {}},
      {"utf-8 address",
       "<j\xC3\xBCrg@example.com>",
       {"j\xC3\xBCrg@example.com"}},
      {"empty", "", {}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(ParseAddressList(c.in) == c.out);
  }
}

TEST_CASE("StripAngleBrackets", "[mime][address]") {
  CHECK(StripAngleBrackets("<a@b>") == "a@b");
  CHECK(StripAngleBrackets(" a@b ") == "a@b");
  CHECK(StripAngleBrackets("<>").empty());
}

}  // namespace
}  // namespace seal::mime
