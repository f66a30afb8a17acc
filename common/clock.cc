#include "common/clock.h"

#include <chrono>

namespace jobctl {

int64_t SystemClock::NowMillis() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t SystemClock::SteadyMillis() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

SystemClock* SystemClock::Get() {
  static auto* clock = new SystemClock();
  return clock;
}

}  // namespace jobctl
