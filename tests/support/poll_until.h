// Waiting in a test for something another thread or process makes true:
// polls `done` every `period` until it holds or `timeout` passes, and
// returns its last value. The bound is generous on purpose (no timing is
// asserted by it): a loaded machine only makes the wait longer.
//
// Thread contract: a pure function of its arguments.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace r1::test_support {

inline bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds period = std::chrono::milliseconds(20)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= end) return done();
    std::this_thread::sleep_for(period);
  }
}

}  // namespace r1::test_support
