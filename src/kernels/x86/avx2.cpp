// AVX2 + FMA + F16C kernels: int8 dot products through maddubs/madd (exact
// int32 sums per block, scaled and accumulated in float lanes), float-type
// dots multiplied in float and summed in double like the reference, and
// byte-identical activation quantizers (Q8_0, Q8_1, Q8_K).
#include <cstddef>
#include <iterator>

#include "kernels/x86/avx2_util.h"
#include "kernels/x86/gemm_tokens.h"
#include "kernels/x86/x86.h"
#include "tensor/blocks.h"
#include "tensor/half.h"

namespace r1::kernels::x86 {
namespace {

constexpr int kQk = 32;

inline const uint8_t* bytes(const void* p) { return static_cast<const uint8_t*>(p); }

// Sum over 4-byte groups of u[j] * s[j] (u unsigned, s signed; pairs must not
// saturate int16: |u * s| * 2 <= 32767).
inline __m256i dot_u8_i8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Signed x signed int8 dot (x may be -128; y must not be -128).
inline __m256i dot_i8_i8(__m256i x, __m256i y) {
  return dot_u8_i8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// The 32 4-bit values of a 16-byte block in element order (0..15).
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i t = loadu128(qs);
  const __m256i v = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
  return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
}

inline __m256 scale_add(__m256i sumi, float d, __m256 acc) {
  return _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
}

// Sums d * dot(x, y) over 32-element blocks, two per step; dot gives a
// block's int32 sums. kMin adds m * s (bytes 2..3 of both blocks: Q4_1/Q5_1).
template <size_t kXBytes, size_t kYBytes, bool kMin, typename Dot>
float sum_blocks(int64_t nb, const void* w, const void* a, Dot&& dot) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
  __m128 ms = _mm_setzero_ps();
  const uint8_t* x = bytes(w);
  const uint8_t* y = bytes(a);
  int64_t i = 0;
  for (; i + 1 < nb; i += 2, x += 2 * kXBytes, y += 2 * kYBytes) {
    const __m128 p = header_products(x, y, x + kXBytes, y + kYBytes);
    if (kMin) ms = _mm_add_ps(ms, p);
    acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(p), _mm256_cvtepi32_ps(dot(x, y)), acc0);
    const __m256 d1 = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(p), _mm256_set1_epi32(2));
    acc1 = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(dot(x + kXBytes, y + kYBytes)), acc1);
  }
  if (i < nb) {  // the odd last block
    const __m128 p = _mm_and_ps(header_products(x, y, x, y), _mm_castsi128_ps(_mm_setr_epi32(-1, -1, 0, 0)));
    if (kMin) ms = _mm_add_ps(ms, p);
    acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(p), _mm256_cvtepi32_ps(dot(x, y)), acc0);
  }
  return hsum_ps(_mm256_add_ps(acc0, acc1)) + (kMin ? odd_lanes_sum(ms) : 0.0f);
}

// ---- 32-element block dots

float vec_dot_q8_0(int64_t n, const void* w, const void* a) {
  return sum_blocks<sizeof(BlockQ8_0), sizeof(BlockQ8_0), false>(
      n / kQk, w, a, [](const uint8_t* x, const uint8_t* y) { return dot_i8_i8(loadu256(x + 2), loadu256(y + 2)); });
}

float vec_dot_q4_0(int64_t n, const void* w, const void* a) {
  return sum_blocks<sizeof(BlockQ4_0), sizeof(BlockQ8_0), false>(
      n / kQk, w, a, [](const uint8_t* x, const uint8_t* y) {
        return dot_i8_i8(_mm256_sub_epi8(unpack_nibbles(x + 2), _mm256_set1_epi8(8)), loadu256(y + 2));
      });
}

// Q5 values: nibbles with bit j of qh as element j's bit 4.
inline __m256i unpack_q5(const uint8_t* qs, const uint8_t* qh) {
  const __m256i hi = _mm256_and_si256(bits_to_bytes(load_u32(qh)), _mm256_set1_epi8(0x10));
  return _mm256_or_si256(unpack_nibbles(qs), hi);
}

float vec_dot_q5_0(int64_t n, const void* w, const void* a) {
  return sum_blocks<sizeof(BlockQ5_0), sizeof(BlockQ8_0), false>(
      n / kQk, w, a, [](const uint8_t* x, const uint8_t* y) {
        return dot_i8_i8(_mm256_sub_epi8(unpack_q5(x + 6, x + 2), _mm256_set1_epi8(16)), loadu256(y + 2));
      });
}

