// sealctl's command table: each subcommand group ("config", later "rules",
// "certs", "keys", "quarantine", "envelope") registers its verbs here.
#ifndef SEALMILTER_CTL_COMMAND_H_
#define SEALMILTER_CTL_COMMAND_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace seal::ctl {

// Exit codes shared by all sealctl commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the checked thing is bad
inline constexpr int kExitUsage = 64;
inline constexpr int kExitConfig = 78;

struct CommandIo {
  FILE* in = stdin;  // `passphrase set --stdin`
  FILE* out = stdout;
  FILE* err = stderr;
};

struct Command {
  std::string_view group;  // "config"
  std::string_view verb;   // "check"
  std::string_view args;   // "[-c FILE]" for help
  std::string_view help;   // one line
  int (*run)(const std::vector<std::string>& args, CommandIo& io);
};

// The commands of the "config" group (ctl/config_commands.cc).
std::vector<Command> ConfigCommands();
// "rules check|test" (ctl/rules_commands.cc).
std::vector<Command> RulesCommands();
// "certs ...", "keys ...", "ca ..." (ctl/cert_commands.cc).
std::vector<Command> CertCommands();
// "envelope open|make" (ctl/envelope_commands.cc).
std::vector<Command> EnvelopeCommands();
// "envelope keygen|keys": the portal key file (ctl/portal_key_commands.cc).
std::vector<Command> PortalKeyCommands();
// "envelope list|show|revoke|expire|audit" (ctl/envelope_admin_commands.cc).
std::vector<Command> EnvelopeAdminCommands();
// "quarantine list|show|release|delete" (ctl/quarantine_commands.cc).
std::vector<Command> QuarantineCommands();
// "passphrase list|show|set|delete": envelope recipients' personal
// passphrases (ctl/passphrase_commands.cc).
std::vector<Command> PassphraseCommands();

// Dispatches argv (without argv[0]); prints usage on errors.
int RunSealctl(const std::vector<std::string>& args, CommandIo& io);

}  // namespace seal::ctl

#endif  // SEALMILTER_CTL_COMMAND_H_
