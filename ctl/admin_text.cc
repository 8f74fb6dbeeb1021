// Actor and timestamp text for the admin commands (see admin_text.h).
#include "ctl/admin_text.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "ctl/args.h"

namespace seal::ctl {

std::string Actor() {
  std::string name;
  if (struct passwd* pw = getpwuid(geteuid()); pw != nullptr) {
    name = pw->pw_name;
  } else {
    name = "uid " + std::to_string(geteuid());
  }
  const char* sudo = getenv("SUDO_USER");
  if (geteuid() == 0 && sudo != nullptr && *sudo != '\0') {
    name = Printable(sudo) + " (sudo)";
  }
  return "sealctl " + Printable(name);
}

std::string FormatUtc(int64_t t) {
  if (t == 0) return "-";
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  char buf[40] = "?";
  if (gmtime_r(&tt, &tm) != nullptr) {
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  }
  return buf;
}

}  // namespace seal::ctl
