// What toml++ tells about a position and a node, in the words sealmilter's
// error messages use: "file:line:column" and "floating-point number".
// Shared by the config loader and the rule loader so both report alike.
// Include only where toml++ is already used (its header is heavy).
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_TOML_ERRORS_H_
#define SEALMILTER_LIB_TOML_ERRORS_H_

#include <toml++/toml.h>

#include <string>
#include <string_view>

namespace seal {

// "SOURCE:LINE:COLUMN" of the start of `region`.
std::string TomlPosition(std::string_view source,
                         const toml::source_region& region);

// "table", "array", "string", "integer", "floating-point number", ...
std::string_view TomlNodeTypeName(const toml::node& node);

}  // namespace seal

#endif  // SEALMILTER_LIB_TOML_ERRORS_H_
