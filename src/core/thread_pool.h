// A persistent pool of worker threads for data-parallel loops.
//
// run(fn) calls fn(index, n_threads) once for each index in [0, n_threads)
// and returns when all are done. The calling thread runs index 0, then
// claims any index no worker has started yet, so a worker that is asleep or
// descheduled (other processes share the cores) does not hold the call up;
// an index may therefore run on any thread, but each runs exactly once and
// on one thread. Workers and the caller spin briefly and then sleep (on a
// condition variable) both for new work and for completion, so a pool
// sharing cores with another busy process degrades instead of collapsing.
//
// Stragglers: a worker descheduled in the middle of its index holds the
// call up until the OS runs it again, which no stealing can avoid. run()
// measures how long it waits for the last index after the caller ran out of
// work; when, over two windows of kWindowRuns calls in a row, those waits
// add up to more than half of the caller's own working time, another
// process is taking a core: the next kSoloRuns calls run fn(0, 1) on the caller alone (so fn
// must accept any n_threads <= size()), then the pool tries all threads
// again.
//
// Thread contract: run() and parallel_for() are called from one thread at a
// time (the owner); fn runs concurrently on all threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace r1 {

// The straggler rule of one pool, apart from the threads and the clock so
// that it can be tested with given durations. Thread contract: one owner.
class StragglerDetector {
 public:
  static constexpr int kWindowRuns = 64;
  // Adds one call's caller working time and its wait for the last index;
  // true when the rule says: run the next calls on the caller alone.
  bool note(std::chrono::nanoseconds work, std::chrono::nanoseconds tail);

 private:
  int window_runs_ = 0;
  std::chrono::nanoseconds window_work_{0}, window_tail_{0};
  int bad_windows_ = 0;
};

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  void run(const std::function<void(int thread, int n_threads)>& fn);

  // Calls fn on contiguous chunks covering [0, n) exactly once, about
  // kChunksPerThread per thread, handed out in order to whichever thread is
  // free (so a descheduled thread's share is taken by the others).
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

  static constexpr int kChunksPerThread = 4;
  static constexpr int kWindowRuns = StragglerDetector::kWindowRuns;
  static constexpr int kSoloRuns = 4000;

  // Calls that ran on the caller alone because of stragglers (lifetime).
  int64_t solo_runs() const { return solo_total_; }

 private:
  using Job = std::function<void(int, int)>;

  void worker_loop();
  // Claims and runs indices of the current job until none is left.
  void run_claimed();
  // Spins for a while, then sleeps on cv until pred() holds.
  template <typename Pred>
  void wait_for(Pred pred, std::atomic<int>& sleepers, std::condition_variable& cv);
  void wake(std::atomic<int>& sleepers, std::condition_variable& cv);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::atomic<const Job*> job_{nullptr};
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> next_index_{0};  // next unclaimed index of the current job
  std::atomic<int> done_{0};        // indices >= 1 finished
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::atomic<int> work_sleepers_{0}, done_sleepers_{0};
  StragglerDetector stragglers_;  // owner thread only
  int solo_left_ = 0;
  int64_t solo_total_ = 0;
};

}  // namespace r1
