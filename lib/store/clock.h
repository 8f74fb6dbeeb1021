// Clock: the time source behind an interface, so tests can move time.
//
// Times are Unix seconds (UTC) throughout the store and the CA. SystemClock
// reads time(2); FakeClock is set and advanced by tests.
// Thread-safety: both implementations may be used from any thread.
#ifndef SEALMILTER_LIB_STORE_CLOCK_H_
#define SEALMILTER_LIB_STORE_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace seal::store {

inline constexpr int64_t kSecondsPerDay = 86400;

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch, UTC.
  virtual int64_t Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t Now() const override;
  // A process-wide instance.
  static Clock& Instance();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now) : now_(now) {}
  int64_t Now() const override { return now_.load(); }
  void Set(int64_t now) { now_.store(now); }
  void Advance(int64_t seconds) { now_.fetch_add(seconds); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace seal::store

#endif  // SEALMILTER_LIB_STORE_CLOCK_H_
