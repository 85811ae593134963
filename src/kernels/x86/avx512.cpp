// AVX-512 (F/BW/VL/DQ + VNNI) int8 dot products. 32-element block types go
// two blocks per 512-bit vector through vpdpbusd, with the signed weight
// offsets (q - 8, q - 16, q8 + 128) taken out exactly via the activation
// sums; K-quants use maddubs + vpdpwssd to apply the sub-block scales.
// Float dots convert 16 at a time (F16C, bf16 << 16) and sum in double.
// The quantizers come from the AVX2 table.
//
// Only 512-bit VNNI forms are used: the 256-bit ones could be VEX-encoded
// AVX-VNNI, which AVX-512 VNNI CPUs (e.g. Ice Lake) lack.
#include <cstddef>
#include <iterator>

#include "kernels/x86/avx2_util.h"
#include "kernels/x86/gemm_tokens.h"
#include "kernels/x86/x86.h"
#include "tensor/blocks.h"

namespace r1::kernels::x86 {
namespace {

constexpr int kQk = 32;

inline const uint8_t* bytes(const void* p) { return static_cast<const uint8_t*>(p); }

inline __m512i load512(const uint8_t* p) { return _mm512_loadu_si512(p); }

inline __m512i load2x256(const uint8_t* a, const uint8_t* b) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(loadu256(a)), loadu256(b), 1);
}

// Per-4-byte-group sums of u (unsigned) times s (signed), exact in int32.
inline __m512i dpbusd(__m512i u, __m512i s) { return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s); }

// Sum over 4-byte groups of (u - off) * s, exact: u * s - off * s.
inline __m512i dot_offset(__m512i u, __m512i s, char off) {
  return _mm512_sub_epi32(dpbusd(u, s), dpbusd(_mm512_set1_epi8(off), s));
}

// The 2 x 32 4-bit values of blocks a and b (16 bytes each), element order.
inline __m512i unpack_nibbles2(const uint8_t* qa, const uint8_t* qb) {
  const __m256i t = _mm256_set_m128i(loadu128(qb), loadu128(qa));
  const __m512i v = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3), _mm512_castsi256_si512(t));
  return _mm512_and_si512(_mm512_mask_srli_epi16(v, 0xFF00FF00u, v, 4), _mm512_set1_epi8(0x0F));
}

// Adds bit 4 (from the two blocks' qh words) to the nibbles.
inline __m512i add_q5_bits(__m512i q, const uint8_t* qha, const uint8_t* qhb) {
  const __mmask64 k = static_cast<__mmask64>(load_u32(qha)) | (static_cast<__mmask64>(load_u32(qhb)) << 32);
  return _mm512_mask_add_epi8(q, k, q, _mm512_set1_epi8(0x10));
}

// Blocks two at a time (the odd last one paired with itself, scaled by 0).
// dot(xa, ya, xb, yb) gives the int32 sums: lanes 0..7 block a, 8..15 b.
// kMin adds m * s (bytes 2..3 of both blocks) for Q4_1/Q5_1.
template <size_t kXBytes, size_t kYBytes, bool kMin, typename Dot>
float sum_pairs(int64_t nb, const void* w, const void* a, Dot&& dot) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0;
  __m128 ms = _mm_setzero_ps();
  const __m512i lanes = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2);
  // Blocks (xa, ya) and (xb, yb); keep masks the products of b (all or none).
  auto step = [&](const uint8_t* xa, const uint8_t* ya, const uint8_t* xb, const uint8_t* yb, __m128 keep,
                  __m512 acc) {
    const __m128 p = _mm_and_ps(header_products(xa, ya, xb, yb), keep);
    if (kMin) ms = _mm_add_ps(ms, p);
    const __m512 s = _mm512_cvtepi32_ps(dot(xa, ya, xb, yb));
    return _mm512_fmadd_ps(_mm512_permutexvar_ps(lanes, _mm512_castps128_ps512(p)), s, acc);
  };
  const __m128 all = _mm_castsi128_ps(_mm_set1_epi32(-1));
  const uint8_t* x = bytes(w);
  const uint8_t* y = bytes(a);
  int64_t i = 0;
  for (; i + 3 < nb; i += 4, x += 4 * kXBytes, y += 4 * kYBytes) {
    acc0 = step(x, y, x + kXBytes, y + kYBytes, all, acc0);
    acc1 = step(x + 2 * kXBytes, y + 2 * kYBytes, x + 3 * kXBytes, y + 3 * kYBytes, all, acc1);
  }
  for (; i + 1 < nb; i += 2, x += 2 * kXBytes, y += 2 * kYBytes) acc0 = step(x, y, x + kXBytes, y + kYBytes, all, acc0);
  if (i < nb) acc1 = step(x, y, x, y, _mm_castsi128_ps(_mm_setr_epi32(-1, -1, 0, 0)), acc1);  // odd last block
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + (kMin ? odd_lanes_sum(ms) : 0.0f);
}

