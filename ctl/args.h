// What a sealctl subcommand is given on its command line, and how it
// complains: the options it takes (flags, `--opt VALUE`, `--opt=VALUE`,
// repeated options), its positional arguments, the usage error printed when
// they are wrong, and the one-line "sealctl CMD: problem" every command
// prints on failure. -c FILE, taken by most commands, means a configuration
// file (ConfigSourceFrom).
//
// Rules: an argument that starts with '-' and is longer than "-" is an
// option, up to a lone "--", after which everything is positional. Only a
// long option ("--name=value") can carry its value inline; "-c=x" is an
// unknown option. A value option takes the next argument whatever it looks
// like ("--store --json" sets --store to "--json"). Given twice, a value
// option keeps both values (Values) and Value is the last one; a flag given
// twice is the same as once, and a flag with "=value" is unknown.
// Text from the command line and from errors is printed with control
// characters replaced by '?' (Printable).
// Thread-safety: plain values and functions; no shared state.
#ifndef SEALMILTER_CTL_ARGS_H_
#define SEALMILTER_CTL_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/command.h"
#include "lib/snapshot.h"
#include "lib/status.h"

namespace seal::ctl {

// max_positional for a command taking any number of positional arguments.
inline constexpr size_t kAnyNumber = SIZE_MAX;

// What one subcommand accepts.
struct ArgSpec {
  std::string_view command;  // "certs import", for messages
  std::string_view usage;    // "[-c FILE] [--store PATH] FILE..."
  std::vector<std::string_view> value_options;  // "-c", "--store", ...
  std::vector<std::string_view> flag_options;   // "--json", ...
  size_t min_positional = 0;
  size_t max_positional = 0;  // or kAnyNumber
};

// A parsed command line (ParseArgs).
class Args {
 public:
  // Whether the option (flag or value option) was given.
  bool Has(std::string_view name) const;
  // The last value given for a value option, else `fallback`.
  std::string Value(std::string_view name,
                    std::string_view fallback = {}) const;
  // Every value given for a value option, in command-line order.
  std::vector<std::string> Values(std::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend Result<Args> ParseArgs(const std::vector<std::string>& argv,
                                const ArgSpec& spec);
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::set<std::string, std::less<>> flags_;
  std::vector<std::string> positional_;
};

// Parses `argv` (the arguments after the verb). On a usage mistake returns
// kInvalidArgument with the problem as message: "unknown option '--x'",
// "option --store needs a value", "missing argument" or "unexpected
// argument 'x'" (raw text; UsageError makes it printable).
Result<Args> ParseArgs(const std::vector<std::string>& argv,
                       const ArgSpec& spec);

// ParseArgs that prints the UsageError of a mistake and returns nullopt
// (the command then returns kExitUsage).
std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv,
                                 const ArgSpec& spec, CommandIo& io);

// Prints "sealctl CMD: PROBLEM" and "usage: sealctl CMD USAGE" to io.err;
// returns kExitUsage.
int UsageError(const ArgSpec& spec, std::string_view problem, CommandIo& io);

// Prints "sealctl COMMAND: MESSAGE" to io.err; returns `code`.
int Fail(CommandIo& io, std::string_view command, const Status& status,
         int code = kExitFailure);

// The configuration -c names (that file, which must exist), else the
// default file when there is one.
ConfigSource ConfigSourceFrom(const Args& args);

// Text safe for a terminal: control bytes (below 0x20, and 0x7f) become '?'.
std::string Printable(std::string_view s);

}  // namespace seal::ctl

#endif  // SEALMILTER_CTL_ARGS_H_
