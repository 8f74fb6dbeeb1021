// ParseMultipartForm: multipart/form-data bodies (RFC 7578) as the JS-free
// "open online" form sends them, strictly: the boundary comes from the
// Content-Type, every part needs a Content-Disposition "form-data" with a
// name, a name may appear once, part headers are capped, and a body
// without its closing delimiter is an error. Values are kept as bytes.
// Thread-safety: a pure function.
#ifndef SEALMILTER_PORTAL_MULTIPART_H_
#define SEALMILTER_PORTAL_MULTIPART_H_

#include <string_view>

#include "lib/status.h"
#include "portal/web.h"

namespace seal::portal {

struct MultipartLimits {
  size_t max_parts = 8;
  size_t max_header_bytes = 2048;  // of one part's header block
  size_t max_name_bytes = 64;
};

// kInvalidArgument naming the problem; kResourceExhausted over a limit.
Result<FormFields> ParseMultipartForm(std::string_view content_type,
                                      std::string_view body,
                                      const MultipartLimits& limits = {});

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_MULTIPART_H_
