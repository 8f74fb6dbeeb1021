// Command-line options of the sealmilter daemon.
#ifndef SEALMILTER_MILTER_OPTIONS_H_
#define SEALMILTER_MILTER_OPTIONS_H_

#include <string>
#include <vector>

#include "lib/status.h"

namespace seal::milter {

struct Options {
  std::string config_path;    // -c; empty: the default path, optional
  bool foreground = false;    // -f
  bool log_stderr = false;    // -e
  bool check_config = false;  // -t
  bool print_config = false;  // -p
  bool version = false;       // -V
  bool help = false;          // -h
};

// Exit codes (sysexits.h values, spelled out so the man page can cite them).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitOsError = 71;
inline constexpr int kExitConfig = 78;

// Parses argv (without argv[0]). Unknown options and stray arguments are
// kInvalidArgument errors naming the offender.
Result<Options> ParseOptions(const std::vector<std::string>& args);

std::string UsageText();

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_OPTIONS_H_
