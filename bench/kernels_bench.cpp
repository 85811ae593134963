// Single-thread matvec throughput per weight type and ISA, in GB/s of weight
// bytes read: one token through a 8960 x 1536 weight (the FFN shape of the
// 1.5B distill), including the activation's conversion to vec_dot_type.
// "hot": one matrix, cache-resident where it fits; "cold": copies rotated
// so the working set (>= 128 MiB) is far beyond the L3, as in decode.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

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

void register_all() {
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
