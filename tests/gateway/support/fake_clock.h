// A Clock (core/clock.h) that moves only when told, for the deterministic
// timing tests of the gateway's policy components.
//
// Thread contract: now(), advance() and set() may be called from any thread
// (one atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/clock.h"

namespace r1 {

// Starts at an arbitrary fixed point (not the epoch, so "now - window" never
// underflows).
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

}  // namespace r1
