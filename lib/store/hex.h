// Hex encoding for fingerprints, serials and key identifiers.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_STORE_HEX_H_
#define SEALMILTER_LIB_STORE_HEX_H_

#include <optional>
#include <string>
#include <string_view>

namespace seal::store {

// Lower-case hex of `bytes`.
std::string HexLower(std::string_view bytes);

// Bytes of an even-length hex string (either case); nullopt otherwise.
std::optional<std::string> HexDecode(std::string_view hex);

// True when `s` is non-empty and only [0-9a-f].
bool IsLowerHex(std::string_view s);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_HEX_H_
