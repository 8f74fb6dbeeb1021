// Parsing sealmilter's command line (no getopt: it is global state and the
// option set is small).
#include "milter/options.h"

namespace seal::milter {

std::string UsageText() {
  return "usage: sealmilter [-c config] [-f] [-e] [-t] [-p] [-V] [-h]\n"
         "  -c FILE  configuration file (default /etc/sealmilter/"
         "sealmilter.conf;\n"
         "           when that file is absent, the embedded defaults)\n"
         "  -f       stay in the foreground\n"
         "  -e       log to standard error instead of syslog\n"
         "  -t       check the configuration and exit\n"
         "  -p       print the effective configuration and exit\n"
         "  -V       print the version and exit\n"
         "  -h       print this help and exit\n"
         "Reload the configuration with SIGUSR1.\n";
}

Result<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') {
      return InvalidArgumentError("unexpected argument '" + a + "'");
    }
    if (a == "--check-config") {
      o.check_config = true;
      continue;
    }
    if (a == "--foreground") {
      o.foreground = true;
      continue;
    }
    if (a == "--version") {
      o.version = true;
      continue;
    }
    if (a == "--help") {
      o.help = true;
      continue;
    }
    if (a[1] == '-') return InvalidArgumentError("unknown option '" + a + "'");
    // Bundled flags: "-fe"; -c takes the rest of the word or the next one.
    for (size_t j = 1; j < a.size(); ++j) {
      switch (a[j]) {
        case 'f':
          o.foreground = true;
          break;
        case 'e':
          o.log_stderr = true;
          break;
        case 't':
          o.check_config = true;
          break;
        case 'p':
          o.print_config = true;
          break;
        case 'V':
          o.version = true;
          break;
        case 'h':
          o.help = true;
          break;
        case 'c':
          if (j + 1 < a.size()) {
            o.config_path = a.substr(j + 1);
          } else if (i + 1 < args.size()) {
            o.config_path = args[++i];
          } else {
            return InvalidArgumentError("option -c needs a file name");
          }
          if (o.config_path.empty()) {
            return InvalidArgumentError("option -c needs a file name");
          }
          j = a.size();
          break;
        default:
          return InvalidArgumentError(std::string("unknown option '-") + a[j] +
                                      "'");
      }
    }
  }
  return o;
}

}  // namespace seal::milter
