// OpenStore: picks the backend for StoreOptions (SQLite for now).
#include "lib/store/open_store.h"

#include "lib/store/sqlite_store.h"

namespace seal::store {

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  if (options.path.rfind("postgresql://", 0) == 0 ||
      options.path.rfind("postgres://", 0) == 0) {
    return InvalidArgumentError(
        "store.path names PostgreSQL, which this build does not support yet");
  }
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace seal::store
