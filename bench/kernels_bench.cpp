// Single-thread matvec throughput per weight type and ISA, in GB/s of weight
// bytes read: one token through a 8960 x 1536 weight (the FFN shape of the
// 1.5B distill), including the activation's conversion to vec_dot_type.
// "hot": one matrix, cache-resident where it fits; "cold": copies rotated
// so the working set (>= 128 MiB) is far beyond the L3, as in decode.
// prefill/...: a rows x cols weight times 128 tokens on 1 or 2 threads, the
// multi-token matmul against the old per-(row, token) vec_dot loop
// ("pertoken"); counters: tokens/s and GFLOP/s.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "tensor/dtype.h"

namespace r1::kernels {
namespace {

constexpr int64_t kRows = 8960;
constexpr int64_t kCols = 1536;
constexpr size_t kColdBytes = size_t{128} << 20;

std::vector<float> gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

void bm_matvec(benchmark::State& state, DType t, Isa isa, bool cold) {
  set_isa(isa);
  const size_t row_bytes = dtype_row_bytes(t, kCols);
  const size_t mat_bytes = row_bytes * kRows;
  // Copies of one quantized row (the values do not matter for speed).
  std::vector<uint8_t> row(row_bytes);
  quant_ops(t, Isa::kScalar).from_float(gaussian(kCols, 1).data(), row.data(), kCols);
  const size_t copies = cold ? (kColdBytes + mat_bytes - 1) / mat_bytes + 1 : 1;
  std::vector<uint8_t> mats(mat_bytes * copies);
  for (size_t r = 0; r < kRows * copies; ++r) std::memcpy(mats.data() + r * row_bytes, row.data(), row_bytes);
  const auto x = gaussian(kCols, 2);
  std::vector<float> y(kRows);
  size_t c = 0;
  for (auto _ : state) {
    const WeightView w{mats.data() + c * mat_bytes, t, kRows, kCols};
    matmul(w, x.data(), 1, y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
    c = (c + 1) % copies;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * mat_bytes));
  set_isa(detected_isa());
}

constexpr int64_t kPrefillTokens = 128;

// The old matmul: activations converted per token, then one vec_dot per
// (row, token) over 16-row tiles, the tiles split across the threads.
void matmul_per_token(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const DTypeTraits& tr = dtype_traits(w.type);
  const size_t w_row = dtype_row_bytes(w.type, w.cols), a_row = dtype_row_bytes(tr.vec_dot_type, w.cols);
  std::vector<uint8_t> acts(a_row * static_cast<size_t>(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) {
    quant_ops(tr.vec_dot_type).from_float(x + t * w.cols, acts.data() + t * a_row, w.cols);
  }
  const VecDotFn dot = quant_ops(w.type).vec_dot;
  const auto* wb = static_cast<const uint8_t*>(w.data);
  pool.parallel_for((w.rows + 15) / 16, [&](int64_t t0, int64_t t1) {
    for (int64_t r0 = t0 * 16; r0 < std::min(w.rows, t1 * 16); r0 += 16) {
      for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t r = r0; r < std::min(w.rows, r0 + 16); ++r) {
          y[t * w.rows + r] = dot(w.cols, wb + r * w_row, acts.data() + t * a_row);
        }
      }
    }
  });
}

void bm_prefill(benchmark::State& state, DType t, Isa isa, int64_t rows, int64_t cols, int threads, bool old_path) {
  set_isa(isa);
  const size_t row_bytes = dtype_row_bytes(t, cols);
  std::vector<uint8_t> mat(row_bytes * rows);
  for (int64_t r = 0; r < rows; r += 64) {  // 64 distinct rows, repeated
    const auto v = gaussian(cols, static_cast<uint32_t>(r));
    quant_ops(t).from_float(v.data(), mat.data() + r * row_bytes, cols);
  }
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(mat.data() + r * row_bytes, mat.data() + (r / 64 * 64) * row_bytes, row_bytes);
  }
  const auto x = gaussian(cols * kPrefillTokens, 3);
  std::vector<float> y(static_cast<size_t>(rows * kPrefillTokens));
  ThreadPool pool(threads);
  const WeightView w{mat.data(), t, rows, cols};
  for (auto _ : state) {
    if (old_path) {
      matmul_per_token(w, x.data(), kPrefillTokens, y.data(), pool);
    } else {
      matmul(w, x.data(), kPrefillTokens, y.data(), &pool);
    }
    benchmark::DoNotOptimize(y.data());
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["tok/s"] = benchmark::Counter(n * kPrefillTokens, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(n * 2e-9 * static_cast<double>(rows * cols * kPrefillTokens), benchmark::Counter::kIsRate);
  set_isa(detected_isa());
}

void register_prefill() {
  const std::pair<int64_t, int64_t> shapes[] = {{8960, 1536}, {1536, 8960}};
  for (DType t : {DType::kQ4_K, DType::kQ6_K, DType::kQ8_0, DType::kF16}) {
    for (const auto& [rows, cols] : shapes) {
      for (Isa isa : {Isa::kAvx512, Isa::kAvx2}) {
        if (!cpu_supports(isa)) continue;
        for (int threads : {1, 2}) {
          for (bool old_path : {true, false}) {
            const std::string name = std::string("prefill/") + std::string(dtype_traits(t).name) + "/" +
                                     isa_name(isa) + "/" + std::to_string(rows) + "x" + std::to_string(cols) +
                                     "/t" + std::to_string(threads) + (old_path ? "/pertoken" : "/gemm");
            benchmark::RegisterBenchmark(name.c_str(), bm_prefill, t, isa, rows, cols, threads, old_path)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
          }
        }
      }
    }
  }
}

void register_all() {
  register_prefill();
  const DType types[] = {DType::kQ4_K, DType::kQ6_K, DType::kQ8_0, DType::kQ5_K, DType::kQ4_0, DType::kQ4_1,
                         DType::kQ5_0, DType::kQ5_1, DType::kF16,  DType::kBF16, DType::kF32};
  for (bool cold : {false, true}) {
    for (DType t : types) {
      for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
        if (!cpu_supports(isa)) continue;
        const std::string name = std::string("matvec/") + std::string(dtype_traits(t).name) + "/" +
                                 isa_name(isa) + (cold ? "/cold" : "/hot");
        benchmark::RegisterBenchmark(name.c_str(), bm_matvec, t, isa, cold)->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace
}  // namespace r1::kernels

int main(int argc, char** argv) {
  r1::kernels::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