// Q4_1/Q5_1 x Q8_1: d * sumi per block, plus m * s.
template <typename Block, bool kFive>
float vec_dot_x_1(int64_t n, const void* w, const void* a) {
  return sum_blocks<sizeof(Block), sizeof(BlockQ8_1), true>(n / kQk, w, a, [](const uint8_t* x, const uint8_t* y) {
    const __m256i q = kFive ? unpack_q5(x + 8, x + 4) : unpack_nibbles(x + 4);
    return dot_u8_i8(q, loadu256(y + 4));
  });
}

// ---- K-quants (one super-block of 256 per step)

// Broadcasts int16 lane k of v (8 lanes) to all 16 lanes.
inline __m256i bcast_i16(__m256i v, int k) {
  return _mm256_shuffle_epi8(v, _mm256_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * k)));
}

// sum_j min_j * (bsums[2j] + bsums[2j+1]) as 4 int32 lanes.
inline __m128i k_min_sums(__m128i mins8, const uint8_t* bsums) {
  const __m128i pairs = _mm_hadd_epi16(loadu128(bsums), loadu128(bsums + 16));
  return _mm_madd_epi16(_mm_cvtepu8_epi16(mins8), pairs);
}

// A Q4_K/Q5_K super-block unpacked once for any number of tokens: q[2c]
// and q[2c + 1] the 32 values of sub-blocks 2c and 2c + 1, sc their scales.
struct Q45Weights {
  __m256i q[8];
  __m256i sc[8];
  __m128i mins8;
  float d, dmin;
};

template <typename Block, bool kFive>
inline Q45Weights unpack_q45(const uint8_t* x) {
  Q45Weights b;
  const __m128i sm = unpack_k_scales(x + offsetof(Block, scales));
  b.mins8 = _mm_unpackhi_epi64(sm, sm);
  const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
  const uint8_t* qs = x + offsetof(Block, qs);
  const __m256i hbits = kFive ? loadu256(x + offsetof(BlockQ5_K, qh)) : _mm256_setzero_si256();
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int c = 0; c < 4; ++c) {
    const __m256i raw = loadu256(qs + 32 * c);
    __m256i lo = _mm256_and_si256(raw, m4);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
    if (kFive) {
      const __m256i b0 = _mm256_set1_epi8(static_cast<char>(1 << (2 * c)));
      const __m256i b1 = _mm256_set1_epi8(static_cast<char>(2 << (2 * c)));
      const __m256i h16 = _mm256_set1_epi8(0x10);
      lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, b0), b0), h16));
      hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, b1), b1), h16));
    }
    b.q[2 * c] = lo;
    b.q[2 * c + 1] = hi;
    b.sc[2 * c] = bcast_i16(sc16, 2 * c);
    b.sc[2 * c + 1] = bcast_i16(sc16, 2 * c + 1);
  }
  b.d = load_f16(x);
  b.dmin = load_f16(x + 2);
  return b;
}

// A K-quant dot's float accumulators (m: the Q4_K/Q5_K min terms).
struct KAcc {
  __m256 v = _mm256_setzero_ps();
  __m128 m = _mm_setzero_ps();
};

// The float part of a Q4_K/Q5_K super-block (vec_dot and gemm share it):
// int32 sums s and min sums, scales d, dmin and the activation's yd.
inline void q45_scale(__m256i s, __m128i mins, float d, float dmin, float yd, KAcc& acc) {
  acc.m = _mm_fmadd_ps(_mm_set1_ps(dmin * yd), _mm_cvtepi32_ps(mins), acc.m);
  acc.v = scale_add(s, d * yd, acc.v);
}

// Adds one unpacked super-block against Q8_K block y.
inline void q45_step(const Q45Weights& b, const uint8_t* y, KAcc& acc) {
  const __m128i mins = k_min_sums(b.mins8, y + offsetof(BlockQ8_K, bsums));
  __m256i s = _mm256_setzero_si256();
  for (int k = 0; k < 8; ++k) {
    s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(b.q[k], loadu256(y + 4 + 32 * k)), b.sc[k]));
  }
  q45_scale(s, mins, b.d, b.dmin, load_f32(y), acc);
}

