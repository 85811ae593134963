// Parity with llama.cpp's own kernels: loads the peer's prebuilt ggml
// libraries (when present) and checks that our scalar reference is
// bit-identical to ggml's dequantizers, reference quantizers, the x86
// activation quantizers and the generic vec_dot kernels.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "core/check.h"
#include "kernels/kernels.h"
#include "kernels/test_util.h"
#include "tensor/half.h"

namespace r1::kernels {
namespace {

using testing::gaussian;

const std::string kBins = std::string(R1_SOURCE_DIR) +
                          "/.cache/peer/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/";

using RowFn = void (*)(const void*, void*, int64_t);
using GgmlDotFn = void (*)(int, float*, size_t, const void*, size_t, const void*, size_t, int);

class Ggml : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = dlopen((kBins + "libggml-base.so").c_str(), RTLD_NOW | RTLD_GLOBAL);
    const bool haswell = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                         __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi2");
    if (base_ != nullptr && haswell) {
      cpu_ = dlopen((kBins + "libggml-cpu-haswell.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    }
    if (base_ != nullptr) {
      // Baseline x86-64 build: its *_generic kernels are plain C without FMA
      // contraction, i.e. the source's float semantics.
      generic_ = dlopen((kBins + "libggml-cpu-x64.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    }
    for (void* lib : {cpu_, generic_}) {  // fills the fp16 tables
      if (lib == nullptr) continue;
      if (auto init = reinterpret_cast<void (*)()>(dlsym(lib, "ggml_cpu_init"))) init();
    }
  }

  void SetUp() override {
    if (base_ == nullptr) GTEST_SKIP() << "peer ggml libraries not found under " << kBins;
  }

  template <typename Fn>
  static Fn base_fn(const std::string& name) {
    void* p = dlsym(base_, name.c_str());
    CHECK(p != nullptr) << name;
    return reinterpret_cast<Fn>(p);
  }

  template <typename Fn>
  static Fn cpu_fn(const std::string& name, void* lib = cpu_) {
    void* p = lib == nullptr ? nullptr : dlsym(lib, name.c_str());
    return reinterpret_cast<Fn>(p);
  }

  static std::vector<uint8_t> ggml_quantize(DType t, const std::vector<float>& x) {
    std::vector<uint8_t> q(dtype_row_bytes(t, static_cast<int64_t>(x.size())));
    const std::string name = "quantize_row_" + std::string(dtype_traits(t).name) + "_ref";
    base_fn<void (*)(const float*, void*, int64_t)>(name)(x.data(), q.data(), static_cast<int64_t>(x.size()));
    return q;
  }

  static std::vector<float> ggml_dequantize(DType t, const std::vector<uint8_t>& q, int64_t n) {
    std::vector<float> y(static_cast<size_t>(n));
    base_fn<void (*)(const void*, float*, int64_t)>("dequantize_row_" + std::string(dtype_traits(t).name))(
        q.data(), y.data(), n);
    return y;
  }

  static inline void* base_ = nullptr;
  static inline void* cpu_ = nullptr;
  static inline void* generic_ = nullptr;
};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

TEST_F(Ggml, Fp16Conversions) {
  auto to16 = base_fn<uint16_t (*)(float)>("ggml_fp32_to_fp16");
  auto to32 = base_fn<float (*)(uint16_t)>("ggml_fp16_to_fp32");
  for (uint64_t u = 0; u <= 0xffffffffull; u += 4099) {
    float f;
    const uint32_t b = static_cast<uint32_t>(u);
    std::memcpy(&f, &b, 4);
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), to16(f)) << std::hex << b;
  }
  for (uint32_t h = 0; h < 65536; ++h) {
    const float ours = fp16_to_fp32(static_cast<uint16_t>(h));
    const float theirs = to32(static_cast<uint16_t>(h));
    if (std::isnan(theirs)) {
      ASSERT_TRUE(std::isnan(ours));
      continue;
    }
    ASSERT_EQ(std::memcmp(&ours, &theirs, 4), 0) << h;
  }
}

const DType kBlockTypes[] = {DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                             DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K};

TEST_F(Ggml, DequantizeIsBitIdentical) {
  const int64_t n = 8 * 256;
  for (DType t : kBlockTypes) {
    const auto x = gaussian(n, 21, 0.7f);
    const auto theirs = ggml_quantize(t, x);  // ggml's encoder, both decoders
    ASSERT_TRUE(same_bits(testing::dequantize(t, theirs, n), ggml_dequantize(t, theirs, n)))
        << dtype_traits(t).name;
    const auto ours = testing::quantize(t, x);  // our encoder, both decoders
    ASSERT_TRUE(same_bits(testing::dequantize(t, ours, n), ggml_dequantize(t, ours, n)))
        << dtype_traits(t).name;
  }
}

TEST_F(Ggml, LegacyQuantizersAreBitIdentical) {
  for (DType t : {DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      const auto x = gaussian(1024, seed, seed == 3 ? 1e-3f : 1.0f);
      ASSERT_EQ(testing::quantize(t, x), ggml_quantize(t, x)) << dtype_traits(t).name;
    }
  }
  const auto x = gaussian(4096, 9);
  ASSERT_EQ(testing::quantize(DType::kQ8_K, x), ggml_quantize(DType::kQ8_K, x));
}

TEST_F(Ggml, ActivationQuantizersMatchTheCpuBackend) {
  if (cpu_ == nullptr) GTEST_SKIP() << "no haswell-class CPU backend";
  for (DType t : {DType::kQ8_0, DType::kQ8_1, DType::kQ8_K}) {
    auto fn = cpu_fn<void (*)(const float*, void*, int64_t)>("quantize_row_" + std::string(dtype_traits(t).name));
    ASSERT_NE(fn, nullptr);
    for (uint32_t seed : {4u, 5u}) {
      auto x = gaussian(2048, seed);
      x[17] = 0.5f;  // some exact ties after scaling are likely with round values
      std::vector<uint8_t> theirs(dtype_row_bytes(t, 2048));
      fn(x.data(), theirs.data(), 2048);
      ASSERT_EQ(testing::quantize(t, x), theirs) << dtype_traits(t).name;
    }
  }
}

const std::pair<DType, const char*> kDotKernels[] = {
    {DType::kQ4_0, "q4_0_q8_0"}, {DType::kQ4_1, "q4_1_q8_1"}, {DType::kQ5_0, "q5_0_q8_0"},
    {DType::kQ5_1, "q5_1_q8_1"}, {DType::kQ8_0, "q8_0_q8_0"}, {DType::kQ4_K, "q4_K_q8_K"},
    {DType::kQ5_K, "q5_K_q8_K"}, {DType::kQ6_K, "q6_K_q8_K"},
};

TEST_F(Ggml, VecDotMatchesGenericKernelsBitwise) {
  if (generic_ == nullptr) GTEST_SKIP() << "no baseline x86-64 CPU backend";
  for (const auto& [t, name] : kDotKernels) {
    auto fn = cpu_fn<GgmlDotFn>("ggml_vec_dot_" + std::string(name) + "_generic", generic_);
    ASSERT_NE(fn, nullptr) << name;
    const DType at = dtype_traits(t).vec_dot_type;
    for (int64_t n : {256, 1536, 8960 - 8960 % 256}) {
      const auto w = ggml_quantize(t, gaussian(n, 31, 0.05f));
      const auto a = testing::quantize(at, gaussian(n, 32));
      float theirs = 0;
      fn(static_cast<int>(n), &theirs, 0, w.data(), 0, a.data(), 0, 1);
      const float ours = quant_ops(t, Isa::kScalar).vec_dot(n, w.data(), a.data());
      ASSERT_EQ(ours, theirs) << name << " n=" << n;
    }
  }
}

// The SIMD kernels the peer really runs sum in another order: close, not equal.
TEST_F(Ggml, VecDotCloseToSimdKernels) {
  if (cpu_ == nullptr) GTEST_SKIP() << "no haswell-class CPU backend";
  for (const auto& [t, name] : kDotKernels) {
    auto fn = cpu_fn<GgmlDotFn>("ggml_vec_dot_" + std::string(name));
    ASSERT_NE(fn, nullptr) << name;
    const DType at = dtype_traits(t).vec_dot_type;
    const int64_t n = 4096;
    const auto w = ggml_quantize(t, gaussian(n, 33, 0.05f));
    const auto a = testing::quantize(at, gaussian(n, 34));
    float theirs = 0;
    fn(static_cast<int>(n), &theirs, 0, w.data(), 0, a.data(), 0, 1);
    const float ours = quant_ops(t, Isa::kScalar).vec_dot(n, w.data(), a.data());
    const auto wf = testing::dequantize(t, w, n), af = testing::dequantize(at, a, n);
    EXPECT_NEAR(ours, theirs, 1e-5 * testing::abs_dot(wf, af)) << name;
  }
}

TEST_F(Ggml, FloatDotsCloseToCpuBackend) {
  if (cpu_ == nullptr) GTEST_SKIP() << "no haswell-class CPU backend";
  const int64_t n = 1536;
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16}) {
    auto fn = cpu_fn<GgmlDotFn>("ggml_vec_dot_" + std::string(dtype_traits(t).name));
    ASSERT_NE(fn, nullptr);
    const auto w = testing::quantize(t, gaussian(n, 41));
    const auto a = testing::quantize(t, gaussian(n, 42));
    float theirs = 0;
    fn(static_cast<int>(n), &theirs, 0, w.data(), 0, a.data(), 0, 1);
    const float ours = quant_ops(t, Isa::kScalar).vec_dot(n, w.data(), a.data());
    const auto wf = testing::dequantize(t, w, n), af = testing::dequantize(t, a, n);
    EXPECT_NEAR(ours, theirs, 1e-5 * testing::abs_dot(wf, af)) << dtype_traits(t).name;
  }
}

TEST_F(Ggml, KQuantizersAsGoodAsGgmlReference) {
  const int64_t n = 64 * 256;
  for (DType t : {DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    for (float scale : {1.0f, 0.02f}) {
      const auto x = gaussian(n, 51, scale);
      auto err = [&](const std::vector<float>& y) {
        double e = 0;
        for (int64_t i = 0; i < n; ++i) e += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
        return std::sqrt(e / n);
      };
      const double ours = err(testing::dequantize(t, testing::quantize(t, x), n));
      const double theirs = err(ggml_dequantize(t, ggml_quantize(t, x), n));
      EXPECT_LE(ours, 1.05 * theirs) << dtype_traits(t).name << " scale " << scale;
      RecordProperty(std::string(dtype_traits(t).name) + "_ours_vs_ggml", std::to_string(ours / theirs));
    }
  }
}

}  // namespace
}  // namespace r1::kernels
