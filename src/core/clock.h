// Monotonic time helpers.
//
// Thread contract: pure functions.
#pragma once

#include <chrono>
#include <cstdint>

namespace r1 {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

}  // namespace r1
