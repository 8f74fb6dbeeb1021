// Rate limits for the portal: a token bucket per key (a client address, or
// an e-mail address for mails the portal sends), refilled continuously.
// Memory is bounded: at most `max_keys` buckets; when full, the bucket
// used least recently is dropped (a flood of new keys can only forget old
// clients' debts, never grow the table). Time comes from the caller, so
// tests control it.
// This limits one portal process; account lockout after failed logins is
// kept in the Store and so holds across hosts.
// Thread-safety: every method may be called concurrently.
#ifndef SEALMILTER_PORTAL_RATE_LIMIT_H_
#define SEALMILTER_PORTAL_RATE_LIMIT_H_

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace seal::portal {

class RateLimiter {
 public:
  // `burst` requests at once, then `per_minute` a minute.
  RateLimiter(double burst, double per_minute, size_t max_keys = 100000);

  // Takes one token for `key` at `now_ms` (monotonic milliseconds); false
  // when the bucket is empty (answer 429 and do nothing else).
  bool Allow(std::string_view key, int64_t now_ms);
  // Seconds until Allow would succeed for `key` (0 if it would now).
  int64_t RetryAfterSeconds(std::string_view key, int64_t now_ms);

  size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
    std::list<std::string>::iterator lru;
  };
  Bucket& Refill(std::string_view key, int64_t now_ms);

  const double burst_;
  const double per_ms_;
  const size_t max_keys_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> lru_;  // front: most recently used
};

}  // namespace seal::portal

#endif  // SEALMILTER_PORTAL_RATE_LIMIT_H_
