// Small helpers shared by the reference kernels: unaligned loads/stores,
// ggml's nearest-int rounding and the 6-bit scale packing of Q4_K/Q5_K.
//
// Thread contract: pure functions.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/check.h"
#include "tensor/half.h"

namespace r1::kernels::ref {

inline float load_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_fp32(h);
}

inline void store_f16(uint8_t* p, float v) {
  const uint16_t h = fp32_to_fp16(v);
  std::memcpy(p, &h, 2);
}

inline float load_f32(const uint8_t* p) {
  float v;
  std::memcpy(&v, p, 4);
  return v;
}

inline int16_t load_i16(const uint8_t* p) {
  int16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5 * 2^23 puts the
// integer in the low mantissa bits (the FPU rounds the sum to nearest even).
inline int nearest_int(float v) {
  DCHECK(v <= 4194303.f && v >= -4194303.f) << v;
  const float shifted = v + 12582912.f;
  int32_t bits;
  std::memcpy(&bits, &shifted, 4);
  return (bits & 0x007fffff) - 0x00400000;
}

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Q4_K/Q5_K pack eight 6-bit scales and eight 6-bit mins into 12 bytes:
// bytes 0..3 hold scales 0..3 (low 6 bits) and the top 2 bits of scales
// 4..7; bytes 4..7 the same for mins; bytes 8..11 the low 4 bits of scale
// (low nibble) and min (high nibble) 4..7.
inline void unpack_scale_min(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

inline void pack_scale_min(int j, uint8_t sc, uint8_t m, uint8_t* q) {
  if (j < 4) {
    q[j] = static_cast<uint8_t>((q[j] & 0xC0) | (sc & 63));
    q[j + 4] = static_cast<uint8_t>((q[j + 4] & 0xC0) | (m & 63));
  } else {
    q[j + 4] = static_cast<uint8_t>((sc & 0xF) | ((m & 0xF) << 4));
    q[j - 4] = static_cast<uint8_t>((q[j - 4] & 63) | ((sc >> 4) << 6));
    q[j] = static_cast<uint8_t>((q[j] & 63) | ((m >> 4) << 6));
  }
}

}  // namespace r1::kernels::ref
