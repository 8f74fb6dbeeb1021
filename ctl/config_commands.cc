// sealctl config check|show|keys: validate a config file, print the
// effective configuration, list every key with type, default and reload
// behaviour (from the schema, the same table the daemon uses).
#include <memory>
#include <string>

#include "ctl/command.h"
#include "lib/config_schema.h"
#include "lib/gateway/policy.h"
#include "lib/snapshot.h"

namespace seal::ctl {
namespace {

// Accepts "[-c FILE]"; returns false (after printing) on bad arguments.
bool ParseConfigArg(const std::vector<std::string>& args, ConfigSource& source,
                    CommandIo& io) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-c" && i + 1 < args.size()) {
      source.path = args[++i];
      source.required = true;
    } else {
      fprintf(io.err, "sealctl: unexpected argument '%s' (usage: [-c FILE])\n",
              args[i].c_str());
      return false;
    }
  }
  return true;
}

int Check(const std::vector<std::string>& args, CommandIo& io) {
  ConfigSource source;
  if (!ParseConfigArg(args, source, io)) return kExitUsage;
  Result<Config> config = LoadConfig(source);
  if (!config.ok()) {
    fprintf(io.err, "%s\n", config.status().message().c_str());
    return kExitConfig;
  }
  // What sealmilter -t also loads: rules, networks, templates, portal
  // keys. A configuration whose rule file or templates the daemon refuses
  // is not OK.
  Result<std::shared_ptr<const gateway::Policy>> policy =
      gateway::BuildPolicy(*config);
  if (!policy.ok()) {
    fprintf(io.err, "%s\n", policy.status().message().c_str());
    return kExitConfig;
  }
  fprintf(io.out, "configuration OK (%s)\n", config->source.c_str());
  return kExitOk;
}

int Show(const std::vector<std::string>& args, CommandIo& io) {
  ConfigSource source;
  if (!ParseConfigArg(args, source, io)) return kExitUsage;
  Result<Config> config = LoadConfig(source);
  if (!config.ok()) {
    fprintf(io.err, "%s\n", config.status().message().c_str());
    return kExitConfig;
  }
  fputs(RenderConfig(*config).c_str(), io.out);
  return kExitOk;
}

int Keys(const std::vector<std::string>& args, CommandIo& io) {
  if (!args.empty()) {
    fprintf(io.err, "sealctl: config keys takes no arguments\n");
    return kExitUsage;
  }
  for (const KeyDef& def : Schema()) {
    std::string def_text = def.default_value.empty()
                               ? std::string("(empty)")
                               : std::string(def.default_value);
    fprintf(io.out, "%-22s %-9s %-38s %-8s %.*s\n",
            std::string(def.key).c_str(),
            std::string(ValueTypeName(def.type)).c_str(), def_text.c_str(),
            def.reloadable ? "reload" : "restart",
            static_cast<int>(def.doc.size()), def.doc.data());
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> ConfigCommands() {
  return {
      {"config", "check", "[-c FILE]", "check a configuration file", &Check},
      {"config", "show", "[-c FILE]", "print the effective configuration",
       &Show},
      {"config", "keys", "", "list every key: type, default, reload", &Keys},
  };
}

}  // namespace seal::ctl
