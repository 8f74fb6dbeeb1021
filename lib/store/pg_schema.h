// The PostgreSQL store's schema and its forward migrations.
//
// The schema lives in the connection's current schema (the first on
// search_path, "public" by default; give sealmilter a database or schema of
// its own). A table sealmilter_migrations(version, description, applied_at)
// records every migration applied. Opening a store takes a transaction-level
// advisory lock (kPgMigrationLock), so several hosts starting at once
// migrate one after the other: the first applies the missing migrations,
// the rest find nothing to do. All of one opening's migrations and their
// records commit together or not at all. A database whose version is newer
// than this build knows is refused, as is a schema that already has tables
// but no sealmilter_migrations (not sealmilter's).
// The versions match the SQLite store's (sqlite_schema.h): version N has the
// same tables on both backends. Migrations are append-only: never edit one
// that has shipped.
// Thread-safety: call with the connection to yourself.
#ifndef SEALMILTER_LIB_STORE_PG_SCHEMA_H_
#define SEALMILTER_LIB_STORE_PG_SCHEMA_H_

#include <cstdint>
#include <vector>

#include "lib/status.h"
#include "lib/store/pg_util.h"

namespace seal::store {

// The advisory lock key migrations hold: "SEAL" in ASCII.
inline constexpr int64_t kPgMigrationLock = 0x5345414c;

struct PgMigration {
  int version;              // 1, 2, ...: the version after applying it
  const char* description;  // one line
  const char* sql;          // constant SQL, several statements
};

const std::vector<PgMigration>& PgMigrations();
int LatestPgSchemaVersion();

// The version recorded in the current schema: 0 when it has none.
Result<int> PgSchemaVersion(PgConn& conn);

// Brings the current schema to `target` (default: latest) under the
// advisory lock. kFailedPrecondition for a schema from a newer sealmilter,
// one that is not sealmilter's, or no schema to create tables in.
Status MigratePg(PgConn& conn, int target = 0);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_PG_SCHEMA_H_