float vec_dot_q8_0(int64_t n, const void* w, const void* a) {
  return sum_pairs<sizeof(BlockQ8_0), sizeof(BlockQ8_0), false>(
      n / kQk, w, a, [](const uint8_t* xa, const uint8_t* ya, const uint8_t* xb, const uint8_t* yb) {
        // x + 128 is unsigned: x . y = (x + 128) . y - 128 * sum(y)
        const __m512i x = _mm512_xor_si512(load2x256(xa + 2, xb + 2), _mm512_set1_epi8(static_cast<char>(0x80)));
        return dot_offset(x, load2x256(ya + 2, yb + 2), static_cast<char>(0x80));
      });
}

float vec_dot_q4_0(int64_t n, const void* w, const void* a) {
  return sum_pairs<sizeof(BlockQ4_0), sizeof(BlockQ8_0), false>(
      n / kQk, w, a, [](const uint8_t* xa, const uint8_t* ya, const uint8_t* xb, const uint8_t* yb) {
        return dot_offset(unpack_nibbles2(xa + 2, xb + 2), load2x256(ya + 2, yb + 2), 8);
      });
}

float vec_dot_q5_0(int64_t n, const void* w, const void* a) {
  return sum_pairs<sizeof(BlockQ5_0), sizeof(BlockQ8_0), false>(
      n / kQk, w, a, [](const uint8_t* xa, const uint8_t* ya, const uint8_t* xb, const uint8_t* yb) {
        const __m512i q = add_q5_bits(unpack_nibbles2(xa + 6, xb + 6), xa + 2, xb + 2);
        return dot_offset(q, load2x256(ya + 2, yb + 2), 16);
      });
}

float vec_dot_q4_1(int64_t n, const void* w, const void* a) {
  return sum_pairs<sizeof(BlockQ4_1), sizeof(BlockQ8_1), true>(
      n / kQk, w, a, [](const uint8_t* xa, const uint8_t* ya, const uint8_t* xb, const uint8_t* yb) {
        return dpbusd(unpack_nibbles2(xa + 4, xb + 4), load2x256(ya + 4, yb + 4));
      });
}

float vec_dot_q5_1(int64_t n, const void* w, const void* a) {
  return sum_pairs<sizeof(BlockQ5_1), sizeof(BlockQ8_1), true>(
      n / kQk, w, a, [](const uint8_t* xa, const uint8_t* ya, const uint8_t* xb, const uint8_t* yb) {
        const __m512i q = add_q5_bits(unpack_nibbles2(xa + 8, xb + 8), xa + 4, xb + 4);
        return dpbusd(q, load2x256(ya + 4, yb + 4));
      });
}

// ---- K-quants

// int16 lanes [v[a] x 16 | v[b] x 16] of the 8 int16 of `v8` broadcast to
// every 128-bit lane (an in-lane byte shuffle: cheaper than vpermw).
inline __m512i scale_pair(__m512i v8, int a, int b) {
  const __m512i ctl = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi16(static_cast<int16_t>(0x0100 * (2 * a + 1) + 2 * a)),
                                              _mm512_set1_epi16(static_cast<int16_t>(0x0100 * (2 * b + 1) + 2 * b)));
  return _mm512_shuffle_epi8(v8, ctl);
}

