// The SQLite store's schema and its forward migrations.
//
// The database carries PRAGMA application_id 0x5345414c ("SEAL") and a
// one-row table schema_version(version). Migrations are an ordered list;
// opening a database applies every migration above its version inside one
// BEGIN IMMEDIATE transaction (so two processes opening a fresh database
// cannot both migrate it), then records the new version. A database whose
// version is newer than this build knows is refused, as is a SQLite file
// that belongs to something else.
// Migrations are append-only: never edit one that has shipped (a test opens
// a frozen version-1 database and migrates it).
// Thread-safety: call with the connection to yourself.
#ifndef SEALMILTER_LIB_STORE_SQLITE_SCHEMA_H_
#define SEALMILTER_LIB_STORE_SQLITE_SCHEMA_H_

#include <sqlite3.h>

#include <cstdint>
#include <vector>

#include "lib/status.h"

namespace seal::store {

inline constexpr int32_t kSqliteApplicationId = 0x5345414c;  // "SEAL"

struct Migration {
  int version;              // 1, 2, ...: the version after applying it
  const char* description;  // one line
  const char* sql;          // constant SQL, several statements
};

const std::vector<Migration>& SqliteMigrations();
int LatestSqliteSchemaVersion();

// The version recorded in `db`: 0 for an empty database.
Result<int> SqliteSchemaVersion(sqlite3* db);

// Brings `db` to `target` (default: latest). kFailedPrecondition for a
// database from a newer sealmilter or one that is not sealmilter's.
Status MigrateSqlite(sqlite3* db, int target = 0);

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_SQLITE_SCHEMA_H_
