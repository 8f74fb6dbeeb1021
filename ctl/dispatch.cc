// sealctl argument dispatch and usage text.
#include <string>

#include "ctl/command.h"

namespace seal::ctl {
namespace {

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group : {ConfigCommands, RulesCommands, CertCommands,
                     EnvelopeCommands, PortalKeyCommands, EnvelopeAdminCommands,
                     QuarantineCommands, PassphraseCommands}) {
    for (Command& c : group()) all.push_back(std::move(c));
  }
  return all;
}

void PrintUsage(FILE* f) {
  fprintf(f, "usage: sealctl COMMAND [ARGS]\n\ncommands:\n");
  for (const Command& c : AllCommands()) {
    std::string head = std::string(c.group) + " " + std::string(c.verb) + " " +
                       std::string(c.args);
    fprintf(f, "  %-34s %.*s\n", head.c_str(), static_cast<int>(c.help.size()),
            c.help.data());
  }
  fprintf(f, "  %-34s %s\n", "version", "print the version");
}

}  // namespace

int RunSealctl(const std::vector<std::string>& args, CommandIo& io) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help" ||
      args[0] == "help") {
    PrintUsage(args.empty() ? io.err : io.out);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "version" || args[0] == "-V" || args[0] == "--version") {
    fprintf(io.out, "sealctl %s\n", SEALMILTER_VERSION);
    return kExitOk;
  }
  if (args.size() < 2) {
    fprintf(io.err, "sealctl: '%s' needs a subcommand\n", args[0].c_str());
    PrintUsage(io.err);
    return kExitUsage;
  }
  for (const Command& c : AllCommands()) {
    if (c.group == args[0] && c.verb == args[1]) {
      return c.run(std::vector<std::string>(args.begin() + 2, args.end()), io);
    }
  }
  fprintf(io.err, "sealctl: unknown command '%s %s'\n", args[0].c_str(),
          args[1].c_str());
  PrintUsage(io.err);
  return kExitUsage;
}

}  // namespace seal::ctl
