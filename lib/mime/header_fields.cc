// Header field helpers (see header_fields.h).
#include "lib/mime/header_fields.h"

namespace seal::mime {

std::string_view FieldName(std::string_view message, const HeaderField& f) {
  return message.substr(f.begin, f.name_end - f.begin);
}

std::string_view FieldRawValue(std::string_view message, const HeaderField& f) {
  return message.substr(f.value_begin, f.value_end - f.value_begin);
}

std::string UnfoldValue(std::string_view raw_value) {
  // Dropping CR and LF, then trimming blanks, is trimming blanks, CR and LF,
  // then dropping the CR and LF inside: one copy, no second string.
  const auto edge = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  size_t b = 0, e = raw_value.size();
  while (b < e && edge(raw_value[b])) ++b;
  while (e > b && edge(raw_value[e - 1])) --e;
  std::string out(e - b, '\0');
  size_t w = 0;
  for (size_t i = b; i < e; ++i) {
    const char c = raw_value[i];
    if (c != '\r' && c != '\n') out[w++] = c;
  }
  out.resize(w);
  return out;
}

bool NameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

size_t FieldNameLength(std::string_view line, size_t* colon) {
  size_t i = 0;
  while (i < line.size()) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == ':' || c < 33 || c > 126) break;
    ++i;
  }
  const size_t name_len = i;
  if (name_len == 0) return 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size() || line[i] != ':') return 0;
  *colon = i;
  return name_len;
}

}  // namespace seal::mime
