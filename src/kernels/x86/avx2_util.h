// Private to x86/: AVX2 helpers shared by avx2.cpp and avx512.cpp (both are
// compiled with at least AVX2+FMA+F16C). Include only from those files.
//
// Thread contract: pure functions.
#pragma once

// GCC 12's AVX-512 intrinsics self-initialize "undefined" vectors, which
// -Wuninitialized reports at their inlined use; the header is not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif

#include <cstdint>
#include <cstring>

namespace r1::kernels::x86 {

inline float load_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

inline float load_f32(const uint8_t* p) {
  float v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline __m256i loadu256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m128i loadu128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

inline float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline double hsum_pd(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// Products of the fp16 pairs at the start of two weight blocks and their
// activation blocks: [dxa * dya, mxa * sya, dxb * dyb, mxb * syb] (lanes 1
// and 3 are junk for types without m/s; they are never used then).
inline __m128 header_products(const uint8_t* xa, const uint8_t* ya, const uint8_t* xb, const uint8_t* yb) {
  __m128i h = _mm_cvtsi32_si128(static_cast<int32_t>(load_u32(xa)));
  h = _mm_insert_epi32(h, static_cast<int32_t>(load_u32(xb)), 1);
  h = _mm_insert_epi32(h, static_cast<int32_t>(load_u32(ya)), 2);
  h = _mm_insert_epi32(h, static_cast<int32_t>(load_u32(yb)), 3);
  const __m256 f = _mm256_cvtph_ps(h);
  return _mm_mul_ps(_mm256_castps256_ps128(f), _mm256_extractf128_ps(f, 1));
}

// Lanes 1 + 3 of v.
inline float odd_lanes_sum(__m128 v) {
  const __m128 h = _mm_movehdup_ps(v);  // [v1, v1, v3, v3]
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehl_ps(h, h)));
}

// 0xFF in byte j where bit j of bits is set, else 0.
inline __m256i bits_to_bytes(uint32_t bits) {
  const __m256i shuf = _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303);
  const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int32_t>(bits)), shuf);
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

// Q4_K/Q5_K scales: bytes 0..7 the eight 6-bit scales, 8..15 the mins.
inline __m128i unpack_k_scales(const uint8_t* q) {
  const uint32_t u0 = load_u32(q), u1 = load_u32(q + 4), u2 = load_u32(q + 8);
  const uint32_t sc_lo = u0 & 0x3f3f3f3f;
  const uint32_t m_lo = u1 & 0x3f3f3f3f;
  const uint32_t sc_hi = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
  const uint32_t m_hi = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4);
  return _mm_setr_epi32(static_cast<int32_t>(sc_lo), static_cast<int32_t>(sc_hi),
                        static_cast<int32_t>(m_lo), static_cast<int32_t>(m_hi));
}

// ggml's nearest_int (round half to even via the 1.5 * 2^23 trick) on every
// lane, bit for bit, NaN and out-of-range inputs included.
inline __m256i nearest_int(__m256 v) {
  const __m256i b = _mm256_castps_si256(_mm256_add_ps(v, _mm256_set1_ps(12582912.f)));
  return _mm256_sub_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x00400000));
}

inline __m256 abs_ps(__m256 v) { return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }

// Max of |x| over n floats (n a multiple of 8); NaN ignored, as fmax does.
inline float abs_max(const float* x, int n) {
  __m256 m = _mm256_setzero_ps();
  for (int j = 0; j < n; j += 8) m = _mm256_max_ps(abs_ps(_mm256_loadu_ps(x + j)), m);
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Packs 4 x 8 int32 (each already in int8 range) into 32 int8 in order.
inline __m256i pack_i32_to_i8(__m256i q0, __m256i q1, __m256i q2, __m256i q3) {
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

}  // namespace r1::kernels::x86
