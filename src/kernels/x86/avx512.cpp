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

// int16 lanes [v[k] x 16 | v[k + 1] x 16] of the 8 int16 in v.
inline __m512i scale_pair(__m512i v, int k) {
  const __m512i idx = _mm512_mask_blend_epi16(0xFFFF0000u, _mm512_set1_epi16(static_cast<int16_t>(k)),
                                              _mm512_set1_epi16(static_cast<int16_t>(k + 1)));
  return _mm512_permutexvar_epi16(idx, v);
}

// sum_j min_j * (bsums[2j] + bsums[2j+1]) as 4 int32 lanes.
inline __m128i k_min_sums(__m128i mins8, const uint8_t* bsums) {
  const __m128i pairs = _mm_hadd_epi16(loadu128(bsums), loadu128(bsums + 16));
  return _mm_madd_epi16(_mm_cvtepu8_epi16(mins8), pairs);
}

// Scaled int32 sums of a Q4_K/Q5_K super-block: 64 elements per step, the
// low nibbles (sub-block 2c) in bytes 0..31, the high ones in 32..63.
template <bool kFive>
__m512i q45_sums(const uint8_t* qs, const uint8_t* qh, const uint8_t* q8, __m512i sc16) {
  __m512i acc = _mm512_setzero_si512();
  const __m512i hbits = kFive ? _mm512_broadcast_i64x4(loadu256(qh)) : _mm512_setzero_si512();
  for (int c = 0; c < 4; ++c) {
    const __m512i raw = _mm512_broadcast_i64x4(loadu256(qs + 32 * c));
    __m512i q = _mm512_and_si512(_mm512_mask_srli_epi16(raw, 0xFFFF0000u, raw, 4), _mm512_set1_epi8(0x0F));
    if (kFive) {
      const __m512i sel = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi8(static_cast<char>(1 << (2 * c))),
                                                  _mm512_set1_epi8(static_cast<char>(2 << (2 * c))));
      q = _mm512_mask_add_epi8(q, _mm512_test_epi8_mask(hbits, sel), q, _mm512_set1_epi8(0x10));
    }
    const __m512i p = _mm512_maddubs_epi16(q, load512(q8 + 64 * c));
    acc = _mm512_dpwssd_epi32(acc, p, scale_pair(sc16, 2 * c));
  }
  return acc;
}

template <typename Block, bool kFive>
float vec_dot_q45(int64_t n, const void* w, const void* a) {
  __m512 acc = _mm512_setzero_ps();
  __m128 acc_m = _mm_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* x = bytes(w) + i * sizeof(Block);
    const uint8_t* y = bytes(a) + i * sizeof(BlockQ8_K);
    const float yd = load_f32(y);
    const __m128i sm = unpack_k_scales(x + offsetof(Block, scales));
    const __m128i mins = k_min_sums(_mm_unpackhi_epi64(sm, sm), y + offsetof(BlockQ8_K, bsums));
    acc_m = _mm_fmadd_ps(_mm_set1_ps(load_f16(x + 2) * yd), _mm_cvtepi32_ps(mins), acc_m);
    const __m512i sc16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(sm));
    const uint8_t* qh = kFive ? x + offsetof(BlockQ5_K, qh) : nullptr;
    const __m512i s = q45_sums<kFive>(x + offsetof(Block, qs), qh, y + 4, sc16);
    acc = _mm512_fmadd_ps(_mm512_set1_ps(load_f16(x) * yd), _mm512_cvtepi32_ps(s), acc);
  }
  __m128 m = _mm_add_ps(acc_m, _mm_movehl_ps(acc_m, acc_m));
  m = _mm_add_ss(m, _mm_movehdup_ps(m));
  return _mm512_reduce_add_ps(acc) - _mm_cvtss_f32(m);
}

// int16 lanes: scale g + lane / 8 of the 16 int16 scales in v.
inline __m512i scale_quad(__m512i v, int g) {
  constexpr int64_t kOne = 0x0001000100010001;  // 1 in each int16 of a qword
  const __m512i lane = _mm512_setr_epi64(0, 0, kOne, kOne, 2 * kOne, 2 * kOne, 3 * kOne, 3 * kOne);
  return _mm512_permutexvar_epi16(_mm512_add_epi16(_mm512_set1_epi16(static_cast<int16_t>(g)), lane), v);
}

// Q6_K: values 0..63 (the -32 goes through bsums) x q8, 128 elements per
// step: bytes 0..63 hold elements 0..63 (ql low nibbles, qh bits 0..3),
// then 64..127 (ql high nibbles, qh bits 4..7).
__m512i q6_sums(const uint8_t* x, const uint8_t* q8, __m512i sc16) {
  const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
  const __m512i shl = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi16(4), _mm512_set1_epi16(2));
  const __m512i shr = _mm512_mask_blend_epi64(0xF0, _mm512_setzero_si512(), _mm512_set1_epi16(2));
  __m512i acc = _mm512_setzero_si512();
  for (int h = 0; h < 2; ++h) {
    const __m512i l = load512(x + 64 * h);
    const __m512i qh = _mm512_broadcast_i64x4(loadu256(x + offsetof(BlockQ6_K, qh) + 32 * h));
    const __m512i ab = _mm512_or_si512(_mm512_and_si512(l, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, shl), m30));
    const __m512i cd = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                                       _mm512_and_si512(_mm512_srlv_epi16(qh, shr), m30));
    const __m512i pab = _mm512_maddubs_epi16(ab, load512(q8 + 128 * h));
    const __m512i pcd = _mm512_maddubs_epi16(cd, load512(q8 + 128 * h + 64));
    acc = _mm512_dpwssd_epi32(acc, pab, scale_quad(sc16, 8 * h));
    acc = _mm512_dpwssd_epi32(acc, pcd, scale_quad(sc16, 8 * h + 4));
  }
  return acc;
}

float vec_dot_q6_K(int64_t n, const void* w, const void* a) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* x = bytes(w) + i * sizeof(BlockQ6_K);
    const uint8_t* y = bytes(a) + i * sizeof(BlockQ8_K);
    const __m256i sc = _mm256_cvtepi8_epi16(loadu128(x + offsetof(BlockQ6_K, scales)));
    const __m256i bias = _mm256_madd_epi16(sc, loadu256(y + offsetof(BlockQ8_K, bsums)));
    __m512i s = q6_sums(x, y + 4, _mm512_castsi256_si512(sc));
    // 32 * bias taken from the low 8 lanes only.
    s = _mm512_sub_epi32(s, _mm512_zextsi256_si512(_mm256_slli_epi32(bias, 5)));
    acc = _mm512_fmadd_ps(_mm512_set1_ps(load_f16(x + offsetof(BlockQ6_K, d)) * load_f32(y)),
                          _mm512_cvtepi32_ps(s), acc);
  }
  return _mm512_reduce_add_ps(acc);
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

}  // namespace r1::kernels::x86
