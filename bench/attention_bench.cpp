// Decode attention of one token at 4096 positions, R1-1.5B shape (12 heads,
// 2 kv heads, head_dim 128), one layer: the previous implementation (one
// softmax, the cache read position by position: legacy_attend in
// tests/model/kv_attention_util.h) against attend() on 1 and 2 threads.
// After the table it prints the previous-vs-now figures on one line. (The
// test KvAttention.AgreesWithThePreviousImplementationAt4k checks that the
// two compute the same thing.) Not run by ctest:
//   cmake --build <dir> --target attention_bench && <dir>/bench/attention_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kv_attention_util.h"
#include "model/attention/attention.h"
#include "model/attention/attention_kernels.h"

namespace r1::model::test {
namespace {

constexpr int32_t kPositions = 4096;

// The sequence and query of every benchmark, made once.
struct Decode4k {
  ModelConfig c = attn_config(12, 2, 128);
  Seq s = make_seq(c, nullptr, kPositions, 1);
  std::vector<float> q = random_q(c, 1, 2);
  std::vector<float> out = std::vector<float>(q.size());
  BatchEntry e{0, kPositions - 1, s.cache.get(), false};
};

Decode4k& decode_4k() {
  static Decode4k d;
  return d;
}

void bm_previous(benchmark::State& state) {
  Decode4k& d = decode_4k();
  for (auto _ : state) {
    legacy_attend(d.c, d.e, d.q.data(), d.out.data());
    benchmark::DoNotOptimize(d.out.data());
  }
}

// attend() on `threads` threads (1: no pool), the workspace grown beforehand.
void bm_now(benchmark::State& state, int threads) {
  Decode4k& d = decode_4k();
  ThreadPool pool(threads);
  ThreadPool* tp = threads > 1 ? &pool : nullptr;
  Scratch scratch(d.c, 1);
  const AttentionInput in{.config = &d.c, .layer = 1, .batch = {&d.e, 1}, .q = d.q.data(), .out = d.out.data()};
  attend(in, scratch, tp);
  for (auto _ : state) {
    attend(in, scratch, tp);
    benchmark::DoNotOptimize(d.out.data());
  }
}

// The console table, then one line: previous vs now.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  SummaryReporter() : ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred || r.iterations == 0) continue;
      ms_[r.run_name.function_name] = r.real_accumulated_time * 1e3 / static_cast<double>(r.iterations);
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    if (!ms_.count("decode_4k/previous") || !ms_.count("decode_4k/now")) return;
    const double previous = ms_["decode_4k/previous"], now = ms_["decode_4k/now"];
    std::printf("decode attention, %d positions, 12/2 heads x 128, one layer (vec_dot %s, attention %s): "
                "previous %.3f ms, now %.3f ms (%.1fx)",
                kPositions, kernels::isa_name(kernels::active_isa()),
                attention_path() == AttentionPath::kF16c ? "f16c" : "scalar", previous, now, previous / now);
    if (ms_.count("decode_4k/now_2_threads")) std::printf(", now on 2 threads %.3f ms", ms_["decode_4k/now_2_threads"]);
    std::printf("\n");
  }

 private:
  std::map<std::string, double> ms_;  // real time per iteration, by benchmark
};

void register_all() {
  benchmark::RegisterBenchmark("decode_4k/previous", bm_previous)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("decode_4k/now", bm_now, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("decode_4k/now_2_threads", bm_now, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace
}  // namespace r1::model::test

int main(int argc, char** argv) {
  r1::model::test::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  r1::model::test::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