// Q4_K/Q5_K element order of one 512-bit load of qs (64 bytes = chunks 2h
// and 2h + 1 of 32): low nibbles are elements [128h + 0..31 | 128h +
// 64..95] (sub-blocks 4h, 4h + 2), high nibbles [128h + 32..63 | 128h +
// 96..127] (sub-blocks 4h + 1, 4h + 3). Step k = 2h (low) and 2h + 1 (high)
// dots with activations in that order: kQ45Order[k] are the first elements
// of its two 32-element halves.
constexpr int kQ45Order[4][2] = {{0, 64}, {32, 96}, {128, 192}, {160, 224}};

// A Q4_K/Q5_K super-block unpacked once for any number of tokens: step k
// holds 64 values in kQ45Order and their scale pair; mins16 the 8 mins.
struct Q45Weights {
  __m512i q[4];
  __m512i sc[4];
  __m128i mins16;
  float d, dmin;
};

template <typename Block, bool kFive>
inline Q45Weights unpack_q45(const uint8_t* x) {
  Q45Weights b;
  const __m128i sm = unpack_k_scales(x + offsetof(Block, scales));
  b.mins16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
  const __m512i sc16 = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(sm));
  const uint8_t* qs = x + offsetof(Block, qs);
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i hbits = kFive ? _mm512_broadcast_i64x4(loadu256(x + offsetof(BlockQ5_K, qh))) : _mm512_setzero_si512();
  for (int h = 0; h < 2; ++h) {
    const __m512i raw = load512(qs + 64 * h);
    __m512i q[2] = {_mm512_and_si512(raw, m4), _mm512_and_si512(_mm512_srli_epi16(raw, 4), m4)};
    for (int j = 0; j < 2; ++j) {
      const int sub = 4 * h + j;  // sub-blocks sub (first half) and sub + 2
      if (kFive) {
        const __m512i sel = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi8(static_cast<char>(1 << sub)),
                                                    _mm512_set1_epi8(static_cast<char>(1 << (sub + 2))));
        q[j] = _mm512_mask_add_epi8(q[j], _mm512_test_epi8_mask(hbits, sel), q[j], _mm512_set1_epi8(0x10));
      }
      b.q[2 * h + j] = q[j];
      b.sc[2 * h + j] = scale_pair(sc16, sub, sub + 2);
    }
  }
  b.d = load_f16(x);
  b.dmin = load_f16(x + 2);
  return b;
}

// A K-quant dot's float accumulators (m: the Q4_K/Q5_K min terms).
struct KAcc {
  __m512 v = _mm512_setzero_ps();
  __m128 m = _mm_setzero_ps();
};

// Adds one super-block against one token's activations: the 4 x 64 quants
// in kQ45Order (y4[k]), its scale yd and bsums pairs (bsums[2j] +
// bsums[2j + 1]).
inline void q45_step(const Q45Weights& b, const __m512i (&y4)[4], float yd, __m128i pairs, KAcc& acc) {
  const __m128i mins = _mm_madd_epi16(b.mins16, pairs);
  acc.m = _mm_fmadd_ps(_mm_set1_ps(b.dmin * yd), _mm_cvtepi32_ps(mins), acc.m);
  __m512i s = _mm512_setzero_si512();
  for (int k = 0; k < 4; ++k) s = _mm512_dpwssd_epi32(s, _mm512_maddubs_epi16(b.q[k], y4[k]), b.sc[k]);
  acc.v = _mm512_fmadd_ps(_mm512_set1_ps(b.d * yd), _mm512_cvtepi32_ps(s), acc.v);
}

inline __m128i bsum_pairs(const uint8_t* bsums) { return _mm_hadd_epi16(loadu128(bsums), loadu128(bsums + 16)); }

inline float q45_result(const KAcc& acc) {
  __m128 m = _mm_add_ps(acc.m, _mm_movehl_ps(acc.m, acc.m));
  m = _mm_add_ss(m, _mm_movehdup_ps(m));
  return _mm512_reduce_add_ps(acc.v) - _mm_cvtss_f32(m);
}

