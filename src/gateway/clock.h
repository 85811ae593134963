// Injectable monotonic clock for the gateway's policy components (breaker,
// outlier detector, health checker, supervisor), so their timing logic is
// tested deterministically with FakeClock instead of sleeps.
//
// Thread contract: Clock::now() is safe from any thread. FakeClock's
// advance()/set() may be called from any thread (atomic).
#pragma once

#include <atomic>
#include <chrono>

namespace r1::gateway {

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

// Starts at an arbitrary fixed point (not the epoch, so "now - window" never
// underflows) and moves only when told.
class FakeClock final : public Clock {
 public:
  FakeClock() : ns_(std::chrono::nanoseconds(std::chrono::hours(1000)).count()) {}
  TimePoint now() const override {
    return TimePoint(std::chrono::nanoseconds(ns_.load(std::memory_order_acquire)));
  }
  void advance(SteadyClock::duration d) {
    ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(),
                  std::memory_order_acq_rel);
  }
  void set(TimePoint t) {
    ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(),
              std::memory_order_release);
  }

 private:
  std::atomic<int64_t> ns_;
};

// A process-wide RealClock for callers that don't inject one.
inline const Clock& real_clock() {
  static const RealClock clock;
  return clock;
}

}  // namespace r1::gateway
