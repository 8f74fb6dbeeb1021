// Header field helpers (see header_fields.h).
#include "lib/mime/header_fields.h"

namespace seal::mime {

std::string_view FieldName(std::string_view message, const HeaderField& f) {
  return message.substr(f.begin, f.name_end - f.begin);
}

std::string_view FieldRawValue(std::string_view message, const HeaderField& f) {
  return message.substr(f.value_begin, f.value_end - f.value_begin);
}

namespace {

bool FoldOrEdge(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The value without its leading and trailing blanks, CR and LF.
std::string_view Trimmed(std::string_view v) {
  size_t b = 0, e = v.size();
  while (b < e && FoldOrEdge(v[b])) ++b;
  while (e > b && FoldOrEdge(v[e - 1])) --e;
  return v.substr(b, e - b);
}

// Index of the first CR or LF at or after `from`, or v.size(). A plain
// loop: string_view::find_first_of calls memchr once per byte.
size_t NextLineBreak(std::string_view v, size_t from) {
  while (from < v.size() && v[from] != '\r' && v[from] != '\n') ++from;
  return from;
}

// Appends `v` without its CR and LF, copying the runs between them.
void AppendWithoutLineBreaks(std::string_view v, std::string& out) {
  size_t i = 0;
  while (i < v.size()) {
    const size_t end = NextLineBreak(v, i);
    out.append(v.data() + i, end - i);
    i = end + 1;
  }
}

}  // namespace

std::string UnfoldValue(std::string_view raw_value) {
  // Dropping CR and LF, then trimming blanks, is trimming blanks, CR and LF,
  // then dropping the CR and LF inside: one copy, no second string.
  std::string out;
  const std::string_view t = Trimmed(raw_value);
  out.reserve(t.size());
  AppendWithoutLineBreaks(t, out);
  return out;
}

std::string_view UnfoldedView(std::string_view raw_value,
                              std::string& storage) {
  const std::string_view t = Trimmed(raw_value);
  if (NextLineBreak(t, 0) == t.size()) return t;
  storage.clear();
  storage.reserve(t.size());
  AppendWithoutLineBreaks(t, storage);
  return storage;
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
