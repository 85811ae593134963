// The scalar attention kernels and the run-time choice of path.
#include "model/attention/attention_kernels.h"

#include "kernels/kernels.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/check.h"
#include "tensor/half.h"

namespace r1::model {
namespace {

void to_fp16_scalar(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void round_weights_scalar(const float* e, float w, float* p, int64_t n) {
  const float* table = fp16_table();
  for (int64_t i = 0; i < n; ++i) p[i] = table[fp32_to_fp16(e[i] * w)];
}

void v_sum_scalar(const VSumArgs& a) {
  const float* table = fp16_table();
  for (int64_t j = 0; j < a.n_rows; ++j) {
    const uint16_t* v = a.v + j * a.v_stride;
    for (int64_t h = 0; h < a.n_heads; ++h) {
      const float w = a.p[h * a.p_stride + j];
      float* acc = a.acc + h * a.d;
      for (int64_t i = 0; i < a.d; ++i) acc[i] += w * table[v[i]];
    }
  }
}

void scores_scalar(const ScoreArgs& a) {
  const float* table = fp16_table();
  for (int64_t j = 0; j < a.n_rows; ++j) {
    const uint16_t* k = a.k + j * a.k_stride;
    for (int64_t h = 0; h < a.n_heads; ++h) {
      const uint16_t* q = a.q + h * a.d;
      float l[8] = {};
      for (int64_t i = 0; i < a.d; ++i) l[i % 8] += table[k[i]] * table[q[i]];  // exact products
      const float s = ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
      a.out[h * a.out_stride + j] = s * a.scale;
    }
  }
}

float exp_scalar(float x) {
  if (std::isnan(x)) return x;
  if (x < kExpMin) return 0.0f;
  const float k = std::nearbyint(x * kLog2e);
  float r = std::fma(k, -kLn2Hi, x);
  r = std::fma(k, -kLn2Lo, r);
  float p = kExpP[0];
  for (int i = 1; i < 6; ++i) p = std::fma(p, r, kExpP[i]);
  const float y = std::fma(p, r * r, r) + 1.0f;
  const auto bits = static_cast<uint32_t>(static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

double exp_sum_scalar(float* s, int64_t n, float max) {
  double l[8] = {};
  for (int64_t j = 0; j < n; ++j) {
    s[j] = exp_scalar(s[j] - max);
    l[j % 8] += static_cast<double>(s[j]);
  }
  return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

constexpr AttentionKernels kScalarKernels{to_fp16_scalar, round_weights_scalar, v_sum_scalar, scores_scalar,
                                          exp_sum_scalar};

AttentionPath best_path() {
  return attention_path_supported(AttentionPath::kF16c) ? AttentionPath::kF16c : AttentionPath::kScalar;
}

std::atomic<AttentionPath>& path_slot() {
  static std::atomic<AttentionPath> slot{best_path()};
  return slot;
}

}  // namespace

bool attention_path_supported(AttentionPath path) {
  if (path == AttentionPath::kScalar) return true;
#if defined(__x86_64__)
  // The AVX2 kernel path requires AVX2 + FMA + F16C, exactly what this needs.
  return kernels::cpu_supports(kernels::Isa::kAvx2);
#else
  return false;
#endif
}

AttentionPath attention_path() { return path_slot().load(std::memory_order_relaxed); }

void set_attention_path(AttentionPath path) {
  CHECK(attention_path_supported(path)) << "attention path not supported by this CPU";
  path_slot().store(path, std::memory_order_relaxed);
}

const AttentionKernels& attention_kernels(AttentionPath path) {
  if (path == AttentionPath::kScalar) return kScalarKernels;
  CHECK(attention_path_supported(path));
  return attention_kernels_f16c();
}

}  // namespace r1::model
