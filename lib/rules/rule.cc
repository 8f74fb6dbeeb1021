// Names of rule actions, validators and directions (see lib/rules/rule.h).
#include "lib/rules/rule.h"

#include <array>

namespace seal::rules {
namespace {

constexpr std::array<std::string_view, kActionCount> kActionNames = {
    "encrypt", "sign",    "encrypt-if-possible", "no-encrypt",
    "plain",   "no-sign", "quarantine",          "reject"};

constexpr std::array<std::string_view, 5> kValidatorNames = {
    "", "luhn", "us_ssn", "aba", "iban"};

constexpr std::array<std::string_view, 3> kDirectionNames = {
    "outbound", "inbound", "internal"};

template <typename Enum, size_t N>
bool ParseName(const std::array<std::string_view, N>& names,
               std::string_view name, Enum& out) {
  if (name.empty()) return false;
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view ActionName(Action action) {
  return kActionNames[static_cast<size_t>(action)];
}

bool ParseAction(std::string_view name, Action& out) {
  return ParseName(kActionNames, name, out);
}

bool IsOptOut(Action action) {
  return action == Action::kNoEncrypt || action == Action::kPlain ||
         action == Action::kNoSign;
}

bool TakesProfile(Action action) {
  return action == Action::kEncrypt || action == Action::kEncryptIfPossible;
}

std::string_view ValidatorName(Validator validator) {
  return kValidatorNames[static_cast<size_t>(validator)];
}

bool ParseValidator(std::string_view name, Validator& out) {
  return ParseName(kValidatorNames, name, out);
}

std::string_view DirectionName(Direction direction) {
  return kDirectionNames[static_cast<size_t>(direction)];
}

bool ParseDirection(std::string_view name, Direction& out) {
  return ParseName(kDirectionNames, name, out);
}

}  // namespace seal::rules
