// libpq wrappers: conninfo checks, binary parameters and results, errors.
#include "lib/store/pg_util.h"

#include <cstring>

namespace seal::store {
namespace {

constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

std::string Trim(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

StatusCode CodeFor(std::string_view state) {
  if (state.size() != 5) return StatusCode::kInternal;
  if (StartsWith(state, "08") || StartsWith(state, "57P") || state == "53300" ||
      state == "40001" || state == "40P01" || state == "55P03" ||
      state == "57014") {
    return StatusCode::kUnavailable;
  }
  if (StartsWith(state, "23")) return StatusCode::kFailedPrecondition;
  if (StartsWith(state, "22")) return StatusCode::kInvalidArgument;
  if (state == "53100" || StartsWith(state, "58")) return StatusCode::kIoError;
  if (state == "XX001" || state == "XX002") return StatusCode::kParseError;
  if (state == "3F000") return StatusCode::kFailedPrecondition;
  return StatusCode::kInternal;
}

void IgnoreNotice(void*, const char*) {}

}  // namespace

Result<std::string> DescribeConninfo(std::string_view conninfo) {
  if (conninfo.empty()) {
    return InvalidArgumentError(
        "store.conninfo is empty (e.g. \"host=127.0.0.1 dbname=sealmilter "
        "user=sealmilter\")");
  }
  if (conninfo.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("store.conninfo contains a NUL byte");
  }
  std::string text(conninfo);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  if (options == nullptr) {
    std::string why = error != nullptr ? Trim(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    return InvalidArgumentError("store.conninfo cannot be parsed: " + why);
  }
  std::string describe;
  bool has_password = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->val[0] == '\0') continue;
    std::string_view key = o->keyword;
    if (key == "password") has_password = true;
    if (key == "host" || key == "hostaddr" || key == "port" ||
        key == "dbname" || key == "user") {
      if (!describe.empty()) describe += ' ';
      describe += std::string(key) + "=" + o->val;
    }
  }
  PQconninfoFree(options);
  if (has_password) {
    return InvalidArgumentError(
        "store.conninfo must not contain a password: put it in a passfile "
        "(passfile=... in the conninfo, PGPASSFILE, or ~/.pgpass, mode 0600)");
  }
  if (describe.empty()) describe = "the default PostgreSQL server";
  return describe;
}

// --- PgParams ----------------------------------------------------------

PgParams& PgParams::Int(int64_t value) {
  Param p;
  p.type = kInt8Oid;
  p.owned.resize(8);
  auto u = static_cast<uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    p.owned[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  p.uses_owned = true;
  params_.push_back(std::move(p));
  return *this;
}

PgParams& PgParams::Bool(bool value) {
  Param p;
  p.type = kBoolOid;
  p.owned = std::string(1, value ? '\1' : '\0');
  p.uses_owned = true;
  params_.push_back(std::move(p));
  return *this;
}

PgParams& PgParams::Text(std::string_view text) {
  Param p;
  p.type = kTextOid;
  p.ref = text;
  params_.push_back(std::move(p));
  return *this;
}

PgParams& PgParams::Bytes(std::string_view bytes) {
  Param p;
  p.type = kByteaOid;
  p.ref = bytes;
  params_.push_back(std::move(p));
  return *this;
}

PgParams& PgParams::NullText() {
  Param p;
  p.type = kTextOid;
  p.null = true;
  params_.push_back(std::move(p));
  return *this;
}

// --- PgRows ------------------------------------------------------------

int64_t PgRows::affected() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_.get());
  return (n != nullptr && *n != '\0') ? std::strtoll(n, nullptr, 10) : 0;
}

bool PgRows::IsNull(int row, int col) const {
  return !res_ || PQgetisnull(res_.get(), row, col) != 0;
}

int64_t PgRows::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  const auto* p =
      reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row, col));
  int len = PQgetlength(res_.get(), row, col);
  if (len != 1 && len != 2 && len != 4 && len != 8) return 0;
  uint64_t u = 0;
  for (int i = 0; i < len; ++i) u = (u << 8) | p[i];
  // Sign-extend the narrower integer types (bool is 0 or 1 either way).
  if (len < 8 && len > 1 && (p[0] & 0x80) != 0) {
    u |= ~uint64_t{0} << (8 * len);
  }
  return static_cast<int64_t>(u);
}

std::string PgRows::Bytes(int row, int col) const {
  if (IsNull(row, col)) return {};
  return std::string(PQgetvalue(res_.get(), row, col),
                     static_cast<size_t>(PQgetlength(res_.get(), row, col)));
}

