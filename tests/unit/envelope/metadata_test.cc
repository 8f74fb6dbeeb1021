// Metadata JSON tests (lib/envelope/metadata.h): round trip, HTML-inert
// escaping, forward compatibility (unknown fields and slot types), and the
// rejection table (version, ranges, sizes, nesting).
#include "lib/envelope/metadata.h"

#include <catch2/catch.hpp>

namespace seal::envelope {
namespace {

EnvelopeMetadata Sample() {
  EnvelopeMetadata m;
  m.id = "0123456789abcdef0123456789abcdef";
  m.sender = "alice@example.com";
  m.sender_name = "Alice <script>alert(1)</script> & Ünïcödé 日本語 😀";
  m.created = TimePoint(std::chrono::seconds(1714564800));  // 2024-05-01
  m.expires = m.created + std::chrono::hours(24 * 7);
  m.locale = "fr";
  m.options.reply_all = false;
  m.options.read_receipt = true;
  m.portal_url = "https://portal.example.com/open";
  m.content_iv = std::string(12, '\x01');
  m.content_size = 12345;
  KeySlot p;
  p.type = KeySlot::Type::kPassphrase;
  p.iterations = 600000;
  p.salt = std::string(16, '\x02');
  p.normalize = std::string(kNormalizeGenerated);
  p.label = "bob@example.net";
  p.iv = std::string(12, '\x03');
  p.wrapped = std::string(48, '\x04');
  KeySlot q;
  q.type = KeySlot::Type::kPortal;
  q.key_id = "portal-2024";
  q.iv = std::string(12, '\x05');
  q.wrapped = std::string(48, '\x06');
  m.slots = {p, q};
  return m;
}

TEST_CASE("Metadata round trip", "[metadata]") {
  EnvelopeMetadata m = Sample();
  std::string json = SerializeMetadata(m);
  auto back = ParseMetadata(json);
  REQUIRE(back.ok());
  CHECK(back->id == m.id);
  CHECK(back->sender == m.sender);
  CHECK(back->sender_name == m.sender_name);
  CHECK(back->created == m.created);
  CHECK(back->expires == m.expires);
  CHECK(back->locale == "fr");
  CHECK(!back->options.reply_all);
  CHECK(back->options.read_receipt);
  CHECK(back->portal_url == m.portal_url);
  CHECK(back->content_iv == m.content_iv);
  CHECK(back->content_size == 12345);
  REQUIRE(back->slots.size() == 2);
  CHECK(back->slots[0].label == "bob@example.net");
  CHECK(back->slots[0].salt == m.slots[0].salt);
  CHECK(back->slots[1].key_id == "portal-2024");
  CHECK(back->slots[1].wrapped == m.slots[1].wrapped);
  // Serialising again gives the same bytes (they are the additional data).
  CHECK(SerializeMetadata(*back) == json);
}

TEST_CASE("Metadata JSON is inert inside HTML", "[metadata]") {
  std::string json = SerializeMetadata(Sample());
  CHECK(json.find('<') == std::string::npos);
  CHECK(json.find('>') == std::string::npos);
  CHECK(json.find('&') == std::string::npos);
  CHECK(json.find('\n') == std::string::npos);
  CHECK(json.find("\\u003cscript\\u003e") != std::string::npos);
  CHECK(json.find("日本語 😀") != std::string::npos);  // UTF-8 kept
}

TEST_CASE("Invalid UTF-8 in a sender name is replaced", "[metadata]") {
  EnvelopeMetadata m = Sample();
  m.sender_name = "bad \xff\xfe name";
  auto back = ParseMetadata(SerializeMetadata(m));
  REQUIRE(back.ok());
  CHECK(back->sender_name == "bad \xEF\xBF\xBD\xEF\xBF\xBD name");
}

TEST_CASE("Unknown fields and slot types are ignored", "[metadata]") {
  std::string json = SerializeMetadata(Sample());
  std::string extended = json;
  extended.insert(1, "\"future\":{\"x\":[1,2]},");
  size_t slots = extended.find("\"slots\":[") + 9;
  extended.insert(slots, "{\"type\":\"fido2\",\"anything\":1},");
  auto back = ParseMetadata(extended);
  REQUIRE(back.ok());
  CHECK(back->slots.size() == 2);
}

TEST_CASE("Metadata rejection table", "[metadata]") {
  const std::string good = SerializeMetadata(Sample());
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    size_t pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
  };
  struct Row {
    std::string json;
    StatusCode code;
  };
  std::vector<Row> table = {
      {"", StatusCode::kParseError},
      {"[]", StatusCode::kParseError},
      {"{", StatusCode::kParseError},
      {replace("\"version\":1", "\"version\":2"),
       StatusCode::kFailedPrecondition},
      {replace("\"version\":1", "\"version\":\"1\""), StatusCode::kParseError},
      {replace("sealmilter-envelope", "other"), StatusCode::kParseError},
      {replace("\"iterations\":600000", "\"iterations\":599999"),
       StatusCode::kParseError},
      {replace("\"iterations\":600000", "\"iterations\":10000001"),
       StatusCode::kParseError},
      {replace("\"iterations\":600000", "\"iterations\":-1"),
       StatusCode::kParseError},
      {replace("0123456789abcdef0123456789abcdef",
               "0123456789ABCDEF0123456789abcdef"),
       StatusCode::kParseError},
      {replace("2024-05-01T12:00:00Z", "2024-05-01 12:00:00"),
       StatusCode::kParseError},
      {replace("\"normalize\":\"generated-v1\"", "\"normalize\":\"nfkc\""),
       StatusCode::kParseError},
      {replace("\"kdf\":\"PBKDF2-SHA256\"", "\"kdf\":\"scrypt\""),
       StatusCode::kParseError},
      {replace("\"alg\":\"A256GCM\"", "\"alg\":\"A128GCM\""),
       StatusCode::kParseError},
      {replace("\"reply\":true", "\"reply\":\"yes\""), StatusCode::kParseError},
      {replace("\"slots\":[", "\"slotz\":["), StatusCode::kParseError},
      {std::string(70000, ' ') + good, StatusCode::kParseError},
      {std::string(40, '[') + std::string(40, ']'), StatusCode::kParseError},
  };
  for (const Row& row : table) {
    INFO(row.json.substr(0, 200));
    auto r = ParseMetadata(row.json);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == row.code);
  }
}

