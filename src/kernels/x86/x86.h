// Private to src/kernels: the x86 SIMD kernels and their per-ISA override
// tables. Each ISA lives in one file compiled with that ISA's flags
// (avx2.cpp: AVX2+FMA+F16C; avx512.cpp: AVX-512 F/BW/VL/DQ/VNNI), so nothing
// here may be called unless cpu_supports() says the ISA is present.
//
// Integer dot products are exact; only the float scaling order differs from
// the reference (within the tests' 1e-5 relative bound). Float-type dots
// multiply in float and accumulate in double as the reference does. The
// activation quantizers (Q8_0, Q8_1, Q8_K from_float) are byte-identical
// with the reference for every input, NaN and inf included.
//
// Thread contract: pure functions over caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace r1::kernels::x86 {

// One override: a null field keeps the fallback table's op.
struct IsaOverride {
  DType type;
  QuantOps ops;
};

// A multi-token kernel ("vec_dot with T accumulators"): each weight block is
// unpacked once and dotted with up to kGemmTokens activation rows.
// out[t * out_stride] is bit for bit this ISA's vec_dot(n, w, a_t), where
// a_t is token t's vec_dot_type row: the integer parts are exact and every
// float accumulator sees vec_dot's operations in vec_dot's order, so results
// do not depend on how tokens are batched.
constexpr int kGemmTokens = 8;

// One multi-token call: rows r < `rows` of the weights (row r at w + r *
// w_stride, n elements) against n_tok packed token rows (token t at a + t *
// a_stride); out[t * out_stride + r].
struct GemmCall {
  int64_t n;
  const uint8_t* w;
  size_t w_stride;
  int64_t rows;
  const uint8_t* a;
  size_t a_stride;
  int n_tok;  // 1..kGemmTokens
  float* out;
  int64_t out_stride;
  bool stream = false;  // the rows are read once (a single token tile)
};

struct GemmKernel {
  // Bytes of one token's packed activations for n elements, and the repack
  // of one token's vec_dot_type row into them; both nullptr where the kernel
  // reads the vec_dot_type rows as they are.
  size_t (*packed_bytes)(int64_t n);
  void (*pack)(int64_t n, const void* a, uint8_t* dst);
  void (*dot)(const GemmCall& call);
};

// The multi-token kernel of a weight type on a path, or nullptr.
const GemmKernel* avx2_gemm(DType t);
const GemmKernel* avx512_gemm(DType t);

// Overrides of the AVX2 path (over the scalar table).
const IsaOverride* avx2_overrides(int* count);
// Overrides of the AVX-512 path (over the AVX2 table).
const IsaOverride* avx512_overrides(int* count);

}  // namespace r1::kernels::x86
