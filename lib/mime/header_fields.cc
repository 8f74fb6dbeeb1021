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
  std::string out;
  out.reserve(raw_value.size());
  for (char c : raw_value) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  size_t b = 0;
  while (b < out.size() && (out[b] == ' ' || out[b] == '\t')) ++b;
  size_t e = out.size();
  while (e > b && (out[e - 1] == ' ' || out[e - 1] == '\t')) --e;
  return out.substr(b, e - b);
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
