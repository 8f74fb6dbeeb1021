// In-process sealctl runs for unit tests: RunSealctl with stdout and stderr
// captured into strings (open_memstream), so tests compare exact output.
#ifndef SEALMILTER_TESTS_UNIT_SEALCTL_TEST_UTIL_H_
#define SEALMILTER_TESTS_UNIT_SEALCTL_TEST_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ctl/command.h"

namespace seal::ctl::testing {

struct Captured {
  int rc = -1;
  std::string out, err;
};

inline Captured RunCaptured(const std::vector<std::string>& args) {
  char* out_buf = nullptr;
  char* err_buf = nullptr;
  size_t out_len = 0, err_len = 0;
  CommandIo io;
  io.out = open_memstream(&out_buf, &out_len);
  io.err = open_memstream(&err_buf, &err_len);
  Captured c;
  c.rc = RunSealctl(args, io);
  fclose(io.out);
  fclose(io.err);
  c.out.assign(out_buf, out_len);
  c.err.assign(err_buf, err_len);
  free(out_buf);
  free(err_buf);
  return c;
}

}  // namespace seal::ctl::testing

#endif  // SEALMILTER_TESTS_UNIT_SEALCTL_TEST_UTIL_H_
