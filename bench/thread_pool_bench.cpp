// ThreadPool: many small parallel_for's (256 elements of a little work),
// on 1 and 2 threads, quiet and with a busy competitor thread sharing the
// cores (was thread_pool_test's "2 threads < 4x 1 thread + 0.5 s"). With
// the competitor, 2 threads should degrade, not collapse, against 1.
//   cmake --build <dir> --target thread_pool_bench && <dir>/bench/thread_pool_bench
#include <benchmark/benchmark.h>

#include <vector>

#include "core/thread_pool.h"
#include "support/busy_threads.h"

namespace {

// Args: pool threads, busy competitor threads. One iteration: one call.
void BM_SmallParallelFor(benchmark::State& state) {
  constexpr int64_t kN = 256;
  r1::ThreadPool pool(static_cast<int>(state.range(0)));
  const r1::test_support::BusyThreads busy(static_cast<int>(state.range(1)));
  std::vector<double> out(static_cast<size_t>(kN));
  int64_t r = 0;
  for (auto _ : state) {
    pool.parallel_for(kN, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        double v = static_cast<double>(i + r);
        for (int k = 0; k < 200; ++k) v = v * 0.999 + 1.0;
        out[static_cast<size_t>(i)] = v;
      }
    });
    benchmark::DoNotOptimize(out.data());
    ++r;
  }
  state.SetItemsProcessed(state.iterations() * kN);
}
BENCHMARK(BM_SmallParallelFor)
    ->ArgNames({"threads", "busy"})
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
