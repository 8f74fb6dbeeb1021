// The store options every sealctl command uses: store.backend, path,
// conninfo and busy_timeout from the configuration, and --store, which
// names a SQLite file and overrides them all (so a PostgreSQL configuration
// plus --store means that file). One place, so the commands cannot drift
// apart again (they did: some ignored store.backend).
#ifndef SEALMILTER_CTL_STORE_OPTIONS_H_
#define SEALMILTER_CTL_STORE_OPTIONS_H_

#include <optional>
#include <string>

#include "lib/config.h"
#include "lib/store/open_store.h"

namespace seal::ctl {

store::StoreOptions StoreOptionsFor(
    const Config& config, const std::optional<std::string>& store_path);

}  // namespace seal::ctl

#endif  // SEALMILTER_CTL_STORE_OPTIONS_H_
