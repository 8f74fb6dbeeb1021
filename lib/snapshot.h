// Snapshot: the immutable bundle a transaction runs with (config, and the
// Policy built from it: compiled rules, templates, networks), and
// SnapshotStore, which swaps it on reload.
//
// Reload builds a complete new Snapshot, validates it, and only then swaps the
// shared_ptr; a failed reload changes nothing. A transaction keeps the
// shared_ptr it took at its start, so a reload never changes the rules under a
// message in flight. Keys that need a restart keep their running value.
// Thread-safety: SnapshotStore may be used from any thread; a Snapshot is
// immutable once published.
#ifndef SEALMILTER_LIB_SNAPSHOT_H_
#define SEALMILTER_LIB_SNAPSHOT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/config.h"
#include "lib/status.h"

namespace seal {

namespace gateway {
struct Policy;  // lib/gateway/policy.h; lib/ itself never looks inside
}  // namespace gateway

struct Snapshot {
  Config config;
  // Built from `config` by the PolicyBuilder; null when the store has none
  // (tests of the foundation, sealctl config).
  std::shared_ptr<const gateway::Policy> policy;
  uint64_t generation = 0;  // 1 for the first, +1 per successful reload
};

// Builds the Policy of a config (reads and compiles rules, templates). A
// failure fails the start or the reload that asked for it.
using PolicyBuilder =
    std::function<Result<std::shared_ptr<const gateway::Policy>>(
        const Config&)>;

// Where the config comes from. With `required` false a missing file means
// "run on the embedded defaults" (the default path when -c is not given).
struct ConfigSource {
  std::string path = std::string(kDefaultConfigPath);
  bool required = false;
};

// Loads the config named by `source` (or the embedded defaults) and checks it.
Result<Config> LoadConfig(const ConfigSource& source);

// Consistency checks that span keys (e.g. memory_limit <= max_size).
Status ValidateConfig(const Config& config);

struct ReloadReport {
  uint64_t generation = 0;
  std::vector<std::string> needs_restart;  // keys changed but not applied
};

class SnapshotStore {
 public:
  SnapshotStore(ConfigSource source, Config initial,
                std::shared_ptr<const gateway::Policy> initial_policy = nullptr,
                PolicyBuilder builder = nullptr);

  std::shared_ptr<const Snapshot> Current() const;

  // Re-reads the source and rebuilds the policy; on success publishes a new
  // generation. On any failure the running snapshot stays.
  Result<ReloadReport> Reload();

  // Path used on reload, e.g. rewritten after chroot.
  void set_source_path(std::string path);
  const ConfigSource& source() const { return source_; }

 private:
  ConfigSource source_;
  PolicyBuilder builder_;
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;  // guarded by mu_
  std::mutex reload_mu_;                     // one reload at a time
};

}  // namespace seal

#endif  // SEALMILTER_LIB_SNAPSHOT_H_
