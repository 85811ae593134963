// Float ops of the forward pass, and the weight x activation product.
// All buffers are row-major float32 unless stated.
//
// Thread contract: pure functions over caller-owned buffers; matmul splits
// rows across the pool's threads and returns when all are done.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace r1 {
class ThreadPool;
}

namespace r1::kernels {

// A 2-D weight: rows x cols in dtype, row-major, rows contiguous.
struct WeightView {
  const void* data = nullptr;
  DType type = DType::kF32;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features (the dot length)
};

// y[t * w.rows + r] = dot(w row r, x[t * w.cols ...]) for t < n_tokens.
// x is converted once per token to the weight's vec_dot_type, exactly as the
// reference does, so results do not depend on thread count or batch size.
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y,
            ThreadPool* pool);

// y = x / sqrt(mean(x^2) + eps) * weight; weight may be nullptr (no scale).
void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps);

// In-place softmax over n values.
void softmax(float* x, int64_t n);

// out[i] = silu(gate[i]) * up[i]
void swiglu(const float* gate, const float* up, float* out, int64_t n);

// x[i] += y[i]
void add(float* x, const float* y, int64_t n);

struct RopeParams {
  int64_t head_dim = 0;   // elements per head
  int64_t n_rot = 0;      // rotated dims (== head_dim for our models)
  bool neox = true;       // NeoX (pairs i, i + n_rot/2) vs GPT-J (pairs 2i, 2i+1)
  float theta_base = 10000.0f;
  const float* freq_factors = nullptr;  // n_rot / 2 divisors (llama3 rope_freqs)
};

// Rotates n_heads heads of one token in place at position pos.
void rope(float* x, int64_t n_heads, int64_t pos, const RopeParams& p);

}  // namespace r1::kernels