inline float q45_result(const KAcc& acc) {
  __m128 m = _mm_add_ps(acc.m, _mm_movehl_ps(acc.m, acc.m));
  m = _mm_add_ss(m, _mm_movehdup_ps(m));
  return hsum_ps(acc.v) - _mm_cvtss_f32(m);
}

// vec_dot's integer part unpacks step by step (the whole block in
// registers would spill with 16 ymm); the same exact sums as unpack_q45.
template <bool kFive>
__m256i q45_sums(const uint8_t* qs, const uint8_t* qh, const uint8_t* q8, __m256i sc16) {
  __m256i acc = _mm256_setzero_si256();
  const __m256i hbits = kFive ? loadu256(qh) : _mm256_setzero_si256();
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int c = 0; c < 4; ++c) {
    const __m256i raw = loadu256(qs + 32 * c);
    __m256i lo = _mm256_and_si256(raw, m4);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
    if (kFive) {
      const __m256i b0 = _mm256_set1_epi8(static_cast<char>(1 << (2 * c)));
      const __m256i b1 = _mm256_set1_epi8(static_cast<char>(2 << (2 * c)));
      const __m256i h16 = _mm256_set1_epi8(0x10);
      lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, b0), b0), h16));
      hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, b1), b1), h16));
    }
    const __m256i plo = _mm256_maddubs_epi16(lo, loadu256(q8 + 64 * c));
    const __m256i phi = _mm256_maddubs_epi16(hi, loadu256(q8 + 64 * c + 32));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(plo, bcast_i16(sc16, 2 * c)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(phi, bcast_i16(sc16, 2 * c + 1)));
  }
  return acc;
}

template <typename Block, bool kFive>
float vec_dot_q45(int64_t n, const void* w, const void* a) {
  KAcc acc;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* x = bytes(w) + i * sizeof(Block);
    const uint8_t* y = bytes(a) + i * sizeof(BlockQ8_K);
    const __m128i sm = unpack_k_scales(x + offsetof(Block, scales));
    const __m128i mins = k_min_sums(_mm_unpackhi_epi64(sm, sm), y + offsetof(BlockQ8_K, bsums));
    const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
    const uint8_t* qh = kFive ? x + offsetof(BlockQ5_K, qh) : nullptr;
    const __m256i s = q45_sums<kFive>(x + offsetof(Block, qs), qh, y + 4, sc16);
    q45_scale(s, mins, load_f16(x), load_f16(x + 2), load_f32(y), acc);
  }
  return q45_result(acc);
}

// A Q6_K super-block unpacked once: 6-bit values 0..63 (the -32 offset goes
// through bsums), q[4h + k] elements 128h + 32k.., sc[..] their two 16-group
// scales, sc16 all 16 for the bias.
struct Q6Weights {
  __m256i q[8];
  __m256i sc[8];
  __m256i sc16;
  float d;
};

inline Q6Weights unpack_q6(const uint8_t* x) {
  Q6Weights b;
  const __m128i sc8 = loadu128(x + offsetof(BlockQ6_K, scales));
  b.sc16 = _mm256_cvtepi8_epi16(sc8);
  const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
  for (int h = 0; h < 2; ++h) {
    const __m256i l0 = loadu256(x + 64 * h), l1 = loadu256(x + 64 * h + 32);
    const __m256i qh = loadu256(x + offsetof(BlockQ6_K, qh) + 32 * h);
    b.q[4 * h] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
    b.q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
    b.q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(qh, m30));
    b.q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                     _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
    for (int k = 0; k < 4; ++k) {
      const int g = 8 * h + 2 * k;  // scale groups g, g + 1
      const __m128i idx = _mm_setr_epi8(g, g, g, g, g, g, g, g, g + 1, g + 1, g + 1, g + 1, g + 1, g + 1,
                                        g + 1, g + 1);
      b.sc[4 * h + k] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc8, idx));
    }
  }
  b.d = load_f16(x + offsetof(BlockQ6_K, d));
  return b;
}

// The float part of a Q6_K super-block: int32 sums q less 32 * bias.
inline void q6_scale(__m256i q, __m256i bias, float d, float yd, KAcc& acc) {
  acc.v = scale_add(_mm256_sub_epi32(q, _mm256_slli_epi32(bias, 5)), d * yd, acc.v);
}

