#include "tensor/half.h"

namespace r1 {
namespace {

constexpr uint32_t kF32ExpBias = 127;
constexpr uint32_t kF16ExpBias = 15;
constexpr uint32_t kRebias = (kF32ExpBias - kF16ExpBias) << 23;  // exponent delta in f32 bits
constexpr uint32_t kF16MinNormal = 0x38800000;  // 2^-14 as f32 bits
constexpr uint32_t kF16Overflow = 0x477ff000;   // 65520: ties to even round to inf
constexpr uint32_t kHalfOfMinSub = 0x33000000;  // 2^-25: ties to even round to 0

// Round-to-nearest-even right shift of m by s bits (1 <= s <= 31).
inline uint32_t shift_rne(uint32_t m, uint32_t s) {
  const uint32_t q = m >> s;
  const uint32_t rem = m & ((1u << s) - 1);
  const uint32_t half = 1u << (s - 1);
  return q + ((rem > half || (rem == half && (q & 1))) ? 1 : 0);
}

}  // namespace

float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return bits_float(sign | 0x7f800000 | (mant << 13));  // inf / NaN
  if (exp != 0) return bits_float(sign | (((exp + kF32ExpBias - kF16ExpBias) << 23) | (mant << 13)));
  // Zero or subnormal: mant * 2^-24, exact in float.
  const float mag = static_cast<float>(mant) * 0x1p-24f;
  return bits_float(sign | float_bits(mag));
}

uint16_t fp32_to_fp16(float f) {
  const uint32_t u = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  const uint32_t a = u & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00;         // NaN -> quiet NaN, as ggml
  if (a >= kF16Overflow) return sign | 0x7c00;      // overflow and inf
  if (a >= kF16MinNormal) {
    // Round the 23-bit mantissa to 10 bits; a carry bumps the exponent.
    const uint32_t r = a + 0xfff + ((a >> 13) & 1);
    return static_cast<uint16_t>(sign | ((r - kRebias) >> 13));
  }
  if (a <= kHalfOfMinSub) return sign;
  // Subnormal: value = m * 2^(e - 150); in units of 2^-24 that is m >> (126 - e).
  const uint32_t e = a >> 23;
  const uint32_t m = (a & 0x7fffff) | 0x800000;
  return static_cast<uint16_t>(sign | shift_rne(m, 126 - e));
}

const float* fp16_table() {
  static const float* table = [] {
    static float t[1 << 16];
    for (uint32_t h = 0; h < (1u << 16); ++h) t[h] = fp16_to_fp32(static_cast<uint16_t>(h));
    return t;
  }();
  return table;
}

}  // namespace r1
