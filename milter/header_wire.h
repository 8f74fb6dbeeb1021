// The wire form of a header value handed to smfi_addheader/chgheader: the
// one place an EditPlan's values meet the MTA, so the one place that makes
// sure a value cannot become more than one header field.
#ifndef SEALMILTER_MILTER_HEADER_WIRE_H_
#define SEALMILTER_MILTER_HEADER_WIRE_H_

#include <string>
#include <string_view>

namespace seal::milter {

// A leading space, folds as libmilter and both MTAs write them ("\n" then
// white space). CRLF becomes LF; a line break not followed by white space
// gets a space, so it stays a fold; a bare CR (some clients and MTAs take
// it for a line break) and NUL (end of a C string) become a space; line
// breaks at the end are dropped.
std::string WireValue(std::string_view value);

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_HEADER_WIRE_H_
