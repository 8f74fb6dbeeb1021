// libFuzzer target for the configuration parser: arbitrary bytes as a
// sealmilter.conf. A config that parses must render (sealmilter -p) into
// text that parses again to the same rendering; an error must be a parse
// or argument error with a message, never a crash, hang or exception.
// Seeds: tests/fuzz/corpus/config/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  seal::Result<seal::Config> c = seal::ParseConfig(text, "fuzz.conf");
  if (!c.ok()) {
    if (c.status().message().empty()) std::abort();
    return 0;
  }
  std::string rendered = seal::RenderConfig(*c);
  seal::Result<seal::Config> again = seal::ParseConfig(rendered, "fuzz.conf");
  if (!again.ok()) std::abort();
  if (seal::RenderConfig(*again) != rendered) std::abort();
  return 0;
}
