// Mailbox addresses out of an address header (From, To, Cc, ...), RFC 5322
// address-list syntax: display names, quoted strings, nested comments,
// <angle-addr> with obsolete source routes, groups ("team: a@x, b@y;").
// Returns addr-specs as written (no case folding), without display names.
//
// Lenient: a missing '>' or '"' runs to the end; a bare word without '@' is
// returned only when it is the whole mailbox ("postmaster"); encoded-words
// in display names are ignored (they never hold the address). One linear
// pass, no recursion. Pure and thread-safe.
#ifndef SEALMILTER_LIB_MIME_ADDRESS_LIST_H_
#define SEALMILTER_LIB_MIME_ADDRESS_LIST_H_

#include <string>
#include <string_view>
#include <vector>

namespace seal::mime {

// `value` is the unfolded header value (raw bytes). The returned strings are
// raw bytes too; the caller makes them valid UTF-8.
std::vector<std::string> ParseAddressList(std::string_view value);
// Same, appending to `out` (a caller reading many fields reuses one vector).
void ParseAddressList(std::string_view value, std::vector<std::string>& out);

// Strips "<" ">" and surrounding spaces from an SMTP path ("<a@b>" -> "a@b").
std::string StripAngleBrackets(std::string_view path);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_ADDRESS_LIST_H_
