// Monotonic time: the one clock of the tree.
//
// `SteadyClock` is std::chrono::steady_clock, for code that reads the time
// directly. `Clock` is the injectable form for components whose timing logic
// is tested deterministically (breaker, outlier detector, health checker,
// supervisor, rollouts): they take a `const Clock&`, production passes
// real_clock(), tests pass a FakeClock (tests/gateway/support/fake_clock.h).
//
// Thread contract: Clock::now() and the free functions are safe from any
// thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace r1 {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint now() const override { return SteadyClock::now(); }
};

// A process-wide RealClock for callers that don't inject one.
inline const Clock& real_clock() {
  static const RealClock clock;
  return clock;
}

inline double seconds_since(TimePoint t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

}  // namespace r1
