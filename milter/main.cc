// sealmilter entry point: options, configuration, then the daemon.
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "lib/config.h"
#include "lib/gateway/policy.h"
#include "lib/snapshot.h"
#include "milter/daemon.h"
#include "milter/options.h"
#include "milter/reload.h"

int main(int argc, char** argv) {
  using namespace seal;
  using namespace seal::milter;
  // Before any thread exists, so every thread inherits the mask.
  if (Status s = BlockReloadSignal(); !s.ok()) {
    fprintf(stderr, "sealmilter: %s\n", s.message().c_str());
    return kExitOsError;
  }
  signal(SIGPIPE, SIG_IGN);

  Result<Options> options =
      ParseOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    fprintf(stderr, "sealmilter: %s\n%s", options.status().message().c_str(),
            UsageText().c_str());
    return kExitUsage;
  }
  if (options->help) {
    fputs(UsageText().c_str(), stdout);
    return kExitOk;
  }
  if (options->version) {
    printf("sealmilter %s\n", SEALMILTER_VERSION);
    return kExitOk;
  }
  ConfigSource source;
  if (!options->config_path.empty()) {
    source.path = options->config_path;
    source.required = true;
    // The daemon changes directory to "/": a relative path would make every
    // later SIGUSR1 reload fail.
    if (source.path[0] != '/') {
      char cwd[PATH_MAX];
      if (getcwd(cwd, sizeof cwd) != nullptr) {
        source.path = std::string(cwd) + "/" + source.path;
      }
    }
  }
  Result<Config> config = LoadConfig(source);
  if (!config.ok()) {
    fprintf(stderr, "sealmilter: %s\n", config.status().message().c_str());
    return kExitConfig;
  }
  if (options->print_config) {
    fputs(RenderConfig(*config).c_str(), stdout);
    return kExitOk;
  }
  // Rules, networks and templates are part of the configuration: a bad rule
  // file stops start-up (and -t) with its file:line.
  Result<std::shared_ptr<const gateway::Policy>> policy =
      gateway::BuildPolicy(*config);
  if (!policy.ok()) {
    fprintf(stderr, "sealmilter: %s\n", policy.status().message().c_str());
    return kExitConfig;
  }
  if (options->check_config) {
    printf("sealmilter: configuration OK (%s)\n", config->source.c_str());
    return kExitOk;
  }
  return RunDaemon(*options, source, std::move(config).value(),
                   std::move(policy).value());
}
