// Header edits applied to a header block (see lib/gateway/render.h).
#include "lib/gateway/render.h"

#include "lib/crypto/mime_frame.h"

namespace seal::gateway {
namespace {

struct Field {
  std::string name;
  std::string raw;  // the whole field with its CRLF
};

// "Name: value" with every line end of `value` (CRLF, CR or LF) as CRLF.
std::string FieldBytes(const std::string& name, const std::string& value) {
  std::string out = name + ": ";
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\r') {
      if (i + 1 < value.size() && value[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  out += "\r\n";
  return out;
}

// Index of the n-th (1-based) field called `name`, or fields.size().
size_t Find(const std::vector<Field>& fields, const std::string& name, int n) {
  int seen = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (crypto::EqualsIgnoreCase(fields[i].name, name) && ++seen == n) {
      return i;
    }
  }
  return fields.size();
}

}  // namespace

std::string RenderHeaderBlock(const MessageParts& message,
                              const std::vector<HeaderEdit>& edits) {
  std::vector<Field> fields;
  fields.reserve(message.fields.size() + edits.size());
  for (const RawField& f : message.fields) {
    std::string raw(f.raw);
    if (raw.size() < 2 || raw.compare(raw.size() - 2, 2, "\r\n") != 0) {
      raw += "\r\n";
    }
    fields.push_back(Field{std::string(f.name), std::move(raw)});
  }
  for (const HeaderEdit& e : edits) {
    size_t at = e.kind == HeaderEdit::Kind::kAdd
                    ? fields.size()
                    : Find(fields, e.name, e.occurrence);
    switch (e.kind) {
      case HeaderEdit::Kind::kDelete:
        if (at < fields.size()) {
          fields.erase(fields.begin() + static_cast<ptrdiff_t>(at));
        }
        break;
      case HeaderEdit::Kind::kChange:
        if (at < fields.size()) {
          fields[at] = Field{e.name, FieldBytes(e.name, e.value)};
        } else {
          fields.push_back(Field{e.name, FieldBytes(e.name, e.value)});
        }
        break;
      case HeaderEdit::Kind::kAdd:
        fields.push_back(Field{e.name, FieldBytes(e.name, e.value)});
        break;
    }
  }
  std::string out;
  for (const Field& f : fields) out += f.raw;
  out += "\r\n";
  return out;
}

}  // namespace seal::gateway
