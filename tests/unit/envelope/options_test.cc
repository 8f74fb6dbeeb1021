// X-Seal-* option header tests (lib/envelope/options.h): the expiry and
// boolean grammars as tables, duplicates, policy limits, and that every
// header name is documented in sealmilter.envelope(5).
#include "lib/envelope/options.h"

#include <catch2/catch.hpp>

#include "tests/unit/envelope/envelope_test_util.h"

namespace seal::envelope {
namespace {

using std::chrono::seconds;

TEST_CASE("X-Seal-Expires grammar", "[options]") {
  struct {
    const char* text;
    long long seconds;  // -1 = never, -2 = error
  } table[] = {
      {"+7", 7 * 86400},
      {"+1", 86400},
      {" +30 ", 30 * 86400},
      {"+3650", 3650 * 86400LL},
      {"+24:00:00", 86400},
      {"+0:30:00", 1800},
      {"+00:00:01", 1},
      {"+168:00:00", 168 * 3600},
      {"+87600:00:00", 87600 * 3600LL},
      {"never", -1},
      {"NEVER", -1},
      {"", -2},
      {"+", -2},
      {"7", -2},
      {"24:00:00", -2},
      {"+0", -2},
      {"+00:00:00", -2},
      {"+1.5", -2},
      {"+-1", -2},
      {"+ 7", -2},
      {"+7d", -2},
      {"+3651", -2},
      {"+24:60:00", -2},
      {"+24:00:60", -2},
      {"+24:00", -2},
      {"+1:2:3", -2},
      {"+87601:00:00", -2},
      {"+123456:00:00", -2},
      {"tomorrow", -2},
      {"+7 (days)", -2},
  };
  for (const auto& row : table) {
    INFO("value: '" << row.text << "'");
    auto r = ParseExpiryValue(row.text);
    if (row.seconds == -2) {
      CHECK(!r.ok());
      if (!r.ok()) CHECK(r.status().code() == StatusCode::kInvalidArgument);
    } else {
      REQUIRE(r.ok());
      if (row.seconds == -1) {
        CHECK(!r->has_value());
      } else {
        REQUIRE(r->has_value());
        CHECK((*r)->count() == row.seconds);
      }
    }
  }
}

TEST_CASE("Boolean option values", "[options]") {
  for (const char* yes : {"yes", "YES", " true", "On", "1"}) {
    auto r = ParseBoolValue(yes);
    REQUIRE(r.ok());
    CHECK(*r);
  }
  for (const char* no : {"no", "False ", "off", "0"}) {
    auto r = ParseBoolValue(no);
    REQUIRE(r.ok());
    CHECK(!*r);
  }
  for (const char* bad : {"", "y", "nope", "2", "yes please"}) {
    CHECK(!ParseBoolValue(bad).ok());
  }
}

TEST_CASE("Option headers override policy defaults", "[options]") {
  OptionPolicy policy;
  std::vector<HeaderField> headers = {
      {"Subject", "hello"},           {"x-seal-reply", "no"},
      {"X-Seal-Reply-All", "no"},     {"X-SEAL-FORWARD", "off"},
      {"X-Seal-Read-Receipt", "yes"}, {"X-Seal-Expires", "+48:00:00"},
      {"X-Seal-JS-Free", "yes"},      {"X-Seal-Remember-Key", "1"},
  };
  auto r = ParseOptionHeaders(headers, policy);
  REQUIRE(r.ok());
  CHECK(!r->reply);
  CHECK(!r->reply_all);
  CHECK(!r->forward);
  CHECK(r->read_receipt);
  CHECK(r->js_free);
  CHECK(r->remember_key);
  REQUIRE(r->expires_after.has_value());
  CHECK(*r->expires_after == seconds(48 * 3600));

  auto none = ParseOptionHeaders({}, policy);
  REQUIRE(none.ok());
  CHECK(*none == policy.defaults);
}

TEST_CASE("Option header errors name the header", "[options]") {
  OptionPolicy policy;
  policy.max_expiry = seconds(30 * 86400);
  struct {
    std::vector<HeaderField> headers;
    const char* fragment;
  } table[] = {
      {{{"X-Seal-Reply", "maybe"}}, "X-Seal-Reply"},
      {{{"X-Seal-Reply", "yes"}, {"x-seal-reply", "no"}}, "appears twice"},
      {{{"X-Seal-Expires", "+31"}}, "policy maximum"},
      {{{"X-Seal-Expires", "never"}}, "not allowed by policy"},
      {{{"X-Seal-Expires", "+1x"}}, "X-Seal-Expires"},
      {{{"X-Seal-JS-Free", ""}}, "X-Seal-JS-Free"},
  };
  for (const auto& row : table) {
    auto r = ParseOptionHeaders(row.headers, policy);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains(row.fragment));
  }
}

TEST_CASE("Without sender override the headers are checked, not applied",
          "[options]") {
  OptionPolicy policy;
  policy.sender_may_override = false;
  std::vector<HeaderField> headers = {{"X-Seal-Reply", "no"}};
  auto r = ParseOptionHeaders(headers, policy);
  REQUIRE(r.ok());
  CHECK(r->reply);
  std::vector<HeaderField> bad = {{"X-Seal-Reply", "bogus"}};
  CHECK(!ParseOptionHeaders(bad, policy).ok());
}

TEST_CASE("Option header names: list, lookup and documentation", "[options]") {
  CHECK(OptionHeaderNames().size() == 7);
  CHECK(IsOptionHeader("x-seal-expires"));
  CHECK(IsOptionHeader("X-Seal-Remember-Key"));
  CHECK(!IsOptionHeader("X-Seal-Other"));
  CHECK(!IsOptionHeader("Subject"));
  std::string man = testing::ReadFile(std::string(SEAL_SOURCE_ROOT) +
                                      "/man/sealmilter.envelope.5");
  REQUIRE(!man.empty());
  for (std::string_view name : OptionHeaderNames()) {
    INFO(name);
    CHECK(man.find(std::string(name)) != std::string::npos);
  }
}

}  // namespace
}  // namespace seal::envelope
