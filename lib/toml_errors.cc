// Positions and node type names for TOML errors (see lib/toml_errors.h).
#include "lib/toml_errors.h"

namespace seal {

std::string TomlPosition(std::string_view source,
                         const toml::source_region& region) {
  std::string out(source);
  out += ':';
  out += std::to_string(region.begin.line);
  out += ':';
  out += std::to_string(region.begin.column);
  return out;
}

std::string_view TomlNodeTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "floating-point number";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      return "nothing";
  }
  return "unknown";
}

}  // namespace seal
