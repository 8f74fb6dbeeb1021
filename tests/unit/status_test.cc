// Tests for Status and Result<T> (lib/status.h).
#include <catch2/catch.hpp>

#include <set>

#include "lib/status.h"

namespace seal {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgumentError(std::to_string(n) + " is odd");
  return n / 2;
}

Status Chain(int n) {
  Result<int> r = Half(n);
  if (!r.ok()) return r.status().WithContext("chain");
  SEAL_RETURN_IF_ERROR(Half(*r).status());
  return Status::Ok();
}

TEST_CASE("Status OK is cheap and empty") {
  Status s;
  CHECK(s.ok());
  CHECK(s.code() == StatusCode::kOk);
  CHECK(s.message().empty());
  CHECK(s.ToString() == "ok");
  CHECK(Status(StatusCode::kOk, "ignored").ok());
}

TEST_CASE("Status errors carry code, message and context") {
  Status s = IoError("disk full");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == StatusCode::kIoError);
  CHECK(s.ToString() == "io-error: disk full");
  Status c = s.WithContext("spool");
  CHECK(c.message() == "spool: disk full");
  CHECK(c.code() == StatusCode::kIoError);
  CHECK(s.message() == "disk full");  // the original is unchanged
  CHECK(Status::Ok().WithContext("x").ok());
}

TEST_CASE("ErrnoError appends strerror") {
  Status s = ErrnoError("cannot open /x", ENOENT);
  CHECK(s.code() == StatusCode::kIoError);
  CHECK(s.message() == "cannot open /x: No such file or directory");
}

TEST_CASE("every code has a distinct name") {
  const StatusCode codes[] = {StatusCode::kOk,
                              StatusCode::kInvalidArgument,
                              StatusCode::kNotFound,
                              StatusCode::kParseError,
                              StatusCode::kResourceExhausted,
                              StatusCode::kIoError,
                              StatusCode::kUnavailable,
                              StatusCode::kFailedPrecondition,
                              StatusCode::kInternal};
  std::set<std::string_view> names;
  for (StatusCode c : codes) names.insert(StatusCodeName(c));
  CHECK(names.size() == std::size(codes));
  CHECK(names.count("unknown") == 0);
}

TEST_CASE("Result holds a value or an error") {
  Result<int> good = Half(8);
  REQUIRE(good.ok());
  CHECK(*good == 4);
  Result<int> bad = Half(3);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "3 is odd");
  CHECK(Chain(8).ok());
  CHECK(Chain(6).message() == "3 is odd");
  CHECK(Chain(5).message() == "chain: 5 is odd");
}

TEST_CASE("Result moves its value out") {
  Result<std::string> r = std::string(1000, 'x');
  std::string taken = std::move(r).value();
  CHECK(taken.size() == 1000);
}

}  // namespace
}  // namespace seal
