// portal/rate_limit.h: burst, refill, per-key independence, the bounded
// table, concurrent callers.
#include "portal/rate_limit.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

namespace seal::portal {
namespace {

TEST_CASE("rate limit: burst, then the refill rate") {
  RateLimiter r(3, 60);  // 3 at once, then one a second
  for (int i = 0; i < 3; ++i) CHECK(r.Allow("192.0.2.1", 0));
  CHECK_FALSE(r.Allow("192.0.2.1", 0));
  CHECK(r.RetryAfterSeconds("192.0.2.1", 0) == 1);
  CHECK_FALSE(r.Allow("192.0.2.1", 500));
  CHECK(r.Allow("192.0.2.1", 1000));
  CHECK_FALSE(r.Allow("192.0.2.1", 1000));
  // Another client is not affected.
  CHECK(r.Allow("192.0.2.2", 1000));
  // A long pause refills up to the burst, not beyond.
  for (int i = 0; i < 3; ++i) CHECK(r.Allow("192.0.2.1", 1000000));
  CHECK_FALSE(r.Allow("192.0.2.1", 1000000));
  // Time going backwards never adds tokens.
  CHECK_FALSE(r.Allow("192.0.2.1", 0));
}

TEST_CASE("rate limit: the table stays bounded") {
  RateLimiter r(1, 1, 100);
  for (int i = 0; i < 10000; ++i) r.Allow("k" + std::to_string(i), 0);
  CHECK(r.size() == 100);
  // The most recent keys are remembered: k9999 has spent its token.
  CHECK_FALSE(r.Allow("k9999", 0));
}

TEST_CASE("rate limit: concurrent callers get exactly the burst") {
  RateLimiter r(1000, 0);
  std::vector<std::thread> threads;
  std::atomic<int> allowed{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (r.Allow("same", 0)) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(allowed.load() == 1000);
}

}  // namespace
}  // namespace seal::portal
