// A persistent pool of worker threads for data-parallel loops.
//
// run(fn) calls fn(thread_index, n_threads) once on each of the pool's
// threads, the calling thread being index 0, and returns when all are done.
// Workers spin briefly and then sleep, so a pool sharing cores with another
// busy process degrades instead of collapsing.
//
// Thread contract: run() is called from one thread at a time (the owner);
// fn runs concurrently on all threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace r1 {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  void run(const std::function<void(int thread, int n_threads)>& fn);

  // Splits [0, n) into contiguous chunks, one per thread.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  void worker_loop(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace r1
