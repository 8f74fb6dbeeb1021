// sealctl's store options from the configuration and --store
// (store_options.h).
#include "ctl/store_options.h"

namespace seal::ctl {

store::StoreOptions StoreOptionsFor(
    const Config& config, const std::optional<std::string>& store_path) {
  store::StoreOptions options;
  options.backend = config.store.backend;
  options.path = config.store.path;
  options.conninfo = config.store.conninfo;
  options.busy_timeout_ms = config.store.busy_timeout_seconds * 1000;
  if (store_path) {
    options.backend = "sqlite";
    options.path = *store_path;
  }
  return options;
}

}  // namespace seal::ctl
