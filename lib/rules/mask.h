// MaskSample: turns the text of a match into a sample that is safe to show in
// sealctl output and logs ("***-**-6789"): every letter and digit except the
// last four is replaced by '*', every non-ASCII character by one '*', control
// characters and whitespace by one space; punctuation stays so the shape of
// the value is visible. Samples longer than kMaxSampleChars keep their tail
// behind a leading "...".
// Known limit: a short secret (four characters or fewer) is shown in full;
// rules should not match on such values alone.
// Thread-safety: pure function.
#ifndef SEALMILTER_LIB_RULES_MASK_H_
#define SEALMILTER_LIB_RULES_MASK_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace seal::rules {

inline constexpr size_t kMaxSampleChars = 40;
inline constexpr size_t kVisibleTail = 4;

std::string MaskSample(std::string_view match);

}  // namespace seal::rules

#endif  // SEALMILTER_LIB_RULES_MASK_H_
