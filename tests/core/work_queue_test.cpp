// WorkQueue: tasks run on its threads in order, post() refuses beyond free
// threads + capacity, stop() drops what waits (running `dropped`) and joins.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/work_queue.h"

namespace r1 {
namespace {

// A gate the tasks wait on until the test opens it.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
};

void wait_running(const WorkQueue& q, int n) {
  while (q.running() < n) std::this_thread::yield();
}

TEST(WorkQueue, RunsTasksOffTheCallerInFifoOrder) {
  WorkQueue q(1, 16, "test-q");
  std::mutex mu;
  std::vector<int> order;
  std::atomic<int> done{0};
  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(q.post({[&, i] {
      EXPECT_NE(std::this_thread::get_id(), caller);
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      ++done;
    }, {}}));
  }
  while (done.load() < 10) std::this_thread::yield();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(WorkQueue, RefusesWhenThreadsAreBusyAndCapacityWaits) {
  for (int capacity : {0, 2}) {
    Gate gate;
    WorkQueue q(2, static_cast<size_t>(capacity), "test-q");
    ASSERT_TRUE(q.post({[&] { gate.wait(); }, {}}));
    ASSERT_TRUE(q.post({[&] { gate.wait(); }, {}}));
    wait_running(q, 2);
    for (int i = 0; i < capacity; ++i) EXPECT_TRUE(q.post({[] {}, {}})) << capacity;
    EXPECT_FALSE(q.post({[] {}, {}})) << capacity;
    EXPECT_EQ(q.queued(), static_cast<size_t>(capacity));
    gate.release();
  }
}

TEST(WorkQueue, StopDropsWaitingTasksAndLetsRunningOnesFinish) {
  Gate gate;
  std::atomic<int> ran{0}, dropped{0};
  auto q = std::make_unique<WorkQueue>(1, 4, "test-q");
  ASSERT_TRUE(q->post({[&] { gate.wait(); ++ran; }, [&] { ++dropped; }}));
  wait_running(*q, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q->post({[&] { ++ran; }, [&] { ++dropped; }}));
  std::thread stopper([&] { q->stop(); });
  while (dropped.load() < 3) std::this_thread::yield();  // dropped before the running one ends
  EXPECT_EQ(ran.load(), 0);
  gate.release();
  stopper.join();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_FALSE(q->post({[] {}, {}}));
  q.reset();  // a second stop in the destructor is harmless
}

}  // namespace
}  // namespace r1
