// OpenStore: picks the backend for StoreOptions.
#include "lib/store/open_store.h"

#include "lib/store/pg_store.h"
#include "lib/store/sqlite_store.h"

namespace seal::store {

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  if (options.backend == "postgresql") {
    Result<std::unique_ptr<PgStore>> store = PgStore::Open(options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (options.backend != "sqlite") {
    return InvalidArgumentError("store.backend \"" + options.backend +
                                "\" is not \"sqlite\" or \"postgresql\"");
  }
  if (options.path.rfind("postgresql://", 0) == 0 ||
      options.path.rfind("postgres://", 0) == 0) {
    return InvalidArgumentError(
        "store.path names PostgreSQL: set store.backend = \"postgresql\" and "
        "put the URI in store.conninfo");
  }
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace seal::store
