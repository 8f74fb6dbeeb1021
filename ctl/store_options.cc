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

std::optional<AdminStore> OpenAdminStoreOrReport(const Args& args,
                                                 std::string_view command,
                                                 CommandIo& io, int& rc) {
  Result<Config> config = LoadConfig(ConfigSourceFrom(args));
  if (!config.ok()) {
    rc = Fail(io, command, config.status(), kExitConfig);
    return std::nullopt;
  }
  store::StoreOptions options = StoreOptionsFor(
      *config, args.Has("--store")
                   ? std::optional<std::string>(args.Value("--store"))
                   : std::nullopt);
  options.create_if_missing = false;
  Result<std::unique_ptr<store::Store>> s = store::OpenStore(options);
  if (!s.ok()) {
    if (s.status().code() == StatusCode::kNotFound) {
      // A store that is not there is a configuration mistake.
      rc = Fail(io, command,
                NotFoundError("store " + options.path +
                              " does not exist (name it with --store or -c)"),
                kExitConfig);
    } else {
      rc = Fail(io, command, s.status());
    }
    return std::nullopt;
  }
  return AdminStore{std::move(*config), std::move(*s)};
}

}  // namespace seal::ctl
