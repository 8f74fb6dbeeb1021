// Test helper: runs a function in a child process whose address space is
// capped (RLIMIT_AS) a given number of bytes above what it maps at the
// fork, so that allocations past that fail there as they would when a
// host runs out of memory. For tests of what code answers on out of
// memory. Not usable under AddressSanitizer, which reserves terabytes of
// address space up front (SEAL_ASAN says so).
#ifndef SEALMILTER_TESTS_UNIT_ADDRESS_SPACE_CAP_H_
#define SEALMILTER_TESTS_UNIT_ADDRESS_SPACE_CAP_H_

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include "tests/unit/sanitizers.h"

namespace seal::testing {

// What RunWithAddressSpaceCap returns when the cap could not be set up,
// and when the child died of a signal (a crash on out of memory is a bug).
constexpr int kCapUnavailable = -1;
constexpr int kChildKilled = -2;

// Bytes of address space this process maps now, or 0.
inline size_t MappedBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long pages = 0;  // NOLINT(runtime/int): fscanf's %lu
  const int n = std::fscanf(f, "%lu", &pages);
  std::fclose(f);
  return n == 1 ? pages * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Forks; the child caps its address space at what it maps plus `headroom`
// bytes, runs `fn` and exits with what it returns (0..125). Returns that
// exit code, kCapUnavailable (no /proc, setrlimit refused) or kChildKilled.
// Build every input before the call, so that it is mapped already; `fn`
// must not use Catch2 assertions (they would report in the child).
inline int RunWithAddressSpaceCap(size_t headroom,
                                  const std::function<int()>& fn) {
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) return kCapUnavailable;
  if (child == 0) {
    const size_t mapped = MappedBytes();
    if (mapped == 0) _exit(126);
    const rlimit cap{mapped + headroom, mapped + headroom};
    if (setrlimit(RLIMIT_AS, &cap) != 0) _exit(126);
    _exit(fn());
  }
  int wstatus = 0;
  if (waitpid(child, &wstatus, 0) != child) return kCapUnavailable;
  if (!WIFEXITED(wstatus)) return kChildKilled;
  if (WEXITSTATUS(wstatus) == 126) return kCapUnavailable;
  return WEXITSTATUS(wstatus);
}

}  // namespace seal::testing

#endif  // SEALMILTER_TESTS_UNIT_ADDRESS_SPACE_CAP_H_
