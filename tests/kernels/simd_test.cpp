// Every SIMD path this CPU supports against the scalar reference: vec_dot
// within 1e-5 of the sum of |products| (integer sums are exact; only float
// scaling order differs), activation quantizers byte-identical, over block
// counts 1..16, model row lengths, misaligned pointers, random raw weight
// bytes and extreme inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "kernels/kernels.h"
#include "kernels/test_util.h"
#include "tensor/blocks.h"
#include "tensor/half.h"

namespace r1::kernels {
namespace {

using testing::gaussian;
using testing::Shifted;

std::vector<Isa> simd_isas() {
  std::vector<Isa> out;
  for (Isa isa : testing::supported_isas()) {
    if (isa != Isa::kScalar) out.push_back(isa);
  }
  return out;
}

// Elements per block of the dot of weight type t (at least 32).
int64_t dot_block(DType t) {
  const DTypeTraits& tr = dtype_traits(t);
  return std::max<int64_t>({tr.block_size, dtype_traits(tr.vec_dot_type).block_size, 32});
}

// Offsets of the fp16 scale fields of a quantized weight block.
std::vector<size_t> half_fields(DType t) {
  switch (t) {
    case DType::kQ4_1:
    case DType::kQ5_1:
    case DType::kQ4_K:
    case DType::kQ5_K: return {0, 2};
    case DType::kQ6_K: return {offsetof(BlockQ6_K, d)};
    default: return {0};
  }
}

// Weights of n elements: raw random bytes with finite fp16 scales (every bit
// pattern of quants, packed scales and high bits) for the quantized types,
// quantized Gaussians for the float ones. fill >= 0 sets every byte.
std::vector<uint8_t> make_weights(DType t, int64_t n, uint32_t seed, int fill = -1, float scale = 0.0f) {
  const DTypeTraits& tr = dtype_traits(t);
  if (!tr.quantized) return testing::quantize(t, gaussian(n, seed));
  std::vector<uint8_t> w(dtype_row_bytes(t, n));
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  for (uint8_t& b : w) b = static_cast<uint8_t>(fill >= 0 ? fill : static_cast<int>(rng() & 0xFF));
  for (size_t off = 0; off < w.size(); off += tr.block_bytes) {
    for (size_t f : half_fields(t)) {
      const uint16_t h = fp32_to_fp16(scale != 0.0f ? scale : dist(rng));
      std::memcpy(w.data() + off + f, &h, 2);
    }
  }
  return w;
}

// Checks vec_dot of isa against scalar on (w, a) at every offset pair.
void expect_dot_matches(Isa isa, DType t, int64_t n, const std::vector<uint8_t>& w,
                        const std::vector<uint8_t>& a, const char* what) {
  const DType at = dtype_traits(t).vec_dot_type;
  const float want = quant_ops(t, Isa::kScalar).vec_dot(n, w.data(), a.data());
  const double tol = 1e-5 * testing::abs_dot(testing::dequantize(t, w, n), testing::dequantize(at, a, n)) + 1e-6;
  for (size_t ow = 0; ow < 4; ++ow) {
    for (size_t oa = 0; oa < 4; oa += (ow == 0 ? 1 : 3)) {
      Shifted sw(w, ow), sa(a, oa);
      const float got = quant_ops(t, isa).vec_dot(n, sw.ptr, sa.ptr);
      ASSERT_NEAR(got, want, tol) << dtype_traits(t).name << " " << isa_name(isa) << " " << what << " n=" << n
                                  << " offsets " << ow << "," << oa;
    }
  }
}

std::vector<int64_t> dot_lengths(DType t) {
  std::vector<int64_t> ns;
  const int64_t b = dot_block(t);
  for (int64_t k = 1; k <= 16; ++k) ns.push_back(k * b);
  if (dtype_traits(t).block_size == 1) {  // float types take any n
    for (int64_t k : {1, 3, 7, 8, 9, 15, 17, 31, 33, 63, 65}) ns.push_back(k);
  }
  ns.push_back(1536);
  ns.push_back(8960);
  return ns;
}

class SimdDot : public ::testing::TestWithParam<Isa> {};

TEST_P(SimdDot, RandomWeightsAllLengthsAndOffsets) {
  for (DType t : testing::weight_types()) {
    const DType at = dtype_traits(t).vec_dot_type;
    for (int64_t n : dot_lengths(t)) {
      const auto w = make_weights(t, n, static_cast<uint32_t>(n) * 7 + 1);
      const auto a = testing::quantize(at, gaussian(n, static_cast<uint32_t>(n) + 3));
      expect_dot_matches(GetParam(), t, n, w, a, "random");
    }
  }
}

TEST_P(SimdDot, ExtremeInputs) {
  for (DType t : testing::weight_types()) {
    if (!dtype_traits(t).quantized) continue;
    const DType at = dtype_traits(t).vec_dot_type;
    const int64_t n = 8 * dot_block(t);
    std::vector<float> big(n), alt(n), zeros(n, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      big[i] = 3.0f;
      alt[i] = (i % 3 == 0) ? -3.0f : 3.0f;
    }
    for (int fill : {0x00, 0xFF, 0x80, 0x7F, 0x55}) {
      for (float scale : {1.0f, -1.0f, 60000.0f}) {
        const auto w = make_weights(t, n, 9, fill, scale);
        for (const auto* x : {&big, &alt, &zeros}) {
          expect_dot_matches(GetParam(), t, n, w, testing::quantize(at, *x), "extreme");
        }
      }
    }
  }
}

TEST_P(SimdDot, TablesCompleteAndOverridden) {
  for (DType t : testing::quant_types()) {
    const QuantOps& ref = quant_ops(t, Isa::kScalar);
    const QuantOps& ops = quant_ops(t, GetParam());
    EXPECT_EQ(ops.to_float == nullptr, ref.to_float == nullptr) << dtype_traits(t).name;
    EXPECT_EQ(ops.from_float == nullptr, ref.from_float == nullptr) << dtype_traits(t).name;
    EXPECT_EQ(ops.vec_dot == nullptr, ref.vec_dot == nullptr) << dtype_traits(t).name;
    if (ref.vec_dot != nullptr) {
      EXPECT_NE(ops.vec_dot, ref.vec_dot) << dtype_traits(t).name << " has no SIMD dot";
    }
  }
  for (DType t : {DType::kQ8_0, DType::kQ8_1, DType::kQ8_K}) {
    EXPECT_NE(quant_ops(t, GetParam()).from_float, quant_ops(t, Isa::kScalar).from_float);
  }
}

// Inputs that exercise the quantizers' rounding and special cases.
std::vector<std::vector<float>> quantizer_inputs(int64_t n) {
  std::vector<std::vector<float>> xs;
  xs.push_back(gaussian(n, 11));
  xs.push_back(gaussian(n, 12, 1e-30f));  // subnormal scales
  xs.push_back(gaussian(n, 13, 1e30f));
  xs.push_back(std::vector<float>(n, 0.0f));
  xs.push_back(std::vector<float>(n, -0.0f));
  std::vector<float> ties(n), signs(n), special = gaussian(n, 14);
  for (int64_t i = 0; i < n; ++i) {
    ties[i] = static_cast<float>(i % 255 - 127) * 0.5f;  // amax 127 -> id 1: exact .5 ties
    signs[i] = (i % 5 == 2) ? -2.0f : ((i % 7 == 3) ? 2.0f : 1.0f);  // +-amax ties
  }
  for (int64_t i = 0; i < n; i += 37) special[i] = std::numeric_limits<float>::quiet_NaN();
  for (int64_t i = 5; i < n; i += 301) special[i] = std::numeric_limits<float>::infinity();
  xs.push_back(ties);
  xs.push_back(signs);
  xs.push_back(special);
  return xs;
}

TEST_P(SimdDot, ActivationQuantizersByteIdentical) {
  for (DType t : {DType::kQ8_0, DType::kQ8_1, DType::kQ8_K, DType::kF16, DType::kBF16}) {
    const int64_t b = dtype_traits(t).block_size == 1 ? 32 : dtype_traits(t).block_size;
    std::vector<int64_t> ns;
    for (int64_t k = 1; k <= 16; ++k) ns.push_back(k * b);
    ns.push_back(1536);
    ns.push_back(8960);
    for (int64_t n : ns) {
      for (const auto& x : quantizer_inputs(n)) {
        const auto want = testing::quantize(t, x, Isa::kScalar);
        for (size_t off = 0; off < 4; ++off) {
          std::vector<uint8_t> out(want.size() + 8, 0xAB);
          quant_ops(t, GetParam()).from_float(x.data(), out.data() + off, n);
          ASSERT_EQ(std::memcmp(out.data() + off, want.data(), want.size()), 0)
              << dtype_traits(t).name << " " << isa_name(GetParam()) << " n=" << n << " off=" << off;
        }
      }
    }
  }
}

TEST_P(SimdDot, DequantizeMatchesScalar) {
  for (DType t : testing::weight_types()) {
    const int64_t n = 1536;
    const auto w = make_weights(t, n, 21);
    const auto want = testing::dequantize(t, w, n, Isa::kScalar);
    const auto got = testing::dequantize(t, w, n, GetParam());
    ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * 4), 0) << dtype_traits(t).name;
  }
}

INSTANTIATE_TEST_SUITE_P(SimdIsas, SimdDot, ::testing::ValuesIn(simd_isas()),
                         [](const ::testing::TestParamInfo<Isa>& info) { return isa_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdDot);

}  // namespace
}  // namespace r1::kernels
