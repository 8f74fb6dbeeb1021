// Levenshtein distance, for "did you mean" suggestions on unknown config
// keys and rule file keys. Quadratic: meant for short names only.
// Thread-safety: pure function.
#ifndef SEALMILTER_LIB_EDIT_DISTANCE_H_
#define SEALMILTER_LIB_EDIT_DISTANCE_H_

#include <cstddef>
#include <string_view>

namespace seal {

size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace seal

#endif  // SEALMILTER_LIB_EDIT_DISTANCE_H_
