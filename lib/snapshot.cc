// Building, validating and swapping Snapshots (see lib/snapshot.h).
#include "lib/snapshot.h"

#include <utility>

namespace seal {

Result<Config> LoadConfig(const ConfigSource& source) {
  Result<Config> config = LoadConfigFile(source.path);
  if (!config.ok() && config.status().code() == StatusCode::kNotFound &&
      !source.required) {
    return Config::Defaults();
  }
  if (!config.ok()) return config;
  SEAL_RETURN_IF_ERROR(ValidateConfig(*config));
  return config;
}

Status ValidateConfig(const Config& config) {
  if (config.spool.memory_limit > config.spool.max_size) {
    return InvalidArgumentError(config.source + ": spool.memory_limit (" +
                                std::to_string(config.spool.memory_limit) +
                                ") is larger than spool.max_size (" +
                                std::to_string(config.spool.max_size) + ")");
  }
  if (config.spool.directory.empty() || config.spool.directory[0] != '/') {
    return InvalidArgumentError(config.source +
                                ": spool.directory must be an absolute path");
  }
  if (!config.milter.chroot.empty() && config.milter.chroot[0] != '/') {
    return InvalidArgumentError(config.source +
                                ": milter.chroot must be an absolute path");
  }
  return Status::Ok();
}

SnapshotStore::SnapshotStore(
    ConfigSource source, Config initial,
    std::shared_ptr<const gateway::Policy> initial_policy,
    PolicyBuilder builder)
    : source_(std::move(source)), builder_(std::move(builder)) {
  auto snap = std::make_shared<Snapshot>();
  snap->config = std::move(initial);
  snap->policy = std::move(initial_policy);
  snap->generation = 1;
  current_ = std::move(snap);
}

std::shared_ptr<const Snapshot> SnapshotStore::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

void SnapshotStore::set_source_path(std::string path) {
  std::lock_guard<std::mutex> lock(reload_mu_);
  source_.path = std::move(path);
}

Result<ReloadReport> SnapshotStore::Reload() {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  std::shared_ptr<const Snapshot> running = Current();
  Result<Config> config = LoadConfig(source_);
  if (!config.ok()) return config.status();
  ReloadReport report;
  CarryNonReloadable(running->config, *config, report.needs_restart);
  auto next = std::make_shared<Snapshot>();
  if (builder_) {
    Result<std::shared_ptr<const gateway::Policy>> policy = builder_(*config);
    if (!policy.ok()) return policy.status();
    next->policy = std::move(policy).value();
  }
  next->config = std::move(config).value();
  next->generation = running->generation + 1;
  report.generation = next->generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::move(next);
  }
  return report;
}

}  // namespace seal
