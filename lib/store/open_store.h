// StoreOptions and OpenStore: how the rest of sealmilter gets a Store.
//
// Callers hold a std::unique_ptr<Store> and never name a backend: `backend`
// picks SqliteStore (sqlite_store.h) or PgStore (pg_store.h).
// Config keys (sealmilter.conf(5)):
//   store.backend       → backend ("sqlite" or "postgresql")
//   store.path          → path (sqlite)
//   store.conninfo      → conninfo (postgresql)
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
  // "sqlite" (one file, `path`) or "postgresql" (a server, `conninfo`).
  std::string backend = "sqlite";
  // SQLite database file. Created (mode 0600) when missing and
  // create_if_missing is set.
  std::string path = "/var/lib/sealmilter/store.db";
  bool create_if_missing = true;
  // How long a write waits for another process's lock before kUnavailable.
  int64_t busy_timeout_ms = 5000;
  // PostgreSQL: a libpq conninfo ("host=127.0.0.1 port=5432
  // dbname=sealmilter user=sealmilter") or postgresql:// URI, without a
  // password (use a passfile). busy_timeout_ms is its lock_timeout and how
  // long a call waits for a free pooled connection.
  std::string conninfo;
  int pool_size = 4;  // PostgreSQL connections at most, 1-64
  StoreLimits limits;
  const Clock* clock = nullptr;  // null: SystemClock; must outlive the store
};

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_OPEN_STORE_H_
