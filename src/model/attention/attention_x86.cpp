// The F16C/AVX2/FMA attention kernels. Built with -mf16c -mavx2 -mfma (see
// CMakeLists.txt); reached only through attention_kernels(kF16c), which
// checks the CPU first. Bitwise identical to the scalar kernels for finite
// inputs (see attention_kernels.h).
#include "model/attention/attention_kernels.h"

#include <cmath>
#include <vector>

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

inline __m256 load_ph8(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// The scalar kernel's lane tree: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
inline float lane_sum(__m256 v) {
  const __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));
  return _mm_cvtss_f32(_mm_add_ss(u, _mm_movehdup_ps(u)));
}

// Rows [j0, j0 + R) x heads [h0, h0 + H): each K chunk converted once for
// all H heads; elements past d / 8 * 8 go to their lanes one by one.
// The query converted to fp32 once per call (qf: [n_heads][d]).
template <int R, int H>
void scores_tile(const ScoreArgs& a, const float* qf, int64_t j0, int64_t h0) {
  const int64_t d8 = a.d / 8 * 8;
  __m256 acc[R][H];
  for (int r = 0; r < R; ++r)
    for (int h = 0; h < H; ++h) acc[r][h] = _mm256_setzero_ps();
  const uint16_t* k = a.k + j0 * a.k_stride;
  const uint16_t* q = a.q + h0 * a.d;
  for (int64_t i = 0; i < d8; i += 8) {
    __m256 kv[R];
    for (int r = 0; r < R; ++r) kv[r] = load_ph8(k + r * a.k_stride + i);
    for (int h = 0; h < H; ++h) {
      const __m256 qv = _mm256_loadu_ps(qf + (h0 + h) * a.d + i);
      for (int r = 0; r < R; ++r) acc[r][h] = _mm256_fmadd_ps(kv[r], qv, acc[r][h]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int h = 0; h < H; ++h) {
      alignas(32) float l[8];
      _mm256_store_ps(l, acc[r][h]);
      for (int64_t i = d8; i < a.d; ++i) {
        l[i % 8] += _cvtsh_ss(k[r * a.k_stride + i]) * _cvtsh_ss(q[h * a.d + i]);
      }
      a.out[(h0 + h) * a.out_stride + j0 + r] = lane_sum(_mm256_load_ps(l)) * a.scale;
    }
  }
}

template <int R>
void scores_rows(const ScoreArgs& a, const float* qf, int64_t j0) {
  int64_t h0 = 0;
  for (; h0 + 6 <= a.n_heads; h0 += 6) scores_tile<R, 6>(a, qf, j0, h0);
  switch (a.n_heads - h0) {
    case 5: scores_tile<R, 5>(a, qf, j0, h0); break;
    case 4: scores_tile<R, 4>(a, qf, j0, h0); break;
    case 3: scores_tile<R, 3>(a, qf, j0, h0); break;
    case 2: scores_tile<R, 2>(a, qf, j0, h0); break;
    case 1: scores_tile<R, 1>(a, qf, j0, h0); break;
    default: break;
  }
}

// Two rows at a time: 2 x 6 accumulators + 2 K chunks + 1 query chunk = 15 ymm.
void scores_f16c(const ScoreArgs& a) {
  thread_local std::vector<float> qf;
  const int64_t nq = a.n_heads * a.d;
  if (static_cast<int64_t>(qf.size()) < nq) qf.resize(static_cast<size_t>(nq));
  int64_t i = 0;
  for (; i + 8 <= nq; i += 8) _mm256_storeu_ps(qf.data() + i, load_ph8(a.q + i));
  for (; i < nq; ++i) qf[static_cast<size_t>(i)] = _cvtsh_ss(a.q[i]);
  int64_t j = 0;
  for (; j + 2 <= a.n_rows; j += 2) scores_rows<2>(a, qf.data(), j);
  if (j < a.n_rows) scores_rows<1>(a, qf.data(), j);
}

// exp_scalar() on 8 lanes, operation for operation.
inline __m256 exp8(__m256 x) {
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), kRound);
  __m256 r = _mm256_fmadd_ps(k, _mm256_set1_ps(-kLn2Hi), x);
  r = _mm256_fmadd_ps(k, _mm256_set1_ps(-kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kExpP[0]);
  for (int i = 1; i < 6; ++i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpP[i]));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  // 2^k for the lanes >= kExpMin (the others are zeroed below, NaN kept).
  const __m256 kk = _mm256_max_ps(k, _mm256_set1_ps(-126.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(kk), _mm256_set1_epi32(127)), 23);
  const __m256 e = _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
  const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(kExpMin), _CMP_LT_OQ);  // false for NaN
  return _mm256_andnot_ps(under, e);
}

double exp_sum_f16c(float* s, int64_t n, float max) {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();  // lanes 0..3, 4..7
  const __m256 vmax = _mm256_set1_ps(max);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(s + j), vmax));
    _mm256_storeu_ps(s + j, e);
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  alignas(32) double l[8];
  _mm256_store_pd(l, lo);
  _mm256_store_pd(l + 4, hi);
  if (j < n) {
    alignas(32) float tail[8] = {};
    for (int64_t i = j; i < n; ++i) tail[i - j] = s[i];
    const __m256 e = exp8(_mm256_sub_ps(_mm256_load_ps(tail), vmax));
    _mm256_store_ps(tail, e);
    for (int64_t i = j; i < n; ++i) {
      s[i] = tail[i - j];
      l[i % 8] += static_cast<double>(s[i]);
    }
  }
  return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

constexpr AttentionKernels kF16cKernels{to_fp16_f16c, round_weights_f16c, v_sum_f16c, scores_f16c, exp_sum_f16c};

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
