// The envelope's built-in files (page template, script, styles, locale
// strings, notification templates, default branding), compiled into the
// binary from envelope/ by embed_files.py at build time.
#ifndef SEALMILTER_LIB_ENVELOPE_EMBEDDED_FILES_H_
#define SEALMILTER_LIB_ENVELOPE_EMBEDDED_FILES_H_

#include <span>
#include <string_view>

namespace seal::envelope {

struct EmbeddedFile {
  std::string_view path;  // relative to envelope/: "locales/en.txt"
  std::string_view data;
};

// Sorted by path. Defined in the generated embedded_files.cc.
std::span<const EmbeddedFile> EmbeddedEnvelopeFiles();

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_EMBEDDED_FILES_H_
