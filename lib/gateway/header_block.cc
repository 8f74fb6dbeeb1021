// Splitting a spooled message into raw header fields and body (see
// lib/gateway/header_block.h).
#include "lib/gateway/header_block.h"

#include <map>

#include "lib/crypto/mime_frame.h"

namespace seal::gateway {
namespace {

size_t LineEnd(std::string_view s, size_t from) {
  size_t nl = s.find('\n', from);
  return nl == std::string_view::npos ? s.size() : nl + 1;
}

std::string Unfold(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\r' || c == '\n') continue;
    out += c;
  }
  size_t b = out.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = out.find_last_not_of(" \t");
  return out.substr(b, e - b + 1);
}

}  // namespace

MessageParts SplitMessage(std::string_view message) {
  MessageParts parts;
  std::map<std::string, int> seen;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = LineEnd(message, pos);
    std::string_view line = message.substr(pos, end - pos);
    if (line == "\r\n" || line == "\n") {
      parts.body = message.substr(end);
      return parts;
    }
    size_t colon = line.find(':');
    bool field = colon != std::string_view::npos && colon > 0 &&
                 line.find_first_of(" \t") > colon;
    if (!field) {
      parts.body = message.substr(pos);
      return parts;
    }
    size_t field_end = end;
    while (field_end < message.size() &&
           (message[field_end] == ' ' || message[field_end] == '\t')) {
      field_end = LineEnd(message, field_end);
    }
    RawField f;
    f.raw = message.substr(pos, field_end - pos);
    f.name = line.substr(0, colon);
    f.value =
        Unfold(message.substr(pos + colon + 1, field_end - pos - colon - 1));
    f.occurrence = ++seen[crypto::ToLowerAscii(f.name)];
    parts.fields.push_back(std::move(f));
    pos = field_end;
  }
  parts.body = message.substr(message.size());
  return parts;
}

const RawField* FindField(const MessageParts& m, std::string_view name) {
  for (const RawField& f : m.fields) {
    if (crypto::EqualsIgnoreCase(f.name, name)) return &f;
  }
  return nullptr;
}

bool IsContentField(std::string_view name) {
  return name.size() > 8 &&
         crypto::EqualsIgnoreCase(name.substr(0, 8), "content-");
}

}  // namespace seal::gateway
