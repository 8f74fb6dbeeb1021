// The config schema: one table row per key (name, type, default, reloadable,
// doc line) and the conversion of TOML-like values into typed settings.
//
// The table is the single source of truth. sealmilter.conf(5) documents the
// same keys; tests/unit/config_doc_test.cc fails when the two disagree.
#ifndef SEALMILTER_LIB_CONFIG_SCHEMA_H_
#define SEALMILTER_LIB_CONFIG_SCHEMA_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/config.h"
#include "lib/status.h"

namespace seal {

enum class ValueType {
  kString,    // any string
  kBool,      // true / false
  kInteger,   // integer within KeyDef::min..max
  kSize,      // bytes: integer, or string with K/M/G suffix ("64M")
  kDuration,  // seconds: integer, or string with s/m/h/d suffix ("5m")
  kEnum,      // string, one of KeyDef::choices ("a|b|c")
  kMode,      // file mode: octal string such as "0660"
  kList,      // array of non-empty strings; as text, comma-separated
};

// A kList value is held in a Value as its items joined by this separator
// (items never contain it: list items are single-line by rule).
inline constexpr char kListSeparator = '\n';

// Splits a kList value into its items.
std::vector<std::string> SplitListValue(std::string_view joined);

// Name of a type as the man page and error messages spell it.
std::string_view ValueTypeName(ValueType type);

// A converted value: bool, integer (also sizes, durations, modes) or string.
using Value = std::variant<bool, int64_t, std::string>;

struct KeyDef {
  std::string_view key;            // dotted: "section.name"
  ValueType type;                  //
  std::string_view default_value;  // as an admin would write it in TOML
  bool reloadable;                 // applied by SIGUSR1 without restart
  std::string_view doc;            // one line
  std::string_view choices;        // kEnum only: "a|b|c"
  int64_t min;                     // kInteger/kSize/kDuration lower bound
  int64_t max;                     // and upper bound
  void (*set)(Config&, const Value&);
  Value (*get)(const Config&);
};

// All keys, in documentation order.
std::span<const KeyDef> Schema();

// The row for `key`, or nullptr.
const KeyDef* FindKey(std::string_view key);

// The schema key closest to an unknown `key` (for "did you mean"), or "".
std::string_view SuggestKey(std::string_view key);

// Converts a string as written by an admin ("64M", "0660", "true", "5m")
// into a value of the key's type, checking range and choices.
Result<Value> ParseValueText(const KeyDef& def, std::string_view text);

// Checks one item of a kList key (non-empty, single line).
Result<Value> ParseListItem(const KeyDef& def, std::string_view item);

// Converts an integer given in TOML (no quotes) into the key's type.
Result<Value> ParseValueInteger(const KeyDef& def, int64_t number);

// Renders a value the way the config file would spell it.
std::string RenderValue(const KeyDef& def, const Value& value);

}  // namespace seal

#endif  // SEALMILTER_LIB_CONFIG_SCHEMA_H_
