// matmul: activations converted once per token to the weight's vec_dot_type,
// then one vec_dot per (row, token). Every output is the same function of
// (weight row, token row), so results do not depend on threads or batch.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/check.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"

namespace r1::kernels {
namespace {

constexpr int64_t kRowTile = 16;  // weight rows kept hot across the tokens

void run_range(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool == nullptr || pool->size() == 1 || n <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  pool->parallel_for(n, fn);
}

}  // namespace

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool) {
  CHECK(w.data != nullptr && x != nullptr && y != nullptr);
  CHECK(w.rows > 0 && w.cols > 0 && n_tokens > 0) << w.rows << "x" << w.cols << " @ " << n_tokens;
  const DTypeTraits& traits = dtype_traits(w.type);
  CHECK(traits.supported) << "matmul on unsupported dtype " << traits.name;
  const VecDotFn vec_dot = quant_ops(w.type).vec_dot;
  CHECK(vec_dot != nullptr) << traits.name;
  const size_t w_row_bytes = dtype_row_bytes(w.type, w.cols);
  const size_t a_row_bytes = dtype_row_bytes(traits.vec_dot_type, w.cols);

  const uint8_t* acts = reinterpret_cast<const uint8_t*>(x);
  thread_local std::vector<uint8_t> scratch;
  if (traits.vec_dot_type != DType::kF32) {
    const FromFloatFn from_float = quant_ops(traits.vec_dot_type).from_float;
    CHECK(from_float != nullptr);
    scratch.resize(a_row_bytes * static_cast<size_t>(n_tokens));
    uint8_t* dst = scratch.data();
    run_range(pool, n_tokens, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) from_float(x + t * w.cols, dst + t * a_row_bytes, w.cols);
    });
    acts = dst;
  }

  const auto* weights = static_cast<const uint8_t*>(w.data);
  const int64_t n_tiles = (w.rows + kRowTile - 1) / kRowTile;
  run_range(pool, n_tiles, [&](int64_t tile0, int64_t tile1) {
    const int64_t r_end = std::min(w.rows, tile1 * kRowTile);
    for (int64_t r0 = tile0 * kRowTile; r0 < r_end; r0 += kRowTile) {
      const int64_t r1 = std::min(r_end, r0 + kRowTile);
      for (int64_t t = 0; t < n_tokens; ++t) {
        const uint8_t* a = acts + t * a_row_bytes;
        float* yt = y + t * w.rows;
        for (int64_t r = r0; r < r1; ++r) yt[r] = vec_dot(w.cols, weights + r * w_row_bytes, a);
      }
    }
  });
}

}  // namespace r1::kernels
