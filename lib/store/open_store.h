// StoreOptions and OpenStore: how the rest of sealmilter gets a Store.
//
// Callers hold a std::unique_ptr<Store> and never name a backend, so adding
// PostgreSQL later means a new branch here (a "postgresql://" path), not a
// change in any caller.
// Config keys (added to the schema by the lead; see the report):
//   store.path          → path
//   store.busy_timeout  → busy_timeout_ms
// Thread-safety: OpenStore may be called from any thread.
#ifndef SEALMILTER_LIB_STORE_OPEN_STORE_H_
#define SEALMILTER_LIB_STORE_OPEN_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "lib/status.h"
#include "lib/store/clock.h"
#include "lib/store/records.h"
#include "lib/store/store.h"

namespace seal::store {

struct StoreOptions {
  // SQLite database file. Created (mode 0600) when missing and
  // create_if_missing is set.
  std::string path = "/var/lib/sealmilter/store.db";
  bool create_if_missing = true;
  // How long a write waits for another process's lock before kUnavailable.
  int64_t busy_timeout_ms = 5000;
  StoreLimits limits;
  const Clock* clock = nullptr;  // null: SystemClock; must outlive the store
};

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_OPEN_STORE_H_
