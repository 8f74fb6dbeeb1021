// Reading a small text file (config, rule file) whole, with a size cap:
// at most cap + 1 bytes are read, so the caller's parser can report an
// oversized file instead of silently using a prefix.
// Errors: kNotFound when the file does not exist, kInvalidArgument when it
// is not a regular file, kIoError for other open/read failures; messages
// name `what` and the path ("cannot open config file /etc/...: ...").
// Thread-safety: reentrant.
#ifndef SEALMILTER_LIB_FILE_READ_H_
#define SEALMILTER_LIB_FILE_READ_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal {

Result<std::string> ReadRegularFile(const std::string& path, uint64_t cap,
                                    std::string_view what);

}  // namespace seal

#endif  // SEALMILTER_LIB_FILE_READ_H_
