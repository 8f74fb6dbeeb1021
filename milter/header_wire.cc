// Header values on the milter wire (see milter/header_wire.h).
#include "milter/header_wire.h"

namespace seal::milter {

std::string WireValue(std::string_view value) {
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
    value.remove_suffix(1);
  }
  std::string out = " ";
  out.reserve(value.size() + 1);
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
    if (c == '\n') {
      out += '\n';
      const char next = value[i + 1];  // exists: no break at the end
      if (next != ' ' && next != '\t') out += ' ';
      continue;
    }
    out += (c == '\r' || c == '\0') ? ' ' : c;
  }
  return out;
}

}  // namespace seal::milter
