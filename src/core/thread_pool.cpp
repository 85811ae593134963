#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace r1 {
namespace {

// How long a thread spins (checking the clock every kSpinBatch pauses)
// before it sleeps: long enough to bridge the gaps between the small
// parallel loops of a decode step, short enough not to starve a competing
// process of a shared core.
constexpr std::chrono::microseconds kSpinTime{100};
constexpr int kSpinBatch = 64;

inline void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  wake(work_sleepers_, work_cv_);
  for (auto& t : workers_) t.join();
}

// The state pred reads is changed (seq_cst) before wake() reads sleepers
// (seq_cst), and a sleeper counts itself before checking pred under mu_: so
// either the waker sees the sleeper and notifies under mu_, or the sleeper
// sees the new state.
template <typename Pred>
void ThreadPool::wait_for(Pred pred, std::atomic<int>& sleepers, std::condition_variable& cv) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (int i = 1; !pred(); ++i) {
    cpu_relax();
    if (i % kSpinBatch == 0 && std::chrono::steady_clock::now() > deadline) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers.fetch_add(1);
      cv.wait(lock, pred);
      sleepers.fetch_sub(1);
      return;
    }
  }
}

void ThreadPool::wake(std::atomic<int>& sleepers, std::condition_variable& cv) {
  if (sleepers.load() == 0) return;
  { std::lock_guard<std::mutex> lock(mu_); }
  cv.notify_all();
}

void ThreadPool::run(const Job& fn) {
  if (n_threads_ == 1) {
    fn(0, 1);
    return;
  }
  if (solo_left_ > 0) {  // another process holds a core: see the header
    --solo_left_;
    ++solo_total_;
    fn(0, 1);
    return;
  }
  job_.store(&fn, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  next_index_.store(1, std::memory_order_release);  // publishes job_ and done_
  generation_.fetch_add(1);
  wake(work_sleepers_, work_cv_);
  const auto t0 = std::chrono::steady_clock::now();
  fn(0, n_threads_);
  run_claimed();  // indices no worker has started yet
  const auto t1 = std::chrono::steady_clock::now();
  wait_for([&] { return done_.load() == n_threads_ - 1; }, done_sleepers_, done_cv_);
  if (stragglers_.note(t1 - t0, std::chrono::steady_clock::now() - t1)) solo_left_ = kSoloRuns;
}

bool StragglerDetector::note(std::chrono::nanoseconds work, std::chrono::nanoseconds tail) {
  window_work_ += work;
  window_tail_ += tail;
  if (++window_runs_ < kWindowRuns) return false;
  // Balanced threads finish within a chunk of each other; waiting over
  // half of the caller's own working time, two windows in a row, means a
  // thread keeps losing its core to another process (one window alone can
  // be page faults of a first pass over the weights).
  bad_windows_ = window_tail_ * 2 > window_work_ ? bad_windows_ + 1 : 0;
  window_runs_ = 0;
  window_work_ = window_tail_ = std::chrono::nanoseconds(0);
  if (bad_windows_ < 2) return false;
  bad_windows_ = 0;
  return true;
}

void ThreadPool::run_claimed() {
  for (int i; (i = next_index_.fetch_add(1, std::memory_order_acq_rel)) < n_threads_;) {
    (*job_.load(std::memory_order_relaxed))(i, n_threads_);
    if (done_.fetch_add(1) + 1 == n_threads_ - 1) wake(done_sleepers_, done_cv_);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (n_threads_ == 1) {
    fn(0, n);
    return;
  }
  const int64_t n_chunks = std::min<int64_t>(n, int64_t{kChunksPerThread} * n_threads_);
  std::atomic<int64_t> next{0};
  run([&](int, int) {
    for (int64_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < n_chunks;) {
      fn(n / n_chunks * c + std::min(c, n % n_chunks), n / n_chunks * (c + 1) + std::min(c + 1, n % n_chunks));
    }
  });
}

void ThreadPool::worker_loop() {
  uint32_t seen = 0;
  for (;;) {
    wait_for([&] { return generation_.load() != seen; }, work_sleepers_, work_cv_);
    if (stop_.load()) return;
    seen = generation_.load();
    run_claimed();
  }
}

}  // namespace r1
