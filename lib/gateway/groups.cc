// Recipient grouping by treatment (see lib/gateway/groups.h).
#include "lib/gateway/groups.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "lib/mime/address_list.h"

namespace seal::gateway {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Method MethodFor(const RecipientFacts& f) {
  switch (f.action) {
    case rules::FinalAction::kEncrypt:
      if (f.has_certificate) return Method::kSmime;
      return f.tls != TlsLevel::kNone ? Method::kTls : Method::kEnvelope;
    case rules::FinalAction::kEncryptIfPossible:
      return f.has_certificate ? Method::kSmime : Method::kClear;
    default:
      return Method::kClear;
  }
}

}  // namespace

std::string_view MethodName(Method m) {
  switch (m) {
    case Method::kClear:
      return "clear";
    case Method::kSmime:
      return "smime";
    case Method::kTls:
      return "tls";
    case Method::kEnvelope:
      return "envelope";
  }
  return "?";
}

std::string_view TlsLevelName(TlsLevel t) {
  switch (t) {
    case TlsLevel::kNone:
      return "none";
    case TlsLevel::kRequired:
      return "required";
    case TlsLevel::kPreferred:
      return "preferred";
  }
  return "?";
}

std::vector<Group> GroupRecipients(const std::vector<RecipientFacts>& facts) {
  std::vector<Group> groups;
  for (size_t i = 0; i < facts.size(); ++i) {
    const RecipientFacts& f = facts[i];
    Method method = MethodFor(f);
    // Clear and S/MIME messages may be signed; the envelope has no
    // signature layer, and a TLS group goes as it came.
    bool sign =
        f.sign && (method == Method::kClear || method == Method::kSmime);
    // Over TLS the message is the clear one: nobody is named to others.
    bool bcc =
        (method == Method::kSmime || method == Method::kEnvelope) && !f.visible;
    TlsLevel tls = method == Method::kTls ? f.tls : TlsLevel::kNone;
    Group* into = nullptr;
    if (!bcc) {
      for (Group& g : groups) {
        if (!g.bcc && g.method == method && g.sign == sign && g.tls == tls) {
          into = &g;
        }
      }
    }
    if (into == nullptr) {
      groups.push_back(Group{method, sign, bcc, tls, {}, {}});
      into = &groups.back();
    }
    into->members.push_back(i);
    into->recipients.push_back(f.address);
  }
  std::stable_sort(
      groups.begin(), groups.end(), [](const Group& a, const Group& b) {
        return std::make_tuple(a.method, a.sign, a.bcc, a.members.front()) <
               std::make_tuple(b.method, b.sign, b.bcc, b.members.front());
      });
  return groups;
}

void SplitEnvelopeGroups(std::vector<Group>& groups) {
  std::vector<Group> out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    if (g.method != Method::kEnvelope || g.recipients.size() < 2) {
      out.push_back(std::move(g));
      continue;
    }
    for (size_t i = 0; i < g.recipients.size(); ++i) {
      out.push_back(Group{
          g.method, g.sign, g.bcc, g.tls, {g.members[i]}, {g.recipients[i]}});
    }
  }
  groups = std::move(out);
}

size_t PickInPlace(const std::vector<Group>& groups) {
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].method == Method::kClear && !groups[i].sign) return i;
  }
  size_t best = 0;
  for (size_t i = 1; i < groups.size(); ++i) {
    if (groups[i].members.size() > groups[best].members.size()) best = i;
  }
  return best;
}

std::vector<std::string> VisibleAddresses(
    const std::vector<std::string_view>& field_values) {
  std::vector<std::string> out;
  for (std::string_view v : field_values) {
    for (const std::string& a : mime::ParseAddressList(v)) {
      out.push_back(Lower(a));
    }
  }
  return out;
}

bool IsVisible(const std::vector<std::string>& visible,
               std::string_view address) {
  std::string a = Lower(address);
  return std::find(visible.begin(), visible.end(), a) != visible.end();
}

}  // namespace seal::gateway
