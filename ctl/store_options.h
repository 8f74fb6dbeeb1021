// The store options every sealctl command uses: store.backend, path,
// conninfo and busy_timeout from the configuration, and --store, which
// names a SQLite file and overrides them all (so a PostgreSQL configuration
// plus --store means that file). One place, so the commands cannot drift
// apart again (they did: some ignored store.backend). Also the opening of
// an existing store that the admin commands (envelope, passphrase,
// quarantine) share.
#ifndef SEALMILTER_CTL_STORE_OPTIONS_H_
#define SEALMILTER_CTL_STORE_OPTIONS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ctl/args.h"
#include "ctl/command.h"
#include "lib/config.h"
#include "lib/store/open_store.h"
#include "lib/store/store.h"

namespace seal::ctl {

store::StoreOptions StoreOptionsFor(
    const Config& config, const std::optional<std::string>& store_path);

// A configuration and the existing store it names.
struct AdminStore {
  Config config;
  std::unique_ptr<store::Store> store;
};

// The configuration (-c, ConfigSourceFrom) and its store (--store
// overriding), opened without creating it. On failure prints
// "sealctl COMMAND: ..." and sets `rc`: kExitConfig for a configuration
// error or a store that does not exist, else kExitFailure.
std::optional<AdminStore> OpenAdminStoreOrReport(const Args& args,
                                                 std::string_view command,
                                                 CommandIo& io, int& rc);

}  // namespace seal::ctl

#endif  // SEALMILTER_CTL_STORE_OPTIONS_H_
