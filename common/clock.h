// Clock: the one way our code reads time, so tests can move it by hand.
//
// NowMillis() is wall-clock time (milliseconds since the Unix epoch), used for
// what is stored and shown. SteadyMillis() is monotonic, used for timeouts and
// periods. SystemClock is thread-safe; FakeClock is thread-safe too (atomics).
#pragma once

#include <atomic>
#include <cstdint>

namespace jobctl {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() const = 0;
  virtual int64_t SteadyMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override;
  int64_t SteadyMillis() const override;
  // A process-wide instance; never destroyed.
  static SystemClock* Get();
};

// A clock for tests: time moves only when Advance() is called.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_millis = 1'700'000'000'000) : now_(start_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  int64_t SteadyMillis() const override { return now_.load(); }
  void Advance(int64_t millis) { now_.fetch_add(millis); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace jobctl