// Straight from a Q8_K row: the quants gathered into kQ45Order as loaded.
// Bit for bit the multi-token kernel (GemmQ45) on the packed row.
template <typename Block, bool kFive>
float vec_dot_q45(int64_t n, const void* w, const void* a) {
  KAcc acc;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* y = bytes(a) + i * sizeof(BlockQ8_K);
    __m512i y4[4];
    for (int k = 0; k < 4; ++k) y4[k] = load2x256(y + 4 + kQ45Order[k][0], y + 4 + kQ45Order[k][1]);
    q45_step(unpack_q45<Block, kFive>(bytes(w) + i * sizeof(Block)), y4, load_f32(y),
             bsum_pairs(y + offsetof(BlockQ8_K, bsums)), acc);
  }
  return q45_result(acc);
}

// int16 lanes: scale g + lane / 8 of the 16 int16 scales in v.
inline __m512i scale_quad(__m512i v, int g) {
  constexpr int64_t kOne = 0x0001000100010001;  // 1 in each int16 of a qword
  const __m512i lane = _mm512_setr_epi64(0, 0, kOne, kOne, 2 * kOne, 2 * kOne, 3 * kOne, 3 * kOne);
  return _mm512_permutexvar_epi16(_mm512_add_epi16(_mm512_set1_epi16(static_cast<int16_t>(g)), lane), v);
}

// A Q6_K super-block unpacked once: values 0..63 (the -32 goes through
// bsums), 64 per step k: step 2h holds elements 128h..128h+63 (ql low
// nibbles, qh bits 0..3), step 2h + 1 the next 64 (ql high nibbles, qh bits
// 4..7); sc their scale quads, sc16 the 16 scales for the bias.
struct Q6Weights {
  __m512i q[4];
  __m512i sc[4];
  __m256i sc16;
  float d;
};

inline Q6Weights unpack_q6(const uint8_t* x) {
  const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
  const __m512i shl = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi16(4), _mm512_set1_epi16(2));
  const __m512i shr = _mm512_mask_blend_epi64(0xF0, _mm512_setzero_si512(), _mm512_set1_epi16(2));
  Q6Weights b;
  b.sc16 = _mm256_cvtepi8_epi16(loadu128(x + offsetof(BlockQ6_K, scales)));
  const __m512i sc = _mm512_castsi256_si512(b.sc16);
  for (int h = 0; h < 2; ++h) {
    const __m512i l = load512(x + 64 * h);
    const __m512i qh = _mm512_broadcast_i64x4(loadu256(x + offsetof(BlockQ6_K, qh) + 32 * h));
    b.q[2 * h] = _mm512_or_si512(_mm512_and_si512(l, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, shl), m30));
    b.q[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                                     _mm512_and_si512(_mm512_srlv_epi16(qh, shr), m30));
    b.sc[2 * h] = scale_quad(sc, 8 * h);
    b.sc[2 * h + 1] = scale_quad(sc, 8 * h + 4);
  }
  b.d = load_f16(x + offsetof(BlockQ6_K, d));
  return b;
}

// Adds one super-block against a Q8_K block: quants q8, scale yd, bsums.
inline void q6_step(const Q6Weights& b, const uint8_t* q8, float yd, const uint8_t* bsums, KAcc& acc) {
  const __m256i bias = _mm256_madd_epi16(b.sc16, loadu256(bsums));
  __m512i s = _mm512_setzero_si512();
  for (int k = 0; k < 4; ++k) s = _mm512_dpwssd_epi32(s, _mm512_maddubs_epi16(b.q[k], load512(q8 + 64 * k)), b.sc[k]);
  // 32 * bias taken from the low 8 lanes only.
  s = _mm512_sub_epi32(s, _mm512_zextsi256_si512(_mm256_slli_epi32(bias, 5)));
  acc.v = _mm512_fmadd_ps(_mm512_set1_ps(b.d * yd), _mm512_cvtepi32_ps(s), acc.v);
}

