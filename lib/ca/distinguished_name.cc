// RFC 4514 string → X509_NAME.
#include "lib/ca/distinguished_name.h"

#include <openssl/objects.h>

#include <string>
#include <utility>
#include <vector>

namespace seal::ca {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Status Error(size_t pos, const std::string& what) {
  return InvalidArgumentError("distinguished name, at offset " +
                              std::to_string(pos) + ": " + what);
}

}  // namespace

Result<store::X509NamePtr> ParseDistinguishedName(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> rdns;
  size_t i = 0;
  while (i < text.size()) {
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) return Error(i, "expected TYPE=value");
    std::string type(Trim(text.substr(i, eq - i)));
    if (type.empty()) return Error(i, "empty attribute type");
    std::string value;
    size_t j = eq + 1;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j < text.size() && text[j] == '#') {
      return Error(j, "#hex values are not supported");
    }
    size_t kept = 0;  // length of value up to the last escaped character
    for (; j < text.size() && text[j] != ','; ++j) {
      char c = text[j];
      if (c == '+') return Error(j, "multi-valued RDNs are not supported");
      if (c == '\\') {
        if (j + 1 >= text.size()) return Error(j, "dangling backslash");
        int hi = HexValue(text[j + 1]);
        int lo = j + 2 < text.size() ? HexValue(text[j + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          value.push_back(static_cast<char>((hi << 4) | lo));
          j += 2;
        } else {
          value.push_back(text[j + 1]);
          j += 1;
        }
        kept = value.size();
        continue;
      }
      value.push_back(c);
    }
    while (value.size() > kept && value.back() == ' ') value.pop_back();
    if (value.empty()) return Error(eq, "empty value for " + type);
    rdns.emplace_back(std::move(type), std::move(value));
    i = j + 1;  // past the ',' (or the end)
    if (j < text.size() && i >= text.size()) {
      return Error(j, "trailing ','");
    }
  }
  if (rdns.empty()) return InvalidArgumentError("distinguished name is empty");

  store::X509NamePtr name(X509_NAME_new());
  if (name == nullptr) return store::OpenSslError("cannot allocate a name");
  // RFC 4514 writes the last RDN of the sequence first.
  for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
    if (OBJ_txt2nid(it->first.c_str()) == NID_undef) {
      store::ClearOpenSslErrors();
      return InvalidArgumentError(
          "distinguished name: unknown attribute type '" + it->first + "'");
    }
    Result<int> len = store::OpenSslLength(it->second.size());
    if (!len.ok()) return len.status();
    if (X509_NAME_add_entry_by_txt(name.get(), it->first.c_str(), MBSTRING_UTF8,
                                   store::Bytes(it->second), *len, -1,
                                   0) != 1) {
      return store::OpenSslError(
          "distinguished name: bad value for " + it->first,
          StatusCode::kInvalidArgument);
    }
  }
  return name;
}

}  // namespace seal::ca
