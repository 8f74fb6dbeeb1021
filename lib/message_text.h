// MessageText: the decoded text of one message, split by scope, built once per
// message by the MIME adapter (lib/mime/) and read by the rule engine
// (lib/rules/). This header is the contract between the two.
#ifndef SEALMILTER_LIB_MESSAGE_TEXT_H_
#define SEALMILTER_LIB_MESSAGE_TEXT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seal {

// Where a piece of text came from. Rules name the scopes they run on.
enum class Scope : uint8_t {
  kSubject = 0,     // Subject header, RFC 2047 decoded, UTF-8
  kHeaders,         // other headers, one item per header: "Name: value"
  kSender,          // envelope sender and From: addresses
  kRecipients,      // envelope recipients and To/Cc addresses
  kBody,            // text/plain and text/html (as text) body parts, UTF-8
  kAttachmentName,  // attachment file names (RFC 2231 / RFC 2047 decoded)
  kAttachmentText,  // text-like attachments, decoded to UTF-8
};
inline constexpr size_t kScopeCount = 7;

// Lower-case name used in rule files and logs: "subject", "attachment_name".
std::string_view ScopeName(Scope scope);
// Inverse of ScopeName; false when `name` is not a scope.
bool ParseScope(std::string_view name, Scope& out);

struct TextItem {
  std::string text;  // UTF-8 (invalid sequences replaced by U+FFFD)
  std::string
      origin;  // for reports: "header Sensitivity", "part 1.2 text/html"
};

struct MessageText {
  std::array<std::vector<TextItem>, kScopeCount> items;
  uint64_t bytes = 0;      // total bytes of text across all items
  bool truncated = false;  // some text was cut off: the per-message scan
                           // cap, a part's decode cap, a field's length
  std::vector<std::string> warnings;  // malformed input noticed ("bad base64
                                      // in part 1.3"), for logs and sealctl

  std::vector<TextItem>& at(Scope s) { return items[static_cast<size_t>(s)]; }
  const std::vector<TextItem>& at(Scope s) const {
    return items[static_cast<size_t>(s)];
  }
};

}  // namespace seal

#endif  // SEALMILTER_LIB_MESSAGE_TEXT_H_