// --- PgConn ------------------------------------------------------------

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& conninfo,
                                                const std::string& describe,
                                                int64_t lock_timeout_ms) {
  const char* keywords[] = {"connect_timeout",
                            "keepalives",
                            "keepalives_idle",
                            "keepalives_interval",
                            "keepalives_count",
                            "application_name",
                            "dbname",
                            "client_encoding",
                            nullptr};
  const char* values[] = {
      "5",    "1",    "30", "10", "3", "sealmilter", conninfo.c_str(),
      "UTF8", nullptr};
  PGconn* raw = PQconnectdbParams(keywords, values, 1);
  if (raw == nullptr) {
    return UnavailableError("cannot connect to PostgreSQL (" + describe +
                            "): out of memory");
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string why = Trim(PQerrorMessage(raw));
    PQfinish(raw);
    return UnavailableError("cannot connect to PostgreSQL (" + describe +
                            "): " + why);
  }
  PQsetNoticeProcessor(raw, IgnoreNotice, nullptr);
  std::unique_ptr<PgConn> conn(new PgConn(raw, describe));
  if (conn->server_version() < 120000) {
    return FailedPreconditionError(
        "PostgreSQL (" + describe + ") is version " +
        std::to_string(conn->server_version() / 10000) +
        "; the store needs 12 or later");
  }
  std::string setup = "SET lock_timeout = " + std::to_string(lock_timeout_ms) +
                      "; SET idle_in_transaction_session_timeout = 600000";
  SEAL_RETURN_IF_ERROR(conn->ExecScript(setup.c_str(), "cannot set up"));
  conn->ResetCount();
  return conn;
}

PgConn::~PgConn() { PQfinish(conn_); }

bool PgConn::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

Status PgConn::Failure(const PGresult* res, std::string_view what) const {
  std::string prefix(what);
  if (res == nullptr || broken()) {
    std::string why = Trim(PQerrorMessage(conn_));
    if (why.empty()) why = "connection lost";
    return UnavailableError(prefix + ": lost the connection to PostgreSQL (" +
                            describe_ + "): " + why);
  }
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  std::string message = Trim(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
  if (message.empty()) message = Trim(PQresStatus(PQresultStatus(res)));
  std::string sqlstate = state != nullptr ? state : "";
  StatusCode code = CodeFor(sqlstate);
  std::string text = prefix + ": " + message;
  if (!sqlstate.empty()) text += " (SQLSTATE " + sqlstate + ")";
  if (code == StatusCode::kUnavailable) {
    text += " at PostgreSQL (" + describe_ + ")";
  }
  return Status(code, std::move(text));
}

Result<PgRows> PgConn::Exec(const char* sql, const PgParams& params,
                            std::string_view what) {
  const size_t n = params.params_.size();
  std::vector<Oid> types(n);
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  std::vector<int> formats(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const PgParams::Param& p = params.params_[i];
    types[i] = p.type;
    if (p.null) {
      values[i] = nullptr;
      lengths[i] = 0;
      continue;
    }
    std::string_view data = p.uses_owned ? std::string_view(p.owned) : p.ref;
    if (data.size() > 0x3fffffff) {
      return ResourceExhaustedError(std::string(what) +
                                    ": a value is over 1 GiB");
    }
    // libpq wants a non-null pointer for a non-null value, even if empty.
    values[i] = data.empty() ? "" : data.data();
    lengths[i] = static_cast<int>(data.size());
  }
  PGresult* res = PQexecParams(conn_, sql, static_cast<int>(n), types.data(),
                               values.data(), lengths.data(), formats.data(),
                               /*resultFormat=*/1);
  ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    Status s = Failure(res, what);
    PQclear(res);
    return s;
  }
  ++succeeded_;
  return PgRows(res);
}

Status PgConn::ExecScript(const char* sql, std::string_view what) {
  PGresult* res = PQexec(conn_, sql);
  ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  Status s;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    s = Failure(res, what);
  } else {
    ++succeeded_;
  }
  PQclear(res);
  return s;
}

bool PgConn::idle() const {
  return !broken() && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

// --- PgTxn -------------------------------------------------------------

Result<PgTxn> PgTxn::Begin(PgConn& conn, Kind kind) {
  const char* sql = kind == Kind::kWrite
                        ? "BEGIN"
                        : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  SEAL_RETURN_IF_ERROR(conn.ExecScript(sql, "cannot begin a transaction"));
  return PgTxn(&conn);
}

PgTxn::~PgTxn() {
  if (conn_ != nullptr && !conn_->broken()) {
    (void)conn_->ExecScript("ROLLBACK", "cannot roll back");
  }
}

Status PgTxn::Commit() {
  PgConn* conn = conn_;
  conn_ = nullptr;
  if (conn == nullptr) return InternalError("transaction already finished");
  return conn->ExecScript("COMMIT", "cannot commit");
}

}  // namespace seal::store
