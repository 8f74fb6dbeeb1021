// The top-level header block of a spooled message as the rewriters need it:
// each field with its exact bytes (folds included), its name, its unfolded
// value and its occurrence number among fields of the same name (what
// smfi_chgheader's index counts), plus the body that follows.
// The spool holds what the milter layer wrote: "Name:value" lines ending in
// CRLF, an empty line, the body.
// Known limit: a line that is neither a field nor a continuation ends the
// header block there (as MTAs treat it), the rest is body.
// Thread-safety: plain values; the views point into the caller's bytes.
#ifndef SEALMILTER_LIB_GATEWAY_HEADER_BLOCK_H_
#define SEALMILTER_LIB_GATEWAY_HEADER_BLOCK_H_

#include <string>
#include <string_view>
#include <vector>

namespace seal::gateway {

struct RawField {
  std::string_view raw;   // "Name: value\r\n\tmore\r\n"
  std::string_view name;  // "Name"
  std::string value;      // unfolded, surrounding white space removed
  int occurrence = 1;     // 1 for the first field of this name (any case)
};

struct MessageParts {
  std::vector<RawField> fields;
  std::string_view body;  // after the empty line
};

MessageParts SplitMessage(std::string_view message);

// The first field called `name` (case-insensitive), or null.
const RawField* FindField(const MessageParts& m, std::string_view name);

bool IsContentField(std::string_view name);  // Content-* (any case)

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_HEADER_BLOCK_H_
