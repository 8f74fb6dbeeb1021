// Token-bucket rate limiter with a bounded table (rate_limit.h).
#include "portal/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace seal::portal {

RateLimiter::RateLimiter(double burst, double per_minute, size_t max_keys)
    : burst_(std::max(1.0, burst)),
      per_ms_(std::max(0.0, per_minute) / 60000.0),
      max_keys_(std::max<size_t>(1, max_keys)) {}

RateLimiter::Bucket& RateLimiter::Refill(std::string_view key, int64_t now_ms) {
  std::string k(key);
  auto it = buckets_.find(k);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      buckets_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(k);
    Bucket b;
    b.tokens = burst_;
    b.updated_ms = now_ms;
    b.lru = lru_.begin();
    it = buckets_.emplace(std::move(k), b).first;
    return it->second;
  }
  Bucket& b = it->second;
  lru_.splice(lru_.begin(), lru_, b.lru);
  if (now_ms > b.updated_ms) {
    b.tokens =
        std::min(burst_, b.tokens + static_cast<double>(now_ms - b.updated_ms) *
                                        per_ms_);
    b.updated_ms = now_ms;
  }
  return b;
}

bool RateLimiter::Allow(std::string_view key, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = Refill(key, now_ms);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

int64_t RateLimiter::RetryAfterSeconds(std::string_view key, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = Refill(key, now_ms);
  if (b.tokens >= 1.0) return 0;
  if (per_ms_ <= 0) return INT64_MAX / 1000;
  double ms = (1.0 - b.tokens) / per_ms_;
  return static_cast<int64_t>(std::ceil(ms / 1000.0));
}

size_t RateLimiter::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace seal::portal
