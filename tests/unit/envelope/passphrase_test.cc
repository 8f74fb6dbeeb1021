// Passphrase tests (lib/envelope/passphrase.h, key_slots.h): the generated
// form and its entropy, normalization as the opener applies it, and the
// PassphraseSource lookup with fallback to a generated passphrase.
#include "lib/envelope/passphrase.h"

#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "lib/envelope/key_slots.h"

namespace seal::envelope {
namespace {

TEST_CASE("Generated passphrases: form, alphabet, entropy", "[passphrase]") {
  CHECK(GeneratedPassphraseBits() >= 100.0);
  const std::regex form("^([2-9a-hjkmnp-z]{4}-){5}[2-9a-hjkmnp-z]{4}$");
  std::set<std::string> seen;
  std::map<char, int> counts;
  for (int i = 0; i < 2000; ++i) {
    auto p = GeneratePassphrase();
    REQUIRE(p.ok());
    CHECK(std::regex_match(*p, form));
    for (char c : *p) {
      if (c != '-') ++counts[c];
    }
    seen.insert(*p);
  }
  CHECK(seen.size() == 2000);
  // Every character of the alphabet shows up, none of the ambiguous ones.
  CHECK(counts.size() == kPassphraseAlphabet.size());
  for (char c : std::string("01ilo")) CHECK(counts.count(c) == 0);
  // Roughly uniform: 48000 chars / 31 = ~1548 each.
  for (const auto& [c, n] : counts) {
    INFO(c);
    CHECK(n > 1300);
    CHECK(n < 1800);
  }
}

TEST_CASE("Passphrase normalization", "[passphrase]") {
  struct {
    const char* typed;
    std::string_view mode;
    const char* expected;
  } table[] = {
      {"k7m2-x9qp-3hfd", kNormalizeGenerated, "k7m2x9qp3hfd"},
      {" K7M2 X9QP\t3HFD ", kNormalizeGenerated, "k7m2x9qp3hfd"},
      {"k7m2--x9qp", kNormalizeGenerated, "k7m2x9qp"},
      {"Élan", kNormalizeGenerated, "\xC3\x89lan"},  // non-ASCII untouched
      {"  My Secret  ", kNormalizeTrim, "My Secret"},
      {"a-b", kNormalizeTrim, "a-b"},
      {"\t\r\n", kNormalizeTrim, ""},
  };
  for (const auto& row : table) {
    INFO(row.typed);
    CHECK(NormalizePassphrase(row.typed, row.mode) == row.expected);
  }
}

TEST_CASE("PassphraseSource lookup and fallback", "[passphrase]") {
  InMemoryPassphraseSource source;
  source.Set("Bob@Example.NET", "correct horse battery staple");
  auto stored = ChoosePassphrase(&source, "bob@example.net");
  REQUIRE(stored.ok());
  CHECK(!stored->generated);
  CHECK(stored->passphrase == "correct horse battery staple");
  CHECK(stored->label == "bob@example.net");

  auto fresh = ChoosePassphrase(&source, "carol@example.org");
  REQUIRE(fresh.ok());
  CHECK(fresh->generated);
  CHECK(fresh->label.empty());
  CHECK(fresh->passphrase.size() == 29);

  auto none = ChoosePassphrase(nullptr, "dave@example.org");
  REQUIRE(none.ok());
  CHECK(none->generated);

  class DownSource : public PassphraseSource {
   public:
    Result<StoredPassphrase> Lookup(std::string_view) override {
      return UnavailableError("store down");
    }
  } down;
  auto failed = ChoosePassphrase(&down, "erin@example.org");
  REQUIRE(!failed.ok());
  CHECK(failed.status().code() == StatusCode::kUnavailable);
}

}  // namespace
}  // namespace seal::envelope
