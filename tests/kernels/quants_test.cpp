// Quantize/dequantize round trips and hand-built blocks with known values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>

#include "kernels/kernels.h"
#include "kernels/test_util.h"
#include "tensor/blocks.h"
#include "tensor/half.h"

namespace r1::kernels {
namespace {

using testing::dequantize;
using testing::gaussian;
using testing::quantize;

double relative_rmse(const std::vector<float>& x, const std::vector<float>& y) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    ref += static_cast<double>(x[i]) * x[i];
  }
  return std::sqrt(err / ref);
}

// Relative RMSE bounds on Gaussian data, about 1.2x what the quantizers
// reach (measured: q8_0 0.0054, q4_0 0.087, q4_1 0.079, q5_0 0.043,
// q5_1 0.038, q4_K 0.073, q5_K 0.036, q6_K 0.018, q8_K 0.0069).
const std::map<DType, double> kMaxRelRmse = {
    {DType::kF32, 0.0},      {DType::kF16, 3e-4},    {DType::kBF16, 2.2e-3}, {DType::kQ8_0, 0.0066},
    {DType::kQ8_1, 0.0066},  {DType::kQ8_K, 0.0083}, {DType::kQ4_0, 0.105},  {DType::kQ4_1, 0.095},
    {DType::kQ5_0, 0.052},   {DType::kQ5_1, 0.046},  {DType::kQ4_K, 0.087},  {DType::kQ5_K, 0.044},
    {DType::kQ6_K, 0.0215},
};

TEST(Quants, RoundTripError) {
  const int64_t n = 16 * 256;
  for (DType t : testing::quant_types()) {
    for (uint32_t seed : {1u, 2u}) {
      const auto x = gaussian(n, seed, seed == 1 ? 1.0f : 0.02f);
      const auto y = dequantize(t, quantize(t, x), n);
      const double rmse = relative_rmse(x, y);
      EXPECT_LE(rmse, kMaxRelRmse.at(t)) << dtype_traits(t).name << " seed " << seed;
      RecordProperty(std::string(dtype_traits(t).name), std::to_string(rmse));
    }
  }
}

TEST(Quants, KQuantsBeatLegacyOfSameBits) {
  const int64_t n = 32 * 256;
  const auto x = gaussian(n, 7);
  auto err = [&](DType t) { return relative_rmse(x, dequantize(t, quantize(t, x), n)); };
  EXPECT_LT(err(DType::kQ4_K), err(DType::kQ4_0));
  EXPECT_LT(err(DType::kQ5_K), err(DType::kQ5_0));
  EXPECT_LT(err(DType::kQ6_K), err(DType::kQ5_K));
  EXPECT_LT(err(DType::kQ8_0), err(DType::kQ6_K));
}

TEST(Quants, ZerosStayZero) {
  const int64_t n = 512;
  const std::vector<float> x(n, 0.0f);
  for (DType t : testing::quant_types()) {
    for (float v : dequantize(t, quantize(t, x), n)) ASSERT_EQ(v, 0.0f) << dtype_traits(t).name;
  }
}

TEST(Quants, OutlierBlockKeepsItsMax) {
  // One large value per block: symmetric quantizers represent it closely.
  const int64_t n = 256;
  auto x = gaussian(n, 3, 0.01f);
  x[5] = 3.0f;
  x[100] = -2.0f;
  for (DType t : testing::quant_types()) {
    const auto y = dequantize(t, quantize(t, x), n);
    EXPECT_NEAR(y[5], 3.0f, 0.1f) << dtype_traits(t).name;
    EXPECT_NEAR(y[100], -2.0f, 0.2f) << dtype_traits(t).name;
  }
}

std::vector<float> to_float(DType t, const void* block, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  quant_ops(t, Isa::kScalar).to_float(block, y.data(), n);
  return y;
}

TEST(Quants, HandBuiltQ4_0) {
  BlockQ4_0 b;
  b.d = 0x3800;  // 0.5
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto y = to_float(DType::kQ4_0, &b, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f);
    EXPECT_EQ(y[j + 16], (7 - j) * 0.5f);
  }
}

TEST(Quants, HandBuiltQ8_0) {
  BlockQ8_0 b;
  b.d = 0x3400;  // 0.25
  for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(4 * j - 64);
  const auto y = to_float(DType::kQ8_0, &b, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], (4 * j - 64) * 0.25f);
}

TEST(Quants, HandBuiltQ5_0AndQ4_1) {
  BlockQ5_0 b5;
  b5.d = 0x3c00;  // 1
  const uint32_t qh = 0xA5A5F00Fu;
  std::memcpy(b5.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b5.qs[j] = static_cast<uint8_t>((j * 3 % 16) | ((j * 5 % 16) << 4));
  const auto y5 = to_float(DType::kQ5_0, &b5, 32);
  for (int j = 0; j < 32; ++j) {
    const int lo = j < 16 ? j * 3 % 16 : (j - 16) * 5 % 16;
    const int hi = static_cast<int>((qh >> j) & 1);
    EXPECT_EQ(y5[j], static_cast<float>((lo | (hi << 4)) - 16)) << j;
  }
  BlockQ4_1 b4;
  b4.d = 0x4000;  // 2
  b4.m = 0xbc00;  // -1
  for (int j = 0; j < 16; ++j) b4.qs[j] = static_cast<uint8_t>(j | (j << 4));
  const auto y4 = to_float(DType::kQ4_1, &b4, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y4[j], 2.0f * j - 1.0f);
    EXPECT_EQ(y4[j + 16], 2.0f * j - 1.0f);
  }
}

