// Sampler microbenchmarks over a DeepSeek-R1-sized vocabulary (151,936):
// the per-token work the engine thread does outside the forward pass.
//   cmake --build <dir> --target sampling_bench && <dir>/bench/sampling_bench
// "flat": logits ~ N(0, 2) as a random-weight model gives (the nucleus holds
// most of the vocabulary); "peaked": a trained model's shape (a few
// candidates carry the mass).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sampling/logit_ops.h"
#include "sampling/sampler.h"

namespace {

constexpr int kVocab = 151936;

std::vector<float> logits(bool peaked) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> v(kVocab);
  for (float& x : v) x = normal(rng);
  if (peaked) {
    for (int i = 0; i < 8; ++i) v[static_cast<size_t>(i * 9973)] = 18.0f - static_cast<float>(i);
  }
  return v;
}

// R1's defaults: temperature 0.6, top_p 0.95.
void BM_SampleR1Defaults(benchmark::State& state) {
  const std::vector<float> row = logits(state.range(0) != 0);
  r1::sampling::SamplingParams p;
  p.temperature = 0.6f;
  p.top_p = 0.95f;
  p.seed = 1;
  r1::sampling::Sampler sampler(p, kVocab);
  for (auto _ : state) benchmark::DoNotOptimize(sampler.sample(row));
  state.SetLabel(state.range(0) != 0 ? "peaked" : "flat");
}
BENCHMARK(BM_SampleR1Defaults)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_Greedy(benchmark::State& state) {
  const std::vector<float> row = logits(false);
  r1::sampling::SamplingParams p;
  p.temperature = 0.0f;
  r1::sampling::Sampler sampler(p, kVocab);
  for (auto _ : state) benchmark::DoNotOptimize(sampler.sample(row));
}
BENCHMARK(BM_Greedy)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
