// Status and Result<T>: how errors cross module boundaries in sealmilter.
//
// A Status is cheap when OK (no allocation) and carries a code plus a human
// message otherwise. Result<T> holds either a value or a non-OK Status. Both
// are [[nodiscard]]: an ignored error is a compile error under -Werror.
// Neither type throws; accessing the value of an error Result is a programming
// error caught by assert in debug builds.
#ifndef SEALMILTER_LIB_STATUS_H_
#define SEALMILTER_LIB_STATUS_H_

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace seal {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // caller gave bad input (bad config value, bad flag)
  kNotFound,            // file, key, certificate does not exist
  kParseError,          // malformed input (TOML, MIME, CMS, ...)
  kResourceExhausted,   // a configured size or count limit was reached
  kIoError,             // the operating system said no (disk full, EACCES)
  kUnavailable,         // a dependency is down (store, reinjection listener)
  kFailedPrecondition,  // operation not allowed in the current state
  kInternal,            // a bug or an unexpected library failure
};

// Stable lower-case name of a code, for logs ("io-error").
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // Empty for OK.
  const std::string& message() const;
  // "io-error: cannot write spool: No space left on device", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "context: message". OK stays OK.
  Status WithContext(std::string_view context) const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;  // null means OK; shared so copies are cheap
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status ParseError(std::string message);
Status ResourceExhaustedError(std::string message);
Status IoError(std::string message);
Status UnavailableError(std::string message);
Status FailedPreconditionError(std::string message);
Status InternalError(std::string message);
// IoError whose message ends with ": " + strerror(errnum).
Status ErrnoError(std::string message, int errnum);

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose so functions can `return value;` or `return status;`.
  Result(T value) : value_(std::move(value)) {}         // NOLINT
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result constructed from an OK Status");
    if (status_.ok()) status_ = InternalError("Result built from OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;  // OK iff value_ is set
};

}  // namespace seal

// Evaluates a Status expression and returns it from the current function if it
// is not OK.
#define SEAL_RETURN_IF_ERROR(expr)                       \
  do {                                                   \
    ::seal::Status seal_status_tmp_ = (expr);            \
    if (!seal_status_tmp_.ok()) return seal_status_tmp_; \
  } while (false)

#endif  // SEALMILTER_LIB_STATUS_H_
