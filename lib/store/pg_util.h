// Thin RAII over libpq for the PostgreSQL store: one connection (PgConn)
// that runs parameterised statements, binary parameters (PgParams), a result
// read in binary form (PgRows), a transaction guard (PgTxn), and libpq
// failures turned into Status.
//
// Every statement goes through PQexecParams with binary parameters and
// binary results: integers travel as int8, byte strings as bytea, text as
// UTF-8 text; SQL text is never built from data. Constant SQL without
// parameters (DDL, BEGIN/COMMIT) goes through PQexec.
// Error mapping by SQLSTATE: a lost or refused connection, class 08, 57P0x,
// 53300 (too many connections), 40001/40P01 (serialization, deadlock),
// 55P03 (lock timeout) and 57014 (statement timeout) → kUnavailable;
// class 23 (integrity) → kFailedPrecondition; class 22 (bad data, e.g. text
// that is not UTF-8) → kInvalidArgument; 53100 and class 58 → kIoError;
// XX001/XX002 (corrupt data) → kParseError; 3F000 (no schema to create in)
// → kFailedPrecondition; anything else → kInternal. Messages carry the
// server's primary message only (never DETAIL, which may quote row values)
// and never the conninfo's secrets.
// Thread-safety: none here; a PgConn is used by one thread at a time (the
// pool in pg_store.h hands each out to one caller).
#ifndef SEALMILTER_LIB_STORE_PG_UTIL_H_
#define SEALMILTER_LIB_STORE_PG_UTIL_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"

namespace seal::store {

// The conninfo split into what may be shown ("host=… port=… dbname=…
// user=…") after checking that libpq can parse it and that it carries no
// password (passwords belong in a passfile: ~/.pgpass or PGPASSFILE).
// kInvalidArgument otherwise.
Result<std::string> DescribeConninfo(std::string_view conninfo);

// Binary statement parameters, numbered $1, $2, ... in the order added.
// Text and Bytes borrow the caller's bytes: keep them alive until the
// statement has run.
class PgParams {
 public:
  PgParams& Int(int64_t value);
  PgParams& Bool(bool value);
  PgParams& Text(std::string_view text);
  PgParams& Bytes(std::string_view bytes);
  PgParams& NullText();  // a NULL of type text

 private:
  friend class PgConn;
  struct Param {
    Oid type = 0;
    bool null = false;
    std::string owned;     // integers, encoded big-endian
    std::string_view ref;  // borrowed text/bytes
    bool uses_owned = false;
  };
  std::vector<Param> params_;
};

// Rows of a result in binary format. Column accessors check the length of
// the value; a type the reader does not expect reads as 0 / "".
class PgRows {
 public:
  PgRows() = default;
  explicit PgRows(PGresult* res) : res_(res) {}

  int size() const { return res_ ? PQntuples(res_.get()) : 0; }
  bool empty() const { return size() == 0; }
  // Rows changed by INSERT/UPDATE/DELETE.
  int64_t affected() const;

  bool IsNull(int row, int col) const;
  // int2/int4/int8 and bool columns.
  int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const { return Int(row, col) != 0; }
  // text and bytea columns: the raw bytes.
  std::string Bytes(int row, int col) const;
  std::string Text(int row, int col) const { return Bytes(row, col); }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> res_;
};

// One server connection.
class PgConn {
 public:
  // Connects with `conninfo` (already checked by DescribeConninfo), adding
  // defaults the conninfo may override: connect_timeout=5, TCP keepalives,
  // application_name=sealmilter; forces client_encoding=UTF8; then sets
  // lock_timeout to `lock_timeout_ms`. kUnavailable naming `describe` when
  // the server cannot be reached or refuses us.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& conninfo,
                                                 const std::string& describe,
                                                 int64_t lock_timeout_ms);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // A parameterised statement; binary results.
  Result<PgRows> Exec(const char* sql, const PgParams& params,
                      std::string_view what);
  Result<PgRows> Exec(const std::string& sql, const PgParams& params,
                      std::string_view what) {
    return Exec(sql.c_str(), params, what);
  }
  // Constant SQL, several statements allowed, no parameters.
  Status ExecScript(const char* sql, std::string_view what);

  // The connection is gone (server stopped, network lost): throw it away.
  bool broken() const;
  // Connected and outside any transaction: fit to go back to a pool.
  bool idle() const;
  // Statements that succeeded since the last ResetCount(): zero means a
  // failure happened on the first statement, before anything was done.
  int succeeded() const { return succeeded_; }
  void ResetCount() { succeeded_ = 0; }
  int server_version() const { return PQserverVersion(conn_); }

 private:
  PgConn(PGconn* conn, std::string describe)
      : conn_(conn), describe_(std::move(describe)) {}
  Status Failure(const PGresult* res, std::string_view what) const;

  PGconn* conn_;
  std::string describe_;
  int succeeded_ = 0;
};

// BEGIN (read committed, for writes) or BEGIN ISOLATION LEVEL REPEATABLE
// READ READ ONLY (a consistent multi-statement read); ROLLBACK in the
// destructor unless Commit() succeeded.
class PgTxn {
 public:
  enum class Kind { kWrite, kRead };
  static Result<PgTxn> Begin(PgConn& conn, Kind kind = Kind::kWrite);
  ~PgTxn();
  PgTxn(PgTxn&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  PgTxn(const PgTxn&) = delete;
  PgTxn& operator=(const PgTxn&) = delete;
  PgTxn& operator=(PgTxn&&) = delete;

  Status Commit();

 private:
  explicit PgTxn(PgConn* conn) : conn_(conn) {}
  PgConn* conn_;  // null once committed or moved from
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_PG_UTIL_H_