// 6-bit scale/min packing of Q4_K/Q5_K, written from the format description.
void pack_k_scales(const int* sc, const int* m, uint8_t* out) {
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<uint8_t>(sc[i] | ((sc[i + 4] >> 4) << 6));
    out[i + 4] = static_cast<uint8_t>(m[i] | ((m[i + 4] >> 4) << 6));
    out[i + 8] = static_cast<uint8_t>((sc[i + 4] & 15) | ((m[i + 4] & 15) << 4));
  }
}

TEST(Quants, HandBuiltQ4_K) {
  BlockQ4_K b{};
  b.d = 0x3800;     // 0.5
  b.dmin = 0x3400;  // 0.25
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = 10 + 7 * j;  // up to 59: exercises the high bits
    m[j] = 63 - 5 * j;
  }
  pack_k_scales(sc, m, b.scales);
  for (int e = 0; e < 256; ++e) {
    const int q = e * 7 % 16, c = e / 64, l = e % 64;
    if (l < 32) b.qs[32 * c + l] |= static_cast<uint8_t>(q);
    else b.qs[32 * c + l - 32] |= static_cast<uint8_t>(q << 4);
  }
  const auto y = to_float(DType::kQ4_K, &b, 256);
  for (int e = 0; e < 256; ++e) {
    const int j = e / 32;
    EXPECT_FLOAT_EQ(y[e], 0.5f * sc[j] * (e * 7 % 16) - 0.25f * m[j]) << e;
  }
}

TEST(Quants, HandBuiltQ5_K) {
  BlockQ5_K b{};
  b.d = 0x3c00;     // 1
  b.dmin = 0x3800;  // 0.5
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = 63 - 3 * j;
    m[j] = 1 + 8 * j;
  }
  pack_k_scales(sc, m, b.scales);
  for (int e = 0; e < 256; ++e) {
    const int q = e * 11 % 32, c = e / 64, l = e % 64;
    const int pos = l % 32, bit = 2 * c + (l >= 32 ? 1 : 0);
    b.qs[32 * c + pos] |= static_cast<uint8_t>((q & 15) << (l >= 32 ? 4 : 0));
    b.qh[pos] |= static_cast<uint8_t>((q >> 4) << bit);
  }
  const auto y = to_float(DType::kQ5_K, &b, 256);
  for (int e = 0; e < 256; ++e) {
    const int j = e / 32;
    EXPECT_FLOAT_EQ(y[e], 1.0f * sc[j] * (e * 11 % 32) - 0.5f * m[j]) << e;
  }
}

TEST(Quants, HandBuiltQ6_K) {
  BlockQ6_K b{};
  b.d = 0x3000;  // 0.125
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j * 9 - 70);
  for (int e = 0; e < 256; ++e) {
    // Halves of 128; in each, 4 rows of 32: ql low/high nibble of byte l or
    // l + 32, two bits of qh[l] per row.
    const int q = e * 5 % 64, h = e / 128, r = (e % 128) / 32, l = e % 32;
    const int ql_index = 64 * h + l + (r % 2) * 32;
    b.ql[ql_index] |= static_cast<uint8_t>((q & 15) << (r >= 2 ? 4 : 0));
    b.qh[32 * h + l] |= static_cast<uint8_t>((q >> 4) << (2 * r));
  }
  const auto y = to_float(DType::kQ6_K, &b, 256);
  for (int e = 0; e < 256; ++e) {
    EXPECT_FLOAT_EQ(y[e], 0.125f * b.scales[e / 16] * (e * 5 % 64 - 32)) << e;
  }
}

TEST(Quants, ActivationBlocks) {
  const auto x = gaussian(256, 11);
  // Q8_1: s = d * sum(q) with d before rounding to fp16.
  const auto q81 = quantize(DType::kQ8_1, x);
  for (int i = 0; i < 8; ++i) {
    BlockQ8_1 b;
    std::memcpy(&b, q81.data() + i * sizeof(b), sizeof(b));
    int sum = 0, amax = 0;
    for (int8_t q : b.qs) {
      sum += q;
      amax = std::max(amax, std::abs(static_cast<int>(q)));
    }
    EXPECT_EQ(amax, 127);
    EXPECT_NEAR(fp16_to_fp32(b.s), fp16_to_fp32(b.d) * sum, std::fabs(fp16_to_fp32(b.d) * sum) * 2e-3 + 1e-6);
  }
  // Q8_K: bsums are the sums of 16 quants; the largest value maps to -127
  // times the sign (d carries it).
  BlockQ8_K k;
  const auto q8k = quantize(DType::kQ8_K, x);
  std::memcpy(&k, q8k.data(), sizeof(k));
  for (int j = 0; j < 16; ++j) {
    int sum = 0;
    for (int l = 0; l < 16; ++l) sum += k.qs[16 * j + l];
    EXPECT_EQ(k.bsums[j], sum);
  }
  int max_at = 0;
  for (int e = 0; e < 256; ++e) if (std::fabs(x[e]) > std::fabs(x[max_at])) max_at = e;
  EXPECT_EQ(k.qs[max_at], -127);
  EXPECT_FLOAT_EQ(k.d * -127.0f, x[max_at]);
}

TEST(Quants, Q8_0RoundsHalfToEven) {
  // amax = 127 makes id exactly 1, so x * id keeps the ties.
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = -3.5f;
  x[3] = 0.5f;
  const auto q = quantize(DType::kQ8_0, x);
  BlockQ8_0 b;
  std::memcpy(&b, q.data(), sizeof(b));
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 2);
  EXPECT_EQ(b.qs[2], -4);
  EXPECT_EQ(b.qs[3], 0);
  EXPECT_EQ(b.d, fp32_to_fp16(1.0f));
}

}  // namespace
}  // namespace r1::kernels