inline void q6_step(const Q6Weights& b, const uint8_t* y, KAcc& acc) {
  const __m256i bias = _mm256_madd_epi16(b.sc16, loadu256(y + offsetof(BlockQ8_K, bsums)));
  __m256i s = _mm256_setzero_si256();
  for (int k = 0; k < 8; ++k) {
    s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(b.q[k], loadu256(y + 4 + 32 * k)), b.sc[k]));
  }
  q6_scale(s, bias, b.d, load_f32(y), acc);
}

// Q6_K: 6-bit values 0..63 (the -32 offset goes through bsums) times q8,
// each 16-element group by its int8 scale.
__m256i q6_sums(const uint8_t* x, const uint8_t* q8) {
  const __m128i sc8 = loadu128(x + offsetof(BlockQ6_K, scales));
  const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
  __m256i acc = _mm256_setzero_si256();
  for (int h = 0; h < 2; ++h) {
    const __m256i l0 = loadu256(x + 64 * h), l1 = loadu256(x + 64 * h + 32);
    const __m256i qh = loadu256(x + offsetof(BlockQ6_K, qh) + 32 * h);
    const __m256i q[4] = {
        _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30)),
        _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(qh, m30)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                        _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30))};
    for (int k = 0; k < 4; ++k) {
      const int g = 8 * h + 2 * k;  // scale groups g, g + 1
      const __m128i idx = _mm_setr_epi8(g, g, g, g, g, g, g, g, g + 1, g + 1, g + 1, g + 1, g + 1, g + 1,
                                        g + 1, g + 1);
      const __m256i sc = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc8, idx));
      const __m256i p = _mm256_maddubs_epi16(q[k], loadu256(q8 + 128 * h + 32 * k));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, sc));
    }
  }
  return acc;
}

float vec_dot_q6_K(int64_t n, const void* w, const void* a) {
  KAcc acc;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* x = bytes(w) + i * sizeof(BlockQ6_K);
    const uint8_t* y = bytes(a) + i * sizeof(BlockQ8_K);
    const __m256i sc16 = _mm256_cvtepi8_epi16(loadu128(x + offsetof(BlockQ6_K, scales)));
    const __m256i bias = _mm256_madd_epi16(sc16, loadu256(y + offsetof(BlockQ8_K, bsums)));
    q6_scale(q6_sums(x, y + 4), bias, load_f16(x + offsetof(BlockQ6_K, d)), load_f32(y), acc);
  }
  return hsum_ps(acc.v);
}

// ---- float types: products in float, sums in double (as the reference)

// Adds the 8 float products p to two double accumulators.
inline void add_pd(__m256 p, __m256d* lo, __m256d* hi) {
  *lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(p)));
  *hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(p, 1)));
}

// prod(i): the 8 products of elements i..i+7; tail(i): element i's product.
template <typename Prod, typename Tail>
float dot_double(int64_t n, Prod&& prod, Tail&& tail) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    add_pd(prod(i), &a0, &a1);
    add_pd(prod(i + 8), &a2, &a3);
  }
  for (; i + 8 <= n; i += 8) add_pd(prod(i), &a0, &a1);
  double sum = hsum_pd(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  for (; i < n; ++i) sum += static_cast<double>(tail(i));
  return static_cast<float>(sum);
}

inline __m256 load_ph(const uint8_t* p) { return _mm256_cvtph_ps(loadu128(p)); }
inline __m256 load_bf(const uint8_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(loadu128(p)), 16));
}
inline float bf16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return bf16_to_fp32(h);
}

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  return dot_double(
      n, [&](int64_t i) { return _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)); },
      [&](int64_t i) { return load_f32(bytes(x + i)) * load_f32(bytes(y + i)); });
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
  return dot_double(
      n, [&](int64_t i) { return _mm256_mul_ps(load_ph(bytes(w) + 2 * i), load_ph(bytes(a) + 2 * i)); },
      [&](int64_t i) { return load_f16(bytes(w) + 2 * i) * load_f16(bytes(a) + 2 * i); });
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  return dot_double(
      n, [&](int64_t i) { return _mm256_mul_ps(load_bf(bytes(w) + 2 * i), load_bf(bytes(a) + 2 * i)); },
      [&](int64_t i) { return bf16_at(bytes(w) + 2 * i) * bf16_at(bytes(a) + 2 * i); });
}

// ---- activation quantizers (byte-identical with the reference)

