// vec_dot against the dot of the dequantized operands, unaligned pointers,
// and every ISA path against the scalar reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/test_util.h"
#include "tensor/blocks.h"
#include "tensor/half.h"

namespace r1::kernels {
namespace {

using testing::gaussian;
using testing::Shifted;

// Q4_1/Q5_1 x Q8_1 add m * s per block, where s = d * sum(q) was rounded to
// fp16 from the unrounded d: allow that rounding (~2^-11 relative, twice).
double q8_1_slack(DType t, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a, int64_t n) {
  if (dtype_traits(t).vec_dot_type != DType::kQ8_1) return 0;
  double slack = 0;
  for (int64_t i = 0; i < n / 32; ++i) {
    uint16_t m, s;
    std::memcpy(&m, w.data() + i * dtype_traits(t).block_bytes + 2, 2);
    std::memcpy(&s, a.data() + i * sizeof(BlockQ8_1) + 2, 2);
    slack += std::fabs(fp16_to_fp32(m) * fp16_to_fp32(s)) * 1.5e-3;
  }
  return slack;
}

TEST(VecDot, MatchesDotOfDequantizedOperands) {
  for (DType t : testing::weight_types()) {
    const DTypeTraits& tr = dtype_traits(t);
    const DType at = tr.vec_dot_type;
    const int64_t block = std::max<int64_t>(dtype_traits(at).block_size, tr.block_size);
    for (int64_t blocks = 1; blocks <= 8; ++blocks) {
      const int64_t n = blocks * std::max<int64_t>(block, 32);
      const auto w = testing::quantize(t, gaussian(n, 100 + static_cast<uint32_t>(blocks)));
      const auto a = testing::quantize(at, gaussian(n, 200 + static_cast<uint32_t>(blocks)));
      const auto wf = testing::dequantize(t, w, n);
      const auto af = testing::dequantize(at, a, n);
      const double expect = testing::dot(wf, af);
      const double tol = 2e-6 * testing::abs_dot(wf, af) + q8_1_slack(t, w, a, n) + 1e-6;
      for (size_t ow = 0; ow < 4; ++ow) {
        for (size_t oa = 0; oa < 4; oa += (ow == 0 ? 1 : 3)) {
          Shifted sw(w, ow), sa(a, oa);
          const float got = quant_ops(t, Isa::kScalar).vec_dot(n, sw.ptr, sa.ptr);
          ASSERT_NEAR(got, expect, tol) << tr.name << " n=" << n << " offsets " << ow << "," << oa;
        }
      }
    }
  }
}

TEST(VecDot, UnalignedRoundTrips) {
  for (DType t : testing::quant_types()) {
    const int64_t n = 512;
    const auto x = gaussian(n, 5);
    const auto q = testing::quantize(t, x);
    const auto y = testing::dequantize(t, q, n);
    for (size_t off = 1; off < 4; ++off) {
      Shifted s(q, off);
      std::vector<float> y2(n);
      quant_ops(t, Isa::kScalar).to_float(s.ptr, y2.data(), n);
      ASSERT_EQ(std::memcmp(y.data(), y2.data(), n * sizeof(float)), 0) << dtype_traits(t).name;
      std::vector<uint8_t> out(q.size() + 8, 0xAB);
      quant_ops(t, Isa::kScalar).from_float(x.data(), out.data() + off, n);
      ASSERT_EQ(std::memcmp(out.data() + off, q.data(), q.size()), 0) << dtype_traits(t).name;
    }
  }
}

TEST(VecDot, OpsTablesAreComplete) {
  for (DType t : testing::weight_types()) {
    const QuantOps& ops = quant_ops(t, Isa::kScalar);
    EXPECT_NE(ops.to_float, nullptr) << dtype_traits(t).name;
    EXPECT_NE(ops.from_float, nullptr) << dtype_traits(t).name;
    EXPECT_NE(ops.vec_dot, nullptr) << dtype_traits(t).name;
    const QuantOps& act = quant_ops(dtype_traits(t).vec_dot_type, Isa::kScalar);
    EXPECT_NE(act.from_float, nullptr) << dtype_traits(t).name;
  }
  EXPECT_EQ(quant_ops(DType::kQ8_K, Isa::kScalar).vec_dot, nullptr);
  EXPECT_EQ(quant_ops(DType::kQ2_K, Isa::kScalar).to_float, nullptr);
  EXPECT_EQ(quant_ops(DType::kI32, Isa::kScalar).from_float, nullptr);
}

TEST(Isa, DetectionIsConsistent) {
  EXPECT_TRUE(cpu_supports(Isa::kScalar));
  EXPECT_TRUE(cpu_supports(detected_isa()));
  const Isa before = active_isa();
  set_isa(Isa::kScalar);
  EXPECT_EQ(active_isa(), Isa::kScalar);
  set_isa(before);
  EXPECT_STREQ(isa_name(Isa::kAvx2), "avx2");
}

class IsaParity : public ::testing::TestWithParam<Isa> {};

TEST_P(IsaParity, MatchesScalar) {
  const Isa isa = GetParam();
  for (DType t : testing::quant_types()) {
    const QuantOps& ref = quant_ops(t, Isa::kScalar);
    const QuantOps& ops = quant_ops(t, isa);
    const char* name = dtype_traits(t).name.data();
    for (int64_t n : {256, 1024, 8960 - 8960 % 256}) {
      const auto x = gaussian(n, static_cast<uint32_t>(n));
      const auto q_ref = testing::quantize(t, x, Isa::kScalar);
      const auto q = testing::quantize(t, x, isa);
      ASSERT_EQ(q, q_ref) << name << " from_float on " << isa_name(isa);
      const auto y_ref = testing::dequantize(t, q_ref, n, Isa::kScalar);
      const auto y = testing::dequantize(t, q_ref, n, isa);
      ASSERT_EQ(std::memcmp(y.data(), y_ref.data(), y.size() * 4), 0) << name << " to_float";
      if (ref.vec_dot == nullptr) continue;
      const DType at = dtype_traits(t).vec_dot_type;
      const auto a = testing::quantize(at, gaussian(n, 99));
      const float want = ref.vec_dot(n, q_ref.data(), a.data());
      const float got = ops.vec_dot(n, q_ref.data(), a.data());
      const auto wf = testing::dequantize(t, q_ref, n);
      const auto af = testing::dequantize(at, a, n);
      EXPECT_NEAR(got, want, 1e-5 * testing::abs_dot(wf, af) + 1e-6) << name << " vec_dot";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SupportedIsas, IsaParity, ::testing::ValuesIn(testing::supported_isas()),
                         [](const ::testing::TestParamInfo<Isa>& info) { return isa_name(info.param); });

}  // namespace
}  // namespace r1::kernels
