// Distinguished names as written in config: RFC 4514 strings such as
// "CN=sealmilter CA,O=Example\, Inc.,C=DE", most specific first.
//
// Attribute types are OpenSSL short or long names (CN, O, OU, C, L, ST, DC,
// emailAddress, ...). A backslash escapes the next character, or two hex
// digits give one byte. Spaces around types and unescaped values are
// trimmed. Values are UTF-8. Known limits: multi-valued RDNs ('+') and
// "#hex" BER values are refused.
// Thread-safety: pure functions.
#ifndef SEALMILTER_LIB_CA_DISTINGUISHED_NAME_H_
#define SEALMILTER_LIB_CA_DISTINGUISHED_NAME_H_

#include <string_view>

#include "lib/status.h"
#include "lib/store/openssl_util.h"

namespace seal::ca {

// kInvalidArgument with the position of the problem.
Result<store::X509NamePtr> ParseDistinguishedName(std::string_view text);

}  // namespace seal::ca

#endif  // SEALMILTER_LIB_CA_DISTINGUISHED_NAME_H_
