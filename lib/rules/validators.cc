// Luhn, US SSN, ABA and IBAN validators (see lib/rules/validators.h).
#include "lib/rules/validators.h"

#include <algorithm>
#include <array>
#include <utility>

namespace seal::rules {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
int DigitValue(char c) { return c - '0'; }

// Digits of `text` with spaces and hyphens dropped; nullopt on any other
// character or when there are more than `max_digits`.
std::optional<std::string> Digits(std::string_view text, size_t max_digits) {
  std::string out;
  for (char c : text) {
    if (IsDigit(c)) {
      if (out.size() == max_digits) return std::nullopt;
      out.push_back(c);
    } else if (c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  return out;
}

bool AllSame(std::string_view digits) {
  return std::all_of(digits.begin(), digits.end(),
                     [&](char c) { return c == digits.front(); });
}

// SWIFT IBAN registry: country code and total IBAN length.
constexpr std::pair<std::string_view, int> kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20},
    {"BE", 16}, {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28},
    {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23},
    {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30},
    {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20},
    {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22},
    {"MK", 19}, {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28},
    {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28}, {"PS", 29},
    {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
    {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26},
    {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

}  // namespace

std::optional<std::string> ValidateLuhn(std::string_view text) {
  std::optional<std::string> digits = Digits(text, 19);
  if (!digits || digits->size() < 13 || AllSame(*digits)) return std::nullopt;
  int sum = 0;
  bool twice = false;
  for (auto it = digits->rbegin(); it != digits->rend(); ++it) {
    int d = DigitValue(*it);
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  if (sum % 10 != 0) return std::nullopt;
  return digits;
}

std::optional<std::string> ValidateUsSsn(std::string_view text) {
  std::optional<std::string> digits = Digits(text, 9);
  if (!digits || digits->size() != 9) return std::nullopt;
  std::string_view d = *digits;
  std::string_view area = d.substr(0, 3);
  if (area == "000" || area == "666" || area[0] == '9') return std::nullopt;
  if (d.substr(3, 2) == "00") return std::nullopt;
  if (d.substr(5, 4) == "0000") return std::nullopt;
  return digits;
}

std::optional<std::string> ValidateAba(std::string_view text) {
  std::optional<std::string> digits = Digits(text, 9);
  if (!digits || digits->size() != 9) return std::nullopt;
  std::string_view d = *digits;
  int prefix = DigitValue(d[0]) * 10 + DigitValue(d[1]);
  bool prefix_ok = prefix <= 12 || (prefix >= 21 && prefix <= 32) ||
                   (prefix >= 61 && prefix <= 72) || prefix == 80;
  if (!prefix_ok || AllSame(d)) return std::nullopt;
  static constexpr std::array<int, 9> kWeights = {3, 7, 1, 3, 7, 1, 3, 7, 1};
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) sum += kWeights[i] * DigitValue(d[i]);
  if (sum % 10 != 0) return std::nullopt;
  return digits;
}

int IbanLength(std::string_view country) {
  for (const auto& [code, length] : kIbanLengths) {
    if (code == country) return length;
  }
  return 0;
}

std::optional<std::string> ValidateIban(std::string_view text) {
  std::string compact;
  size_t want = 0;  // registered length, known after two characters
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ') {
      if (want != 0 && compact.size() == want) break;  // rest is not ours
      if (i + 1 < text.size() && text[i + 1] == ' ') return std::nullopt;
      continue;
    }
    if (IsLower(c)) c = static_cast<char>(c - 'a' + 'A');
    if (!IsDigit(c) && !IsUpper(c)) return std::nullopt;
    if (want != 0 && compact.size() == want) return std::nullopt;  // too long
    compact.push_back(c);
    if (compact.size() == 2) {
      int length = IbanLength(compact);
      if (length <= 0) return std::nullopt;
      want = static_cast<size_t>(length);
    }
  }
  if (want == 0 || compact.size() != want) return std::nullopt;
  if (!IsDigit(compact[2]) || !IsDigit(compact[3])) return std::nullopt;
  int check = DigitValue(compact[2]) * 10 + DigitValue(compact[3]);
  if (check < 2 || check > 98) return std::nullopt;
  // Move the first four characters to the end, read letters as 10..35, and
  // take the remainder modulo 97 piecewise.
  std::string rotated = compact.substr(4) + compact.substr(0, 4);
  int remainder = 0;
  for (char c : rotated) {
    if (IsDigit(c)) {
      remainder = (remainder * 10 + DigitValue(c)) % 97;
    } else {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    }
  }
  if (remainder != 1) return std::nullopt;
  return compact;
}

std::optional<std::string> Validate(Validator validator,
                                    std::string_view text) {
  switch (validator) {
    case Validator::kNone:
      return std::string(text);
    case Validator::kLuhn:
      return ValidateLuhn(text);
    case Validator::kUsSsn:
      return ValidateUsSsn(text);
    case Validator::kAba:
      return ValidateAba(text);
    case Validator::kIban:
      return ValidateIban(text);
  }
  return std::nullopt;
}

}  // namespace seal::rules
