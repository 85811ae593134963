// Helpers shared by the kernel tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "tensor/dtype.h"

namespace r1::kernels::testing {

inline std::vector<float> gaussian(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Weight types the engine computes with.
inline std::vector<DType> weight_types() {
  return {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
          DType::kQ5_1, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
}

// Every type with to_float/from_float (weights and activation types).
inline std::vector<DType> quant_types() {
  std::vector<DType> t = weight_types();
  t.push_back(DType::kQ8_1);
  t.push_back(DType::kQ8_K);
  return t;
}

inline std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (cpu_supports(isa)) out.push_back(isa);
  }
  return out;
}

inline std::vector<uint8_t> quantize(DType t, const std::vector<float>& x, Isa isa = Isa::kScalar) {
  std::vector<uint8_t> q(dtype_row_bytes(t, static_cast<int64_t>(x.size())));
  quant_ops(t, isa).from_float(x.data(), q.data(), static_cast<int64_t>(x.size()));
  return q;
}

inline std::vector<float> dequantize(DType t, const std::vector<uint8_t>& q, int64_t n,
                                     Isa isa = Isa::kScalar) {
  std::vector<float> y(static_cast<size_t>(n));
  quant_ops(t, isa).to_float(q.data(), y.data(), n);
  return y;
}

inline double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

inline double abs_dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) * b[i]);
  return s;
}

// Copies bytes to an offset inside a fresh buffer (misaligns by `offset`,
// 0..8).
struct Shifted {
  std::vector<uint8_t> storage;
  uint8_t* ptr;
  Shifted(const std::vector<uint8_t>& bytes, size_t offset) : storage(bytes.size() + 8) {
    ptr = storage.data() + offset;
    std::memcpy(ptr, bytes.data(), bytes.size());
  }
};

}  // namespace r1::kernels::testing
