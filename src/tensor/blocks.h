// Quantization block layouts, byte-exact with GGUF/ggml (ggml-common.h).
// Every struct is pinned with static_assert on size; they are read straight
// from mmap'd files, so they must have no padding and alignment 1..4.
//
// Thread contract: plain data.
#pragma once

#include <cstdint>

namespace r1 {

using half_bits = uint16_t;  // IEEE fp16 bits (see half.h)

inline constexpr int kQK4_0 = 32;
inline constexpr int kQK4_1 = 32;
inline constexpr int kQK5_0 = 32;
inline constexpr int kQK5_1 = 32;
inline constexpr int kQK8_0 = 32;
inline constexpr int kQK8_1 = 32;
inline constexpr int kQK_K = 256;       // super-block size of the K-quants
inline constexpr int kKScaleSize = 12;  // packed 6-bit scales of Q4_K/Q5_K

// x = d * (q - 8), q in [0, 15]; element j in low nibble of qs[j],
// element j + 16 in the high nibble.
struct BlockQ4_0 {
  half_bits d;
  uint8_t qs[kQK4_0 / 2];
};
static_assert(sizeof(BlockQ4_0) == 2 + 16);

// x = d * q + m
struct BlockQ4_1 {
  half_bits d;
  half_bits m;
  uint8_t qs[kQK4_1 / 2];
};
static_assert(sizeof(BlockQ4_1) == 4 + 16);

// x = d * (q - 16), q 5 bits: low 4 bits as Q4_0, bit 4 of element j in
// bit j of qh (little-endian uint32).
struct BlockQ5_0 {
  half_bits d;
  uint8_t qh[4];
  uint8_t qs[kQK5_0 / 2];
};
static_assert(sizeof(BlockQ5_0) == 2 + 4 + 16);

struct BlockQ5_1 {
  half_bits d;
  half_bits m;
  uint8_t qh[4];
  uint8_t qs[kQK5_1 / 2];
};
static_assert(sizeof(BlockQ5_1) == 4 + 4 + 16);

// x = d * q
struct BlockQ8_0 {
  half_bits d;
  int8_t qs[kQK8_0];
};
static_assert(sizeof(BlockQ8_0) == 2 + 32);

// Activation type for Q4_1/Q5_1: s = d * sum(qs).
struct BlockQ8_1 {
  half_bits d;
  half_bits s;
  int8_t qs[kQK8_1];
};
static_assert(sizeof(BlockQ8_1) == 4 + 32);

// 8 sub-blocks of 32; 6-bit scale and min per sub-block packed in scales[12]:
// x = d * sc * q - dmin * m.
struct BlockQ4_K {
  half_bits d;
  half_bits dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ4_K) == 4 + 12 + 128);

// As Q4_K with a fifth bit per element in qh.
struct BlockQ5_K {
  half_bits d;
  half_bits dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ5_K) == 4 + 12 + 32 + 128);

// 16 sub-blocks of 16; x = d * scales[i] * (q - 32), q 6 bits split as
// 4 low bits in ql and 2 high bits in qh.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  half_bits d;
};
static_assert(sizeof(BlockQ6_K) == 128 + 64 + 16 + 2);

// Activation type of the K-quants: float scale, sums of each 16 for mins.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};
static_assert(sizeof(BlockQ8_K) == 4 + 256 + 32);

}  // namespace r1
