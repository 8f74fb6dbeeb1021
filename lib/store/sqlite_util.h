// Thin RAII over the SQLite C API for the SQLite store: a prepared statement
// handle that resets itself, a transaction guard that rolls back unless
// committed, and SQLite result codes turned into Status.
//
// Error mapping: BUSY/LOCKED (after the busy timeout) → kUnavailable;
// CORRUPT/NOTADB → kParseError; FULL/IOERR/READONLY/CANTOPEN/PERM → kIoError;
// TOOBIG → kResourceExhausted; CONSTRAINT → kFailedPrecondition; anything
// else → kInternal. Messages carry SQLite's own text.
// Thread-safety: none here; the owner (SqliteStore) serialises all use of a
// connection behind its mutex.
#ifndef SEALMILTER_LIB_STORE_SQLITE_UTIL_H_
#define SEALMILTER_LIB_STORE_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::store {

// `what` failed with result code `rc` on `db` (db may be null).
Status SqliteError(sqlite3* db, int rc, std::string_view what);

// Runs constant SQL (no parameters; several statements allowed).
Status SqliteExec(sqlite3* db, const char* sql, std::string_view what);

// A prepared statement borrowed from a cache: reset and unbound when the
// handle goes away, so no read transaction stays open behind it.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt();
  Stmt(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;

  // Parameters are numbered from 1. A failed bind is reported by Step().
  Stmt& Bind(int index, int64_t value);
  Stmt& BindText(int index, std::string_view text);
  Stmt& BindBlob(int index, std::string_view bytes);
  Stmt& BindNull(int index);

  // true: a row is available; false: done.
  Result<bool> Step();
  // Steps to the end (for INSERT/UPDATE/DELETE).
  Status Run();

  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;
  bool IsNull(int column) const;

 private:
  void NoteBind(int rc, int index);
  sqlite3* db_;
  sqlite3_stmt* stmt_;  // owned by the cache, not by this handle
  Status bind_error_;
};

// BEGIN IMMEDIATE (writes) or BEGIN DEFERRED (consistent reads); rolls back
// in the destructor unless Commit() succeeded.
class Transaction {
 public:
  enum class Kind { kRead, kWrite };
  static Result<Transaction> Begin(sqlite3* db, Kind kind);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;

  Status Commit();

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;  // null once committed or moved from
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_SQLITE_UTIL_H_
