// fp16 and bf16 <-> fp32 conversions, bit-exact with ggml's scalar ones
// (fp16: IEEE round-to-nearest-even; bf16: round-to-nearest-even, NaN kept
// quiet).
//
// Thread contract: pure functions (the table is immutable once built).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace r1 {

float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);

// fp16_to_fp32 of all 65536 bit patterns (as ggml's table), built once on
// first use (thread-safe static initialization): table[h] == fp16_to_fp32(h).
const float* fp16_table();

inline uint32_t float_bits(float f) { return std::bit_cast<uint32_t>(f); }
inline float bits_float(uint32_t u) { return std::bit_cast<float>(u); }

inline float bf16_to_fp32(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

inline uint16_t fp32_to_bf16(float f) {
  const uint32_t u = float_bits(f);
  if ((u & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((u >> 16) | 64);  // quiet NaN
  return static_cast<uint16_t>((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

}  // namespace r1