// Quantizes 32 floats with x * id rounded half to even into [-128, 127];
// returns the sum of the quants.
inline int32_t quantize_32(const float* x, float id, uint8_t* qs) {
  const __m256 vid = _mm256_set1_ps(id);
  const __m256i lo = _mm256_set1_epi32(-128), hi = _mm256_set1_epi32(127);
  __m256i q[4];
  for (int k = 0; k < 4; ++k) {
    const __m256i r = nearest_int(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), vid));
    q[k] = _mm256_min_epi32(_mm256_max_epi32(r, lo), hi);
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), pack_i32_to_i8(q[0], q[1], q[2], q[3]));
  return hsum_epi32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
}

template <bool kSum>
void from_float_q8(const float* src, void* dst, int64_t n) {
  constexpr size_t kBytes = kSum ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
  for (int64_t i = 0; i < n / kQk; ++i) {
    const float* x = src + i * kQk;
    uint8_t* b = static_cast<uint8_t*>(dst) + i * kBytes;
    const float amax = abs_max(x, kQk);
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    const int32_t sum = quantize_32(x, id, b + (kSum ? 4 : 2));
    const uint16_t hd = fp32_to_fp16(d);
    std::memcpy(b, &hd, 2);
    if (kSum) {
      const uint16_t hs = fp32_to_fp16(d * static_cast<float>(sum));
      std::memcpy(b + 2, &hs, 2);
    }
  }
}

// Index of the first element with |x| == amax (amax is one of them).
inline int first_abs_equal(const float* x, float amax) {
  const __m256 m = _mm256_set1_ps(amax);
  for (int j = 0; j < kQK_K; j += 8) {
    const int mask = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + j)), m, _CMP_EQ_OQ));
    if (mask != 0) return j + __builtin_ctz(static_cast<unsigned>(mask));
  }
  return 0;
}

// Q8_K quants of one super-block (min(127, nearest(iscale * x))) and bsums.
void quantize_q8_K_block(const float* x, float iscale, uint8_t* qs, int16_t* bsums) {
  const __m256 vs = _mm256_set1_ps(iscale);
  const __m256i hi = _mm256_set1_epi32(127);
  for (int c = 0; c < kQK_K / 32; ++c) {
    __m256i q[4];
    for (int k = 0; k < 4; ++k) {
      q[k] = _mm256_min_epi32(nearest_int(_mm256_mul_ps(vs, _mm256_loadu_ps(x + 32 * c + 8 * k))), hi);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + 32 * c), pack_i32_to_i8(q[0], q[1], q[2], q[3]));
    const __m256i h = _mm256_hadd_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    const __m256i h2 = _mm256_hadd_epi32(h, h);  // lane halves: [s0, s1, ...]
    const __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h2), _mm256_extracti128_si256(h2, 1));
    bsums[2 * c] = static_cast<int16_t>(_mm_cvtsi128_si32(s));
    bsums[2 * c + 1] = static_cast<int16_t>(_mm_extract_epi32(s, 1));
  }
}

void from_float_q8_K(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    BlockQ8_K b{};
    const float amax = abs_max(x, kQK_K);
    if (amax != 0) {
      const float iscale = -127.f / x[first_abs_equal(x, amax)];
      quantize_q8_K_block(x, iscale, reinterpret_cast<uint8_t*>(b.qs), b.bsums);
      b.d = 1 / iscale;
    }
    std::memcpy(static_cast<uint8_t*>(dst) + i * static_cast<int64_t>(sizeof(BlockQ8_K)), &b, sizeof(b));
  }
}

// ---- multi-token kernels: vec_dot with kT accumulators (see x86.h)

template <typename Block, bool kFive>
struct GemmQ45 {
  template <int kT>
  static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t a_stride, float* out, int64_t out_stride) {
    KAcc acc[kT];
    for (int64_t i = 0; i < n / kQK_K; ++i) {
      const Q45Weights b = unpack_q45<Block, kFive>(w + i * sizeof(Block));
      const uint8_t* y = a + i * sizeof(BlockQ8_K);
      for (int t = 0; t < kT; ++t) q45_step(b, y + t * a_stride, acc[t]);
    }
    for (int t = 0; t < kT; ++t) out[t * out_stride] = q45_result(acc[t]);
  }
};