TEST_CASE("RFC 3339 times", "[metadata]") {
  struct {
    const char* text;
    long long seconds;  // -1 = error
  } table[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2024-05-01T12:00:00Z", 1714564800},
      {"2038-01-19T03:14:08Z", 2147483648LL},
      {"2024-05-01T12:00:00+00:00", -1},
      {"2024-13-01T12:00:00Z", -1},
      {"2024-05-01t12:00:00z", -1},
      {"24-05-01T12:00:00Z", -1},
  };
  for (const auto& row : table) {
    INFO(row.text);
    auto t = ParseRfc3339(row.text);
    if (row.seconds < 0) {
      CHECK(!t.ok());
    } else {
      REQUIRE(t.ok());
      CHECK(t->time_since_epoch().count() == row.seconds);
      CHECK(FormatRfc3339(*t) == row.text);
    }
  }
  CHECK(FormatHumanUtc(TimePoint(std::chrono::seconds(1714564800))) ==
        "2024-05-01 12:00 UTC");
}

TEST_CASE("Slot additional data binds type and envelope id", "[metadata]") {
  CHECK(SlotAad(KeySlot::Type::kPassphrase, "abc") ==
        "sealmilter-envelope:1:passphrase:abc");
  CHECK(SlotAad(KeySlot::Type::kPortal, "abc") ==
        "sealmilter-envelope:1:portal:abc");
}

}  // namespace
}  // namespace seal::envelope
