// BusyThreads: n threads that spin until destroyed, the "other processes on
// a shared 2-core machine" of the ThreadPool test and bench.
//
// Thread contract: owned by one thread; the spinning threads touch only
// the stop flag.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace r1::test_support {

class BusyThreads {
 public:
  explicit BusyThreads(int n) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        volatile uint64_t x = 0;
        while (!stop_.load(std::memory_order_relaxed)) x = x + 1;
      });
    }
  }
  ~BusyThreads() {
    stop_.store(true);
    for (auto& t : threads_) t.join();
  }
  BusyThreads(const BusyThreads&) = delete;
  BusyThreads& operator=(const BusyThreads&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace r1::test_support