struct GemmQ6K {
  template <int kT>
  static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t a_stride, float* out, int64_t out_stride) {
    KAcc acc[kT];
    for (int64_t i = 0; i < n / kQK_K; ++i) {
      const Q6Weights b = unpack_q6(w + i * sizeof(BlockQ6_K));
      const uint8_t* y = a + i * sizeof(BlockQ8_K);
      for (int t = 0; t < kT; ++t) q6_step(b, y + t * a_stride, acc[t]);
    }
    for (int t = 0; t < kT; ++t) out[t * out_stride] = hsum_ps(acc[t].v);
  }
};

// One Q8_0 weight block against kT tokens' Q8_0 blocks (y + t * a_stride):
// sum_blocks' int32 lanes (|x| . sign(y, x)) and scale dx * dy.
template <int kT>
inline void q8_0_block(const uint8_t* x, const uint8_t* y, size_t a_stride, __m256 (&acc)[kT]) {
  const __m256i q = loadu256(x + 2);
  const __m256i ax = _mm256_sign_epi8(q, q);
  const float dx = load_f16(x);
  for (int t = 0; t < kT; ++t) {
    const uint8_t* yt = y + t * a_stride;
    const __m256i s = dot_u8_i8(ax, _mm256_sign_epi8(loadu256(yt + 2), q));
    acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * load_f16(yt)), _mm256_cvtepi32_ps(s), acc[t]);
  }
}

// sum_blocks' accumulation order: block j to accumulator j & 1.
struct GemmQ8_0 {
  template <int kT>
  static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t a_stride, float* out, int64_t out_stride) {
    __m256 acc0[kT], acc1[kT];
    for (int t = 0; t < kT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
    const int64_t nb = n / kQk;
    constexpr size_t kB = sizeof(BlockQ8_0);
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
      q8_0_block<kT>(w + i * kB, a + i * kB, a_stride, acc0);
      q8_0_block<kT>(w + (i + 1) * kB, a + (i + 1) * kB, a_stride, acc1);
    }
    if (i < nb) q8_0_block<kT>(w + i * kB, a + i * kB, a_stride, acc0);
    for (int t = 0; t < kT; ++t) out[t * out_stride] = hsum_ps(_mm256_add_ps(acc0[t], acc1[t])) + 0.0f;
  }
};

const GemmKernel kGemmQ4K{nullptr, nullptr, dot_tokens<GemmQ45<BlockQ4_K, false>>};
const GemmKernel kGemmQ5K{nullptr, nullptr, dot_tokens<GemmQ45<BlockQ5_K, true>>};
const GemmKernel kGemmQ6K{nullptr, nullptr, dot_tokens<GemmQ6K>};
const GemmKernel kGemmQ8_0{nullptr, nullptr, dot_tokens<GemmQ8_0>};

const IsaOverride kAvx2Overrides[] = {
    {DType::kF32, {nullptr, nullptr, vec_dot_f32}},
    {DType::kF16, {nullptr, nullptr, vec_dot_f16}},
    {DType::kBF16, {nullptr, nullptr, vec_dot_bf16}},
    {DType::kQ4_0, {nullptr, nullptr, vec_dot_q4_0}},
    {DType::kQ4_1, {nullptr, nullptr, vec_dot_x_1<BlockQ4_1, false>}},
    {DType::kQ5_0, {nullptr, nullptr, vec_dot_q5_0}},
    {DType::kQ5_1, {nullptr, nullptr, vec_dot_x_1<BlockQ5_1, true>}},
    {DType::kQ8_0, {nullptr, from_float_q8<false>, vec_dot_q8_0}},
    {DType::kQ8_1, {nullptr, from_float_q8<true>, nullptr}},
    {DType::kQ4_K, {nullptr, nullptr, vec_dot_q45<BlockQ4_K, false>}},
    {DType::kQ5_K, {nullptr, nullptr, vec_dot_q45<BlockQ5_K, true>}},
    {DType::kQ6_K, {nullptr, nullptr, vec_dot_q6_K}},
    {DType::kQ8_K, {nullptr, from_float_q8_K, nullptr}},
};

}  // namespace

const IsaOverride* avx2_overrides(int* count) {
  *count = static_cast<int>(std::size(kAvx2Overrides));
  return kAvx2Overrides;
}

const GemmKernel* avx2_gemm(DType t) {
  switch (t) {
    case DType::kQ4_K: return &kGemmQ4K;
    case DType::kQ5_K: return &kGemmQ5K;
    case DType::kQ6_K: return &kGemmQ6K;
    case DType::kQ8_0: return &kGemmQ8_0;
    default: return nullptr;
  }
}

}  // namespace r1::kernels::x86
