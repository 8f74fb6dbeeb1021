// sealportal's built-in files (portal/assets/*, portal/locales/*), compiled
// into the binary by lib/envelope/embed_files.py at build time.
#ifndef SEALMILTER_PORTAL_EMBEDDED_FILES_H_
#define SEALMILTER_PORTAL_EMBEDDED_FILES_H_

#include <span>
#include <string_view>

namespace seal::portal {

struct EmbeddedFile {
  std::string_view path;  // relative to portal/: "assets/portal.css"
  std::string_view data;
};

// Sorted by path. Defined in the generated portal_embedded.cc.
std::span<const EmbeddedFile> EmbeddedPortalFiles();

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_EMBEDDED_FILES_H_
