// PgStore::Run, the one retry loop every PostgreSQL hook runs through:
// `fn(PgConn&)` -> Result<T> on a pooled connection, once more on a fresh
// one when a reused connection turned out dead before its first statement
// succeeded. A member template, so its definition lives here and every
// pg_*.cc that implements hooks includes it (pg_store.cc, pg_envelopes.cc,
// pg_portal.cc) instead of keeping its own copy.
#ifndef SEALMILTER_LIB_STORE_PG_RUN_H_
#define SEALMILTER_LIB_STORE_PG_RUN_H_

#include <memory>
#include <utility>

#include "lib/store/pg_store.h"
#include "lib/store/pg_util.h"

namespace seal::store {

template <typename T, typename F>
Result<T> PgStore::Run(F&& fn) {
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    Result<std::unique_ptr<PgConn>> conn = Checkout(reused);
    if (!conn.ok()) return conn.status();
    PgConn& c = **conn;
    c.ResetCount();
    Result<T> result = fn(c);
    const bool retry = !result.ok() && attempt == 0 && reused && c.broken() &&
                       c.succeeded() == 0;
    Return(std::move(*conn));
    if (!retry) return result;
  }
}

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_PG_RUN_H_
