// The F16C/AVX2/FMA attention kernels. Built with -mf16c -mavx2 -mfma (see
// CMakeLists.txt); reached only through attention_kernels(kF16c), which
// checks the CPU first. Bitwise identical to the scalar kernels for finite
// inputs (see attention_kernels.h).
#include "model/attention_kernels.h"

#include <cmath>

#include "core/check.h"

#if defined(__x86_64__) && defined(__F16C__) && defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

#include "tensor/half.h"

namespace r1::model {
namespace {

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

void to_fp16_f16c(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), kRound));
  }
  for (; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void round_weights_f16c(const float* e, float w, float* p, int64_t n) {
  const __m256 vw = _mm256_set1_ps(w);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(e + i), vw), kRound);
    _mm256_storeu_ps(p + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) p[i] = _cvtsh_ss(fp32_to_fp16(e[i] * w));
}

// Heads [h0, h0 + H), dims [i0, i0 + 16): the accumulators stay in registers
// while the rows stream by.
template <int H>
void v_sum_tile(const VSumArgs& a, int64_t h0, int64_t i0) {
  // Locals, so the stores to acc cannot be taken to change them.
  const int64_t d = a.d, n_rows = a.n_rows, v_stride = a.v_stride, p_stride = a.p_stride;
  float* const acc_out = a.acc + h0 * d + i0;
  const float* const p = a.p + h0 * p_stride;
  __m256 acc[H][2];
#pragma GCC unroll 8
  for (int h = 0; h < H; ++h) {
    acc[h][0] = _mm256_loadu_ps(acc_out + h * d);
    acc[h][1] = _mm256_loadu_ps(acc_out + h * d + 8);
  }
  const uint16_t* v = a.v + i0;
  for (int64_t j = 0; j < n_rows; ++j, v += v_stride) {
    const __m256 v0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v)));
    const __m256 v1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + 8)));
#pragma GCC unroll 8
    for (int h = 0; h < H; ++h) {
      const __m256 w = _mm256_broadcast_ss(p + h * p_stride + j);
      acc[h][0] = _mm256_fmadd_ps(w, v0, acc[h][0]);
      acc[h][1] = _mm256_fmadd_ps(w, v1, acc[h][1]);
    }
  }
#pragma GCC unroll 8
  for (int h = 0; h < H; ++h) {
    _mm256_storeu_ps(acc_out + h * d, acc[h][0]);
    _mm256_storeu_ps(acc_out + h * d + 8, acc[h][1]);
  }
}

// Dims [i0, d) one lane at a time (head dims not a multiple of 16).
void v_sum_tail(const VSumArgs& a, int64_t i0) {
  for (int64_t j = 0; j < a.n_rows; ++j) {
    const uint16_t* v = a.v + j * a.v_stride;
    for (int64_t h = 0; h < a.n_heads; ++h) {
      const float w = a.p[h * a.p_stride + j];
      float* acc = a.acc + h * a.d;
      for (int64_t i = i0; i < a.d; ++i) acc[i] = std::fma(w, _cvtsh_ss(v[i]), acc[i]);
    }
  }
}

void v_sum_f16c(const VSumArgs& a) {
  const int64_t d16 = a.d / 16 * 16;
  for (int64_t i0 = 0; i0 < d16; i0 += 16) {
    // Up to 6 heads per pass: 12 accumulators + 2 rows + 1 weight = 15 ymm.
    int64_t h0 = 0;
    for (; h0 + 6 <= a.n_heads; h0 += 6) v_sum_tile<6>(a, h0, i0);
    switch (a.n_heads - h0) {
      case 5: v_sum_tile<5>(a, h0, i0); break;
      case 4: v_sum_tile<4>(a, h0, i0); break;
      case 3: v_sum_tile<3>(a, h0, i0); break;
      case 2: v_sum_tile<2>(a, h0, i0); break;
      case 1: v_sum_tile<1>(a, h0, i0); break;
      default: break;
    }
  }
  if (d16 < a.d) v_sum_tail(a, d16);
}

constexpr AttentionKernels kF16cKernels{to_fp16_f16c, round_weights_f16c, v_sum_f16c};

}  // namespace

const AttentionKernels& attention_kernels_f16c() { return kF16cKernels; }

}  // namespace r1::model

#else

namespace r1::model {

const AttentionKernels& attention_kernels_f16c() {
  CHECK(false) << "attention_x86.cpp was built without F16C/AVX2/FMA";
  static const AttentionKernels kNone;
  return kNone;
}

}  // namespace r1::model

#endif