float vec_dot_q6_K(int64_t n, const void* w, const void* a) {
  KAcc acc;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* y = bytes(a) + i * sizeof(BlockQ8_K);
    q6_step(unpack_q6(bytes(w) + i * sizeof(BlockQ6_K)), y + 4, load_f32(y), y + offsetof(BlockQ8_K, bsums), acc);
  }
  return _mm512_reduce_add_ps(acc.v);
}

// ---- float types: products in float, sums in double (as the reference)

inline void add_pd(__m512 p, __m512d* lo, __m512d* hi) {
  *lo = _mm512_add_pd(*lo, _mm512_cvtps_pd(_mm512_castps512_ps256(p)));
  *hi = _mm512_add_pd(*hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(p), 1))));
}

// prod(i): the 16 products of elements i..i+15; tail(i): element i's product.
template <typename Prod, typename Tail>
float dot_double(int64_t n, Prod&& prod, Tail&& tail) {
  __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    add_pd(prod(i), &a0, &a1);
    add_pd(prod(i + 16), &a2, &a3);
  }
  for (; i + 16 <= n; i += 16) add_pd(prod(i), &a0, &a1);
  double sum = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
  for (; i < n; ++i) sum += static_cast<double>(tail(i));
  return static_cast<float>(sum);
}

inline __m512 load_ph16(const uint8_t* p) { return _mm512_cvtph_ps(loadu256(p)); }
inline __m512 load_bf16x16(const uint8_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(loadu256(p)), 16));
}
inline float bf16_at(const uint8_t* p) {
  uint32_t u = 0;
  std::memcpy(reinterpret_cast<uint8_t*>(&u) + 2, p, 2);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  return dot_double(
      n,
      [&](int64_t i) { return _mm512_mul_ps(_mm512_loadu_ps(bytes(w) + 4 * i), _mm512_loadu_ps(bytes(a) + 4 * i)); },
      [&](int64_t i) { return load_f32(bytes(w) + 4 * i) * load_f32(bytes(a) + 4 * i); });
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
  return dot_double(
      n, [&](int64_t i) { return _mm512_mul_ps(load_ph16(bytes(w) + 2 * i), load_ph16(bytes(a) + 2 * i)); },
      [&](int64_t i) { return load_f16(bytes(w) + 2 * i) * load_f16(bytes(a) + 2 * i); });
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  return dot_double(
      n, [&](int64_t i) { return _mm512_mul_ps(load_bf16x16(bytes(w) + 2 * i), load_bf16x16(bytes(a) + 2 * i)); },
      [&](int64_t i) { return bf16_at(bytes(w) + 2 * i) * bf16_at(bytes(a) + 2 * i); });
}

// ---- multi-token kernels: vec_dot with kT accumulators (see x86.h)

// Q8_K activations packed per super-block into 320 bytes (64-byte aligned
// when the buffer is): the 256 quants, then d, the 8 bsums pairs and the 16
// bsums.
constexpr size_t kQ8KPacked = 320;
constexpr size_t kQ8KD = 256, kQ8KPairs = 260, kQ8KBsums = 276;

size_t q8_K_packed_bytes(int64_t n) { return static_cast<size_t>(n / kQK_K) * kQ8KPacked; }

void pack_q8_K(int64_t n, const void* a, uint8_t* dst) {
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQ8KPacked) {
    const uint8_t* y = bytes(a) + i * sizeof(BlockQ8_K);
    std::memcpy(dst, y + 4, kQK_K);
    std::memcpy(dst + kQ8KD, y, 4);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + kQ8KPairs), bsum_pairs(y + offsetof(BlockQ8_K, bsums)));
    std::memcpy(dst + kQ8KBsums, y + offsetof(BlockQ8_K, bsums), 32);
    std::memset(dst + kQ8KBsums + 32, 0, kQ8KPacked - kQ8KBsums - 32);
  }
}

