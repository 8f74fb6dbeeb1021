// Validators: checks a candidate match must pass before it counts, for the
// number formats a regular expression cannot verify (checksums, reserved
// ranges). Each returns the canonical form of a valid value (digits only, or
// an upper-case IBAN without spaces), which the engine uses to count
// distinct values; std::nullopt means "not a valid value".
//
// Spaces and hyphens between digits are ignored; any other character fails.
// Known limits: the checks are structural. A well-formed number that was
// never issued (an unassigned SSN area, an unused card range) still passes,
// and the IBAN country table is the SWIFT registry as of 2024.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_RULES_VALIDATORS_H_
#define SEALMILTER_LIB_RULES_VALIDATORS_H_

#include <optional>
#include <string>
#include <string_view>

#include "lib/rules/rule.h"

namespace seal::rules {

// Payment card: 13 to 19 digits, Luhn checksum, not all one digit.
std::optional<std::string> ValidateLuhn(std::string_view text);

// US SSN AAA-GG-SSSS: 9 digits; area not 000, 666 or 900-999; group not 00;
// serial not 0000.
std::optional<std::string> ValidateUsSsn(std::string_view text);

// ABA routing number: 9 digits; first two digits 00-12, 21-32, 61-72 or 80;
// 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) divisible by 10; not all zero.
std::optional<std::string> ValidateAba(std::string_view text);

// IBAN: known country code with its registered length, check digits 02-98,
// mod 97 == 1. Letters may be lower case; groups may be separated by single
// spaces. Text after the registered length is ignored when a space separates
// it (a greedy pattern may have run on into the next word).
std::optional<std::string> ValidateIban(std::string_view text);

// Dispatches on `validator`; kNone returns `text` unchanged.
std::optional<std::string> Validate(Validator validator, std::string_view text);

// Registered IBAN length for a two-letter country code, or 0.
int IbanLength(std::string_view country);

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_VALIDATORS_H_
