// ThreadPool under load: every index and every element is covered exactly
// once across many small calls, with busy competitor threads sharing the
// cores. The throughput is bench/thread_pool_bench (no wall-clock asserts
// here: these machines have 2 cores and other tests run alongside).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/thread_pool.h"
#include "support/busy_threads.h"

namespace r1 {
namespace {

using test_support::BusyThreads;

// `rounds` parallel_for's of n elements of a little work each; checks that
// every element is visited exactly once per round.
void small_loops(ThreadPool& pool, int rounds, int64_t n) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::vector<double> out(static_cast<size_t>(n));
  for (int r = 0; r < rounds; ++r) {
    pool.parallel_for(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        double v = static_cast<double>(i + r);
        for (int k = 0; k < 200; ++k) v = v * 0.999 + 1.0;
        out[static_cast<size_t>(i)] = v;
        hits[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& h : hits) EXPECT_EQ(h.load(), rounds);
}

TEST(ThreadPool, RunCoversEachIndexOnceUnderContention) {
  BusyThreads busy(2);
  for (int threads : {2, 3, 5}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> seen(static_cast<size_t>(threads));
    const int rounds = 500;
    for (int r = 0; r < rounds; ++r) {
      pool.run([&](int t, int nt) {
        // All threads, or the caller alone while stragglers are detected.
        ASSERT_TRUE(nt == threads || (nt == 1 && t == 0)) << t << "/" << nt;
        seen[static_cast<size_t>(t)].fetch_add(1);
      });
    }
    EXPECT_EQ(seen[0].load(), rounds);
    for (size_t t = 1; t < seen.size(); ++t) EXPECT_EQ(seen[t].load(), rounds - pool.solo_runs());
  }
}

// The rule itself, with given durations: two windows in a row whose waits
// exceed half the caller's work switch to the caller alone; one bad window,
// a good one between two bad ones, or waits of exactly half do not.
TEST(StragglerDetector, TwoBadWindowsInARowAndOnlyThen) {
  using std::chrono::microseconds;
  constexpr int kW = StragglerDetector::kWindowRuns;
  auto window = [](StragglerDetector& d, microseconds work, microseconds tail) {
    int fired = 0;
    for (int i = 0; i < kW; ++i) fired += d.note(work, tail) ? 1 : 0;
    return fired;
  };
  StragglerDetector d;
  EXPECT_EQ(window(d, microseconds(100), microseconds(60)), 0);  // one bad window
  EXPECT_EQ(window(d, microseconds(100), microseconds(10)), 0);  // good: resets
  EXPECT_EQ(window(d, microseconds(100), microseconds(60)), 0);
  EXPECT_EQ(window(d, microseconds(100), microseconds(60)), 1);  // second in a row
  EXPECT_EQ(window(d, microseconds(100), microseconds(60)), 0);  // counting starts over
  EXPECT_EQ(window(d, microseconds(100), microseconds(60)), 1);
  StragglerDetector half;
  for (int w = 0; w < 4; ++w) EXPECT_EQ(window(half, microseconds(100), microseconds(50)), 0);
  // The sums decide, not single calls: one long wait in a window of short ones.
  StragglerDetector sums;
  for (int w = 0; w < 2; ++w) {
    int fired = 0;
    for (int i = 0; i < kW; ++i) fired += sums.note(microseconds(100), microseconds(i == 0 ? 3300 : 0)) ? 1 : 0;
    EXPECT_EQ(fired, w == 1 ? 1 : 0);
  }
}

// A worker that keeps finishing its index long after the caller (as when
// the OS deschedules it) makes the pool run calls on the caller alone for a
// while; the work is still done exactly once per call. The caller's index
// waits until the worker has started index 1 (so the caller never claims
// it), and index 1 then takes 10 ms: the wait dwarfs the caller's work
// however slowly the machine wakes the worker.
TEST(ThreadPool, StragglingWorkerSwitchesToTheCallerAlone) {
  ThreadPool pool(2);
  // Every call of the two windows runs on both threads (ASSERT_EQ(nt, 2)):
  // the rule decides at the end of the second window, not before.
  for (int r = 0; r < 2 * ThreadPool::kWindowRuns; ++r) {
    std::atomic<int> calls{0};
    std::atomic<bool> started{false};
    pool.run([&](int t, int nt) {
      ASSERT_EQ(nt, 2);
      calls.fetch_add(1);
      if (t == 0) {
        while (!started.load()) std::this_thread::yield();
      } else {
        started.store(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
    ASSERT_EQ(calls.load(), 2);
  }
  EXPECT_EQ(pool.solo_runs(), 0);
  std::atomic<int> covered{0};
  pool.parallel_for(100, [&](int64_t b, int64_t e) { covered.fetch_add(static_cast<int>(e - b)); });
  EXPECT_EQ(covered.load(), 100);
  EXPECT_EQ(pool.solo_runs(), 1) << "never detected the straggler";
  int nts = 0;
  pool.run([&](int, int nt) { nts = nt; });
  EXPECT_EQ(nts, 1);  // still within kSoloRuns
}

TEST(ThreadPool, ParallelForChunksCoverRange) {
  ThreadPool pool(3);
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{7}, int64_t{12}, int64_t{13}, int64_t{1001}}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    std::atomic<int> calls{0};
    pool.parallel_for(n, [&](int64_t b, int64_t e) {
      EXPECT_LT(b, e);
      calls.fetch_add(1);
      for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    EXPECT_LE(calls.load(), ThreadPool::kChunksPerThread * 3);
  }
}

// Their speed, quiet and with the competitor (two threads degrade, not
// collapse), is bench/thread_pool_bench.
TEST(ThreadPool, SmallLoopsWithBusyCompetitor) {
  constexpr int kRounds = 3000;
  constexpr int64_t kN = 256;
  ThreadPool one(1), two(2);
  small_loops(one, kRounds, kN);
  small_loops(two, kRounds, kN);
  BusyThreads busy(1);
  small_loops(one, kRounds, kN);
  small_loops(two, kRounds, kN);
}

}  // namespace
}  // namespace r1
