// Weight quantizers of Q4_K, Q5_K and Q6_K. Not bit-identical with ggml (both
// engines read the same files, so only soundness matters): each sub-block's
// scale (and min) is chosen by a small search over candidate step sizes with a
// weighted least-squares refit, then the per-sub-block scales are quantized
// against the super-block scale and the values re-quantized with the final,
// stored scales.
#include <cmath>
#include <cstddef>
#include <cstring>

#include "kernels/ref/quants.h"
#include "kernels/ref/util.h"
#include "tensor/blocks.h"

namespace r1::kernels::ref {
namespace {

constexpr float kGroupEps = 1e-15f;

struct AsymFit {
  float scale = 0;  // x ~= scale * L - min
  float min = 0;    // >= 0
};

// Least-squares (scale, offset) for x ~= s * L + b with weights w, b <= 0.
// Returns the weighted squared error, or INFINITY when degenerate.
float refit(const float* x, const float* w, const uint8_t* L, int n, float* s, float* b) {
  float sw = 0, sl = 0, sl2 = 0, sx = 0, slx = 0, sx2 = 0;
  for (int i = 0; i < n; ++i) {
    const float l = L[i];
    sw += w[i];
    sl += w[i] * l;
    sl2 += w[i] * l * l;
    sx += w[i] * x[i];
    slx += w[i] * l * x[i];
    sx2 += w[i] * x[i] * x[i];
  }
  const float det = sw * sl2 - sl * sl;
  if (!(det > 0)) return INFINITY;
  *s = (sw * slx - sx * sl) / det;
  *b = (sl2 * sx - sl * slx) / det;
  if (*b > 0) {
    *b = 0;
    *s = slx / sl2;
  }
  if (!(*s > 0)) return INFINITY;
  // sum w (s l + b - x)^2, expanded over the sums above.
  const float err = *s * *s * sl2 + 2 * *s * *b * sl + *b * *b * sw - 2 * *s * slx - 2 * *b * sx + sx2;
  return std::fmax(err, 0.0f);
}

// Chooses levels L in [0, nmax] and (scale, min) for n values.
AsymFit fit_asym(const float* x, const float* w, int n, int nmax, uint8_t* L) {
  float lo = 0, hi = x[0];
  for (int i = 0; i < n; ++i) {
    lo = std::fmin(lo, x[i]);
    hi = std::fmax(hi, x[i]);
  }
  AsymFit best{0, -lo};
  std::memset(L, 0, static_cast<size_t>(n));
  if (!(hi - lo > kGroupEps)) return best;
  float best_err = INFINITY;
  uint8_t cand[32];
  for (int step = -10; step <= 10; ++step) {
    const float iscale = (static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / (hi - lo);
    for (int i = 0; i < n; ++i) cand[i] = static_cast<uint8_t>(clamp_int(nearest_int(iscale * (x[i] - lo)), 0, nmax));
    float s = 0, b = 0;
    const float err = refit(x, w, cand, n, &s, &b);
    if (err < best_err) {
      best_err = err;
      best = AsymFit{s, -b};
      std::memcpy(L, cand, static_cast<size_t>(n));
    }
  }
  if (best_err == INFINITY) best = AsymFit{(hi - lo) / static_cast<float>(nmax), -lo};
  return best;
}

// Sub-block scales (and mins) of a Q4_K/Q5_K super-block, quantized to 6 bits
// against d and dmin; writes d, dmin and scales[12] of the block header.
void quantize_k_header(const float* x, int nmax, uint8_t* header, float* sub_d, float* sub_m) {
  AsymFit fits[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    float w[32];
    for (int l = 0; l < 32; ++l) w[l] = av_x + std::fabs(xs[l]);
    uint8_t L[32];
    fits[j] = fit_asym(xs, w, 32, nmax, L);
    max_scale = std::fmax(max_scale, fits[j].scale);
    max_min = std::fmax(max_min, fits[j].min);
  }
  const uint16_t d16 = fp32_to_fp16(max_scale / 63.f);
  const uint16_t m16 = fp32_to_fp16(max_min / 63.f);
  const float d = fp16_to_fp32(d16), dmin = fp16_to_fp32(m16);
  std::memcpy(header + offsetof(BlockQ4_K, d), &d16, 2);
  std::memcpy(header + offsetof(BlockQ4_K, dmin), &m16, 2);
  uint8_t* scales = header + offsetof(BlockQ4_K, scales);
  std::memset(scales, 0, kKScaleSize);
  for (int j = 0; j < 8; ++j) {
    const int ls = d > 0 ? clamp_int(nearest_int(fits[j].scale / d), 0, 63) : 0;
    const int lm = dmin > 0 ? clamp_int(nearest_int(fits[j].min / dmin), 0, 63) : 0;
    pack_scale_min(j, static_cast<uint8_t>(ls), static_cast<uint8_t>(lm), scales);
    sub_d[j] = d * static_cast<float>(ls);
    sub_m[j] = dmin * static_cast<float>(lm);
  }
}

// Levels of a Q4_K/Q5_K super-block with its final scales.
void quantize_k_levels(const float* x, int nmax, const float* sub_d, const float* sub_m, uint8_t* L) {
  for (int j = 0; j < 8; ++j) {
    for (int l = 0; l < 32; ++l) {
      const int e = 32 * j + l;
      L[e] = sub_d[j] > 0 ? static_cast<uint8_t>(clamp_int(nearest_int((x[e] + sub_m[j]) / sub_d[j]), 0, nmax)) : 0;
    }
  }
}

// Symmetric fit for Q6_K: L in [-32, 31], x ~= scale * L. Weights x^2.
float fit_sym(const float* x, int n, int8_t* L) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  std::memset(L, 0, static_cast<size_t>(n));
  if (amax < kGroupEps) return 0;
  float best_scale = 0, best_score = -1;
  for (int step = -9; step <= 9; ++step) {
    // Negative iscale maps the largest value to -32, the longer side.
    const float iscale = -(32.f + 0.1f * static_cast<float>(step)) / max;
    float slx = 0, sl2 = 0;
    int8_t cand[16];
    for (int i = 0; i < n; ++i) {
      cand[i] = static_cast<int8_t>(clamp_int(nearest_int(iscale * x[i]), -32, 31));
      const float w = x[i] * x[i];
      slx += w * x[i] * cand[i];
      sl2 += w * cand[i] * cand[i];
    }
    if (sl2 > 0 && slx * slx / sl2 > best_score) {
      best_score = slx * slx / sl2;
      best_scale = slx / sl2;
      std::memcpy(L, cand, static_cast<size_t>(n));
    }
  }
  return best_scale;
}

void quantize_block_q6(const float* x, uint8_t* out) {
  BlockQ6_K b{};
  float scales[16];
  int8_t L[kQK_K];
  float max_abs = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = fit_sym(x + 16 * j, 16, L + 16 * j);
    max_abs = std::fmax(max_abs, std::fabs(scales[j]));
  }
  b.d = fp32_to_fp16(max_abs / 127.f);
  const float d = fp16_to_fp32(b.d);
  for (int j = 0; j < 16; ++j) {
    const int sc = d > 0 ? clamp_int(nearest_int(scales[j] / d), -127, 127) : 0;
    b.scales[j] = static_cast<int8_t>(sc);
    const float dsc = d * static_cast<float>(sc);
    for (int l = 0; l < 16; ++l) {
      const int e = 16 * j + l;
      L[e] = dsc != 0 ? static_cast<int8_t>(clamp_int(nearest_int(x[e] / dsc), -32, 31)) : 0;
    }
  }
  for (int h = 0; h < 2; ++h) {
    const int8_t* q = L + 128 * h;
    for (int l = 0; l < 32; ++l) {
      const int q1 = q[l] + 32, q2 = q[l + 32] + 32, q3 = q[l + 64] + 32, q4 = q[l + 96] + 32;
      b.ql[64 * h + l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
      b.ql[64 * h + l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
      b.qh[32 * h + l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
  std::memcpy(out, &b, sizeof(b));
}

}  // namespace

void from_float_q4_K(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    BlockQ4_K b{};
    float sub_d[8], sub_m[8];
    uint8_t L[kQK_K];
    quantize_k_header(x, 15, reinterpret_cast<uint8_t*>(&b), sub_d, sub_m);
    quantize_k_levels(x, 15, sub_d, sub_m, L);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) b.qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }
    std::memcpy(static_cast<uint8_t*>(dst) + i * static_cast<int64_t>(sizeof(b)), &b, sizeof(b));
  }
}

void from_float_q5_K(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    BlockQ5_K b{};
    float sub_d[8], sub_m[8];
    uint8_t L[kQK_K];
    quantize_k_header(x, 31, reinterpret_cast<uint8_t*>(&b), sub_d, sub_m);
    quantize_k_levels(x, 31, sub_d, sub_m, L);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
        b.qs[32 * c + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        b.qh[l] = static_cast<uint8_t>(b.qh[l] | ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
      }
    }
    std::memcpy(static_cast<uint8_t*>(dst) + i * static_cast<int64_t>(sizeof(b)), &b, sizeof(b));
  }
}

void from_float_q6_K(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    quantize_block_q6(src + i * kQK_K, static_cast<uint8_t*>(dst) + i * static_cast<int64_t>(sizeof(BlockQ6_K)));
  }
}

}  // namespace r1::kernels::ref