// Q8_K activations for Q4_K/Q5_K packed per super-block (kQ8KPacked
// bytes): the 256 quants in kQ45Order, then d and the 8 bsums pairs.
void pack_q8_K_q45(int64_t n, const void* a, uint8_t* dst) {
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQ8KPacked) {
    const uint8_t* y = bytes(a) + i * sizeof(BlockQ8_K);
    for (int k = 0; k < 4; ++k) {
      std::memcpy(dst + 64 * k, y + 4 + kQ45Order[k][0], 32);
      std::memcpy(dst + 64 * k + 32, y + 4 + kQ45Order[k][1], 32);
    }
    std::memcpy(dst + kQ8KD, y, 4);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + kQ8KPairs), bsum_pairs(y + offsetof(BlockQ8_K, bsums)));
    std::memset(dst + kQ8KPairs + 16, 0, kQ8KPacked - kQ8KPairs - 16);
  }
}

template <typename Block, bool kFive>
struct GemmQ45 {
  template <int kT>
  static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t a_stride, float* out, int64_t out_stride) {
    KAcc acc[kT];
    for (int64_t i = 0; i < n / kQK_K; ++i) {
      const Q45Weights b = unpack_q45<Block, kFive>(w + i * sizeof(Block));
      const uint8_t* y = a + i * kQ8KPacked;
      for (int t = 0; t < kT; ++t) {
        const uint8_t* yt = y + t * a_stride;
        const __m512i y4[4] = {load512(yt), load512(yt + 64), load512(yt + 128), load512(yt + 192)};
        q45_step(b, y4, load_f32(yt + kQ8KD), loadu128(yt + kQ8KPairs), acc[t]);
      }
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
      const uint8_t* y = a + i * kQ8KPacked;
      for (int t = 0; t < kT; ++t) {
        const uint8_t* yt = y + t * a_stride;
        q6_step(b, yt, load_f32(yt + kQ8KD), yt + kQ8KBsums, acc[t]);
      }
    }
    for (int t = 0; t < kT; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t].v);
  }
};

// Q8_0 activations packed per pair of blocks (a, b): 64 bytes q + 128 (as
// unsigned, a's then b's), then 16 floats [da x 8, db x 8]. An odd last
// block is paired with itself and its b scales are 0, as sum_pairs does.
constexpr size_t kQ8PairBytes = 128;

size_t q8_0_packed_bytes(int64_t n) { return static_cast<size_t>((n / kQk + 1) / 2) * kQ8PairBytes; }

void pack_q8_0(int64_t n, const void* a, uint8_t* dst) {
  const int64_t nb = n / kQk;
  for (int64_t i = 0; i < nb; i += 2, dst += kQ8PairBytes) {
    const uint8_t* ya = bytes(a) + i * sizeof(BlockQ8_0);
    const uint8_t* yb = i + 1 < nb ? ya + sizeof(BlockQ8_0) : ya;
    const __m512i q = _mm512_xor_si512(load2x256(ya + 2, yb + 2), _mm512_set1_epi8(static_cast<char>(0x80)));
    _mm512_storeu_si512(dst, q);
    const float db = i + 1 < nb ? load_f16(yb) : 0.0f;
    const __m512 d = _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(load_f16(ya)), _mm512_set1_ps(db));
    _mm512_storeu_ps(dst + 64, d);
  }
}

// One pair of Q8_0 weight blocks (b == a for an odd last block, whose
// scales are then 0) against kT packed tokens: the int32 lanes
// (sum (y + 128) x - 128 sum x) equal dot_offset's, the scales
// header_products' after the lane permute.
template <int kT>
inline void q8_0_pair(const uint8_t* xa, const uint8_t* xb, float db_keep, const uint8_t* y, size_t a_stride,
                      __m512 (&acc)[kT]) {
  const __m512i x = load2x256(xa + 2, xb + 2);
  const __m512i corr = _mm512_sub_epi32(_mm512_setzero_si512(), dpbusd(_mm512_set1_epi8(static_cast<char>(0x80)), x));
  const __m512 dx = _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(load_f16(xa)), _mm512_set1_ps(db_keep));
  for (int t = 0; t < kT; ++t) {
    const uint8_t* yt = y + t * a_stride;
    const __m512 p = _mm512_mul_ps(dx, _mm512_loadu_ps(yt + 64));
    acc[t] = _mm512_fmadd_ps(p, _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(corr, load512(yt), x)), acc[t]);
  }
}

