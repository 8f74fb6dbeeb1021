// The daemon's start-up sequence and main loop: logging, socket, detaching,
// pid file, privilege drop, reload thread, smfi_main.
#ifndef SEALMILTER_MILTER_DAEMON_H_
#define SEALMILTER_MILTER_DAEMON_H_

#include <memory>
#include "lib/config.h"

#include "lib/gateway/policy.h"
#include "lib/snapshot.h"
#include "milter/options.h"

namespace seal::milter {

// Runs until libmilter stops (SIGTERM/SIGINT/SIGHUP). Returns an exit code.
// `policy` is the Policy built from `config` (gateway::BuildPolicy).
int RunDaemon(const Options& options, const ConfigSource& source, Config config,
              std::shared_ptr<const gateway::Policy> policy);

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_DAEMON_H_
