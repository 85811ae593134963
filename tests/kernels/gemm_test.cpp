// Batch invariance of matmul: for every ISA path and weight type, each
// (row, token) output of a multi-token matmul is bit for bit that path's
// vec_dot of the weight row and the token's converted activations, for any
// token count, thread count and weight alignment.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "kernels/test_util.h"

namespace r1::kernels {
namespace {

using testing::gaussian;

constexpr int64_t kRows = 37;
constexpr int64_t kTokenCounts[] = {1, 2, 3, 5, 8, 17, 64};

// Restores the detected ISA when a test ends.
struct IsaGuard {
  explicit IsaGuard(Isa isa) { set_isa(isa); }
  ~IsaGuard() { set_isa(detected_isa()); }
};

// Column counts that exercise each type's block loops (odd block counts,
// leftover pairs and quads).
std::vector<int64_t> col_counts(DType t) {
  const DType at = dtype_traits(t).vec_dot_type;
  const int64_t block = std::max<int64_t>(dtype_traits(t).block_size, dtype_traits(at).block_size);
  if (block >= 256) return {256, 768, 1536};
  return {block, 3 * block, 6 * block, 7 * block, 9 * block};
}

// Quantized rows, misaligned by `offset` bytes inside their buffer.
struct Weights {
  std::vector<uint8_t> storage;
  const uint8_t* data;
  Weights(DType t, int64_t rows, int64_t cols, size_t offset) {
    const size_t row_bytes = dtype_row_bytes(t, cols);
    storage.resize(row_bytes * rows + 16);
    data = storage.data() + offset;
    for (int64_t r = 0; r < rows; ++r) {
      const auto v = gaussian(cols, 1000 + static_cast<uint32_t>(r));
      quant_ops(t, Isa::kScalar).from_float(v.data(), storage.data() + offset + r * row_bytes, cols);
    }
  }
};

// y[t * rows + r] as the path's vec_dot gives it, one token at a time.
std::vector<float> per_token(DType t, Isa isa, const uint8_t* w, int64_t cols, const std::vector<float>& x,
                             int64_t n_tokens) {
  const DType at = dtype_traits(t).vec_dot_type;
  const size_t w_row = dtype_row_bytes(t, cols);
  std::vector<uint8_t> a(dtype_row_bytes(at, cols));
  std::vector<float> y(static_cast<size_t>(kRows * n_tokens));
  for (int64_t tok = 0; tok < n_tokens; ++tok) {
    const float* xt = x.data() + tok * cols;
    const void* ap = xt;
    if (at != DType::kF32) {
      quant_ops(at, isa).from_float(xt, a.data(), cols);
      ap = a.data();
    }
    for (int64_t r = 0; r < kRows; ++r) y[tok * kRows + r] = quant_ops(t, isa).vec_dot(cols, w + r * w_row, ap);
  }
  return y;
}

void check_type(DType t, Isa isa) {
  const IsaGuard guard(isa);
  ThreadPool pools[] = {ThreadPool(1), ThreadPool(2), ThreadPool(3)};
  for (int64_t cols : col_counts(t)) {
    const auto x = gaussian(cols * 64, 7 + static_cast<uint32_t>(cols), 2.0f);
    for (size_t offset : {size_t{0}, size_t{1}, size_t{3}}) {
      const Weights w(t, kRows, cols, offset);
      const WeightView view{w.data, t, kRows, cols};
      for (int64_t n : kTokenCounts) {
        const auto expect = per_token(t, isa, w.data, cols, x, n);
        for (ThreadPool& pool : pools) {
          std::vector<float> y(expect.size(), -1.0f);
          matmul(view, x.data(), n, y.data(), &pool);
          ASSERT_EQ(std::memcmp(y.data(), expect.data(), y.size() * sizeof(float)), 0)
              << dtype_traits(t).name << " " << isa_name(isa) << " cols=" << cols << " offset=" << offset
              << " tokens=" << n << " threads=" << pool.size();
        }
      }
    }
  }
}

TEST(Gemm, MultiTokenMatmulEqualsPerTokenVecDotBitwise) {
  for (Isa isa : testing::supported_isas()) {
    for (DType t : testing::weight_types()) check_type(t, isa);
  }
}

TEST(Gemm, NullPoolEqualsPool) {
  const DType t = DType::kQ4_K;
  const int64_t cols = 512, n = 9;
  const Weights w(t, kRows, cols, 0);
  const auto x = gaussian(cols * n, 3);
  std::vector<float> a(kRows * n), b(kRows * n);
  ThreadPool pool(2);
  matmul({w.data, t, kRows, cols}, x.data(), n, a.data(), nullptr);
  matmul({w.data, t, kRows, cols}, x.data(), n, b.data(), &pool);
  ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace r1::kernels
