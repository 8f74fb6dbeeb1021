// SystemClock: time(2).
#include "lib/store/clock.h"

#include <ctime>

namespace seal::store {

int64_t SystemClock::Now() const { return static_cast<int64_t>(time(nullptr)); }

Clock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

}  // namespace seal::store
