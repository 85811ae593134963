// PeriodicThread: runs at once and again after each wait, wake() ends a
// long wait (also when it comes while the step runs), stop() ends a long
// wait, is idempotent, and the thread can be started again. No timing is
// asserted: the hour-long waits would hang the test if wake/stop failed.
#include "core/periodic_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "support/poll_until.h"

namespace r1 {
namespace {

using namespace std::chrono_literals;
using test_support::poll_until;
constexpr Duration kHour = std::chrono::hours(1);

TEST(PeriodicThread, RunsAtOnceThenAfterEachWaitUntilStopped) {
  std::atomic<int> runs{0};
  PeriodicThread t;
  t.start([&] {
    ++runs;
    return Duration{1};
  });
  EXPECT_TRUE(t.running());
  EXPECT_TRUE(poll_until([&] { return runs.load() >= 3; }, 10s));
  t.stop();
  EXPECT_FALSE(t.running());
  const int after = runs.load();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runs.load(), after);  // nothing runs after stop()
}

TEST(PeriodicThread, WakeEndsALongWait) {
  std::atomic<int> runs{0};
  PeriodicThread t;
  t.start([&] {
    ++runs;
    return kHour;
  });
  ASSERT_TRUE(poll_until([&] { return runs.load() == 1; }, 10s));
  t.wake();
  EXPECT_TRUE(poll_until([&] { return runs.load() == 2; }, 10s));
  t.wake();
  EXPECT_TRUE(poll_until([&] { return runs.load() == 3; }, 10s));
}

TEST(PeriodicThread, AWakeDuringTheStepIsNotLost) {
  std::mutex mu;
  std::condition_variable cv;
  bool in_step = false;
  bool release = false;
  std::atomic<int> runs{0};
  PeriodicThread t;
  t.start([&] {
    if (runs.load() == 0) {
      std::unique_lock<std::mutex> lock(mu);
      in_step = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    }
    ++runs;
    return kHour;
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_step; });
  }
  t.wake();  // while the first step runs
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(poll_until([&] { return runs.load() == 2; }, 10s));
}

TEST(PeriodicThread, StopEndsALongWaitIsIdempotentAndAllowsARestart) {
  std::atomic<int> runs{0};
  PeriodicThread t;
  auto step = [&] {
    ++runs;
    return kHour;
  };
  t.start(step);
  ASSERT_TRUE(poll_until([&] { return runs.load() == 1; }, 10s));
  t.stop();
  t.stop();
  EXPECT_FALSE(t.running());
  EXPECT_EQ(runs.load(), 1);
  t.start(step);
  EXPECT_TRUE(poll_until([&] { return runs.load() == 2; }, 10s));
}

TEST(PeriodicThread, StopBeforeStartIsANoOp) {
  PeriodicThread t;
  t.stop();
  EXPECT_FALSE(t.running());
}

}  // namespace
}  // namespace r1
