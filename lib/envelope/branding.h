// Branding: organisation name, link, support contact, accent colour and logo
// shown on the envelope page and in the notifications. Read from
// branding.txt (built in, or in the admin's template directory) with
// "key = value" lines; the logo is a file next to it.
//
// Keys: organization, link (https:// or http:// URL), support (address or
// URL), accent (#rgb or #rrggbb), logo (file name in the same directory:
// .png, .jpg/.jpeg, .gif or .svg, at most 256 KiB). Unknown keys are errors.
// Limits: SVG logos are used on the page only (many mail clients do not
// show SVG), so the notifications carry a logo only when it is PNG, JPEG or
// GIF.
#ifndef SEALMILTER_LIB_ENVELOPE_BRANDING_H_
#define SEALMILTER_LIB_ENVELOPE_BRANDING_H_

#include <functional>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::envelope {

inline constexpr size_t kMaxLogoSize = 256 * 1024;

struct Branding {
  std::string organization;
  std::string link;
  std::string support;
  std::string accent = "#1f5f99";
  std::string logo_type;  // MIME type, "" = no logo
  std::string logo_data;  // raw bytes

  // "data:image/png;base64,..." or "".
  std::string LogoDataUri() const;
  // True when the logo suits mail clients (PNG, JPEG, GIF).
  bool LogoForMail() const;
};

// Reads a logo file by name (relative to the branding file's directory).
using FileReader = std::function<Result<std::string>(std::string_view)>;

Result<Branding> ParseBranding(std::string_view text,
                               std::string_view file_name,
                               const FileReader& read_file);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_BRANDING_H_
