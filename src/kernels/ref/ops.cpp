// Float ops of the forward pass, mirroring ggml-cpu's scalar semantics:
// reductions in double, scales as float, expf/cosf/sinf from libm.
#include <cmath>

#include "core/check.h"
#include "kernels/ops.h"

namespace r1::kernels {
namespace {
constexpr int64_t kMaxRotPairs = 1024;
}  // namespace

void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps) {
  CHECK(n > 0);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  if (weight == nullptr) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * weight[i];
  }
}

void softmax(float* x, int64_t n) {
  CHECK(n > 0);
  float max = -INFINITY;
  for (int64_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += static_cast<double>(x[i]);
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

void add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void rope(float* x, int64_t n_heads, int64_t pos, const RopeParams& p) {
  CHECK(p.n_rot > 0 && p.n_rot % 2 == 0 && p.n_rot <= p.head_dim) << p.n_rot << " / " << p.head_dim;
  const int64_t pairs = p.n_rot / 2;
  CHECK_LE(pairs, kMaxRotPairs);
  // ggml's rope cache: theta_i = pos * theta_scale^i, iterated in float.
  float cos_t[kMaxRotPairs], sin_t[kMaxRotPairs];
  const float theta_scale = std::pow(p.theta_base, -2.0f / static_cast<float>(p.n_rot));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < pairs; ++i) {
    const float ff = p.freq_factors != nullptr ? p.freq_factors[i] : 1.0f;
    const float t = theta / ff;
    cos_t[i] = std::cos(t);
    sin_t[i] = std::sin(t);
    theta *= theta_scale;
  }
  const int64_t stride = p.neox ? pairs : 1;  // offset of a pair's second element
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * p.head_dim;
    for (int64_t i = 0; i < pairs; ++i) {
      const int64_t i0 = p.neox ? i : 2 * i;
      const float x0 = v[i0], x1 = v[i0 + stride];
      v[i0] = x0 * cos_t[i] - x1 * sin_t[i];
      v[i0 + stride] = x0 * sin_t[i] + x1 * cos_t[i];
    }
  }
}

}  // namespace r1::kernels
