// Test helper: SEAL_ASAN is defined when AddressSanitizer is on (GCC's
// __SANITIZE_ADDRESS__ or clang's __has_feature), for tests whose bounds
// or set-up it changes (peak memory, RLIMIT_AS).
#ifndef SEALMILTER_TESTS_UNIT_SANITIZERS_H_
#define SEALMILTER_TESTS_UNIT_SANITIZERS_H_

#if defined(__SANITIZE_ADDRESS__)
#define SEAL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEAL_ASAN 1
#endif
#endif

#endif  // SEALMILTER_TESTS_UNIT_SANITIZERS_H_