// sum_pairs' accumulation order: quads of blocks, pair 0 to acc0 and pair 1
// to acc1; a leftover pair to acc0; an odd last block to acc1.
struct GemmQ8_0 {
  template <int kT>
  static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t a_stride, float* out, int64_t out_stride) {
    __m512 acc0[kT], acc1[kT];
    for (int t = 0; t < kT; ++t) acc0[t] = acc1[t] = _mm512_setzero_ps();
    const int64_t nb = n / kQk;
    constexpr size_t kX = sizeof(BlockQ8_0);
    const uint8_t* x = w;
    int64_t i = 0;
    for (; i + 3 < nb; i += 4, x += 4 * kX, a += 2 * kQ8PairBytes) {
      q8_0_pair<kT>(x, x + kX, load_f16(x + kX), a, a_stride, acc0);
      q8_0_pair<kT>(x + 2 * kX, x + 3 * kX, load_f16(x + 3 * kX), a + kQ8PairBytes, a_stride, acc1);
    }
    if (i + 1 < nb) {
      q8_0_pair<kT>(x, x + kX, load_f16(x + kX), a, a_stride, acc0);
      i += 2, x += 2 * kX, a += kQ8PairBytes;
    }
    if (i < nb) q8_0_pair<kT>(x, x, 0.0f, a, a_stride, acc1);
    for (int t = 0; t < kT; ++t) out[t * out_stride] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[t], acc1[t])) + 0.0f;
  }
};

const GemmKernel kGemmQ4K{q8_K_packed_bytes, pack_q8_K_q45, dot_tokens<GemmQ45<BlockQ4_K, false>>};
const GemmKernel kGemmQ5K{q8_K_packed_bytes, pack_q8_K_q45, dot_tokens<GemmQ45<BlockQ5_K, true>>};
const GemmKernel kGemmQ6K{q8_K_packed_bytes, pack_q8_K, dot_tokens<GemmQ6K>};
const GemmKernel kGemmQ8_0{q8_0_packed_bytes, pack_q8_0, dot_tokens<GemmQ8_0>};

const IsaOverride kAvx512Overrides[] = {
    {DType::kF32, {nullptr, nullptr, vec_dot_f32}},
    {DType::kF16, {nullptr, nullptr, vec_dot_f16}},
    {DType::kBF16, {nullptr, nullptr, vec_dot_bf16}},
    {DType::kQ4_0, {nullptr, nullptr, vec_dot_q4_0}},
    {DType::kQ4_1, {nullptr, nullptr, vec_dot_q4_1}},
    {DType::kQ5_0, {nullptr, nullptr, vec_dot_q5_0}},
    {DType::kQ5_1, {nullptr, nullptr, vec_dot_q5_1}},
    {DType::kQ8_0, {nullptr, nullptr, vec_dot_q8_0}},
    {DType::kQ4_K, {nullptr, nullptr, vec_dot_q45<BlockQ4_K, false>}},
    {DType::kQ5_K, {nullptr, nullptr, vec_dot_q45<BlockQ5_K, true>}},
    {DType::kQ6_K, {nullptr, nullptr, vec_dot_q6_K}},
};

}  // namespace

const IsaOverride* avx512_overrides(int* count) {
  *count = static_cast<int>(std::size(kAvx512Overrides));
  return kAvx512Overrides;
}

const GemmKernel* avx512_gemm(DType t) {
  switch (t) {
    case DType::kQ4_K: return &kGemmQ4K;
    case DType::kQ5_K: return &kGemmQ5K;
    case DType::kQ6_K: return &kGemmQ6K;
    case DType::kQ8_0: return &kGemmQ8_0;
    default: return nullptr;
  }
}

}  // namespace r1::kernels::x86
