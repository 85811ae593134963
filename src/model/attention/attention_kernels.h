// The small float kernels of attention (internal to src/model): fp32 -> fp16
// rounding of the query, the q.k scores over fp16 K rows, fp16 rounding of
// the softmax weights, and the weighted sum of fp16 V rows. Two paths: a portable scalar one and an
// F16C/AVX2/FMA one (attention_x86.cpp), chosen once at run time from the
// CPU. Both give bitwise identical results for finite inputs: conversions
// round to nearest even, and a product of two fp16 values is exact in fp32,
// so an FMA equals the scalar multiply-then-add and each output lane sums
// its rows in the same order.
//
// Thread contract: pure functions over caller-owned buffers;
// set_attention_path() is for start-up and tests only.
#pragma once

#include <cstdint>

namespace r1::model {

// acc[h * d + i] += p[h * p_stride + j] * fp32(v[j * v_stride + i])
// for j < n_rows, h < n_heads, i < d; rows are summed in order j = 0, 1, ...
struct VSumArgs {
  const uint16_t* v = nullptr;  // first row (fp16)
  int64_t v_stride = 0;         // elements between rows
  int64_t n_rows = 0;
  const float* p = nullptr;     // weights, already rounded to fp16 values
  int64_t p_stride = 0;
  int64_t n_heads = 0;
  int64_t d = 0;
  float* acc = nullptr;         // [n_heads][d]
};

// out[h * out_stride + j] = scale * dot(k_j, q_h) for j < n_rows, h <
// n_heads, with k_j = k + j * k_stride and q_h = q + h * d (all fp16). The
// dot is fixed bit for bit: 8 fp32 lanes, lane l summing the products of
// elements l, l + 8, ... in order (a product of two fp16 values is exact in
// fp32), then ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
struct ScoreArgs {
  const uint16_t* k = nullptr;
  int64_t k_stride = 0;  // elements between rows
  int64_t n_rows = 0;
  const uint16_t* q = nullptr;  // [n_heads][d]
  int64_t n_heads = 0;
  int64_t d = 0;
  float scale = 1.0f;
  float* out = nullptr;
  int64_t out_stride = 0;
};

struct AttentionKernels {
  // y[i] = fp16(x[i])
  void (*to_fp16)(const float* x, uint16_t* y, int64_t n) = nullptr;
  // p[i] = fp32(fp16(e[i] * w))
  void (*round_weights)(const float* e, float w, float* p, int64_t n) = nullptr;
  void (*v_sum)(const VSumArgs& a) = nullptr;
  void (*scores)(const ScoreArgs& a) = nullptr;
  // s[j] = exp(s[j] - max) for j < n, in place, and returns their sum. exp
  // is kExp* below (Cephes' expf polynomial, ~1 ulp; 0 below kExpMin; NaN
  // stays NaN); the sum is in double over 8 lanes (lane j % 8, in order),
  // then ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
  double (*exp_sum)(float* s, int64_t n, float max) = nullptr;
};

// The exp of exp_sum, step by step (every operation rounds to fp32; "fma"
// is a fused multiply-add): t = x * kLog2e; k = nearest-even(t); r = fma(k,
// -kLn2Hi, x); r = fma(k, -kLn2Lo, r); p = kExpP[0]; p = fma(p, r,
// kExpP[i]) for i = 1..5; y = fma(p, r * r, r) + 1; exp = y * 2^k.
inline constexpr float kExpMin = -87.0f;  // exp(x) = 0 below (2^k must be normal)
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;
inline constexpr float kLn2Lo = -2.12194440e-4f;
inline constexpr float kExpP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                   4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

enum class AttentionPath { kScalar, kF16c };

bool attention_path_supported(AttentionPath path);
AttentionPath attention_path();              // the one attend() uses
void set_attention_path(AttentionPath path);  // CHECKs it is supported
const AttentionKernels& attention_kernels(AttentionPath path);

// The x86 path (attention_x86.cpp, built with -mf16c -mavx2 -mfma); call
// only when attention_path_supported(kF16c).
const AttentionKernels& attention_kernels_f16c();

}  // namespace r1::model
