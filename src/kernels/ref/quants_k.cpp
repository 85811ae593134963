// Reference kernels of the K-quants: dequantize Q4_K/Q5_K/Q6_K/Q8_K, the
// Q8_K activation quantizer (ggml's quantize_row_q8_K_ref) and the dots
// against Q8_K, which mirror ggml's generic ones: integer sums in 8 lanes
// (element index mod 8), scaled per super-block into 8 float lanes, mins
// subtracted through the Q8_K bsums, lanes added last.
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/ref/quants.h"
#include "kernels/ref/util.h"
#include "tensor/blocks.h"

namespace r1::kernels::ref {
namespace {

constexpr int kLanes = 8;

template <typename Block>
const uint8_t* block_at(const void* base, int64_t i) {
  return static_cast<const uint8_t*>(base) + i * static_cast<int64_t>(sizeof(Block));
}

// Q4_K/Q5_K element values 0..15 (0..31 with qh) in natural order.
void unpack_q45(const uint8_t* qs, const uint8_t* qh, int8_t* out) {
  for (int c = 0; c < kQK_K / 64; ++c) {
    for (int l = 0; l < 32; ++l) {
      out[64 * c + l] = static_cast<int8_t>(qs[32 * c + l] & 0xF);
      out[64 * c + 32 + l] = static_cast<int8_t>(qs[32 * c + l] >> 4);
    }
    if (qh == nullptr) continue;
    for (int l = 0; l < 32; ++l) {
      out[64 * c + l] = static_cast<int8_t>(out[64 * c + l] | (((qh[l] >> (2 * c)) & 1) << 4));
      out[64 * c + 32 + l] = static_cast<int8_t>(out[64 * c + 32 + l] | (((qh[l] >> (2 * c + 1)) & 1) << 4));
    }
  }
}

// Q6_K element values -32..31 in natural order.
void unpack_q6(const uint8_t* ql, const uint8_t* qh, int8_t* out) {
  for (int h = 0; h < kQK_K / 128; ++h) {
    const uint8_t* l4 = ql + 64 * h;
    const uint8_t* h2 = qh + 32 * h;
    int8_t* o = out + 128 * h;
    for (int l = 0; l < 32; ++l) {
      o[l] = static_cast<int8_t>(((l4[l] & 0xF) | (((h2[l] >> 0) & 3) << 4)) - 32);
      o[l + 32] = static_cast<int8_t>(((l4[l + 32] & 0xF) | (((h2[l] >> 2) & 3) << 4)) - 32);
      o[l + 64] = static_cast<int8_t>(((l4[l] >> 4) | (((h2[l] >> 4) & 3) << 4)) - 32);
      o[l + 96] = static_cast<int8_t>(((l4[l + 32] >> 4) | (((h2[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

void dequant_q45(const uint8_t* b, const int8_t* q, float* y) {
  const float d = load_f16(b + offsetof(BlockQ4_K, d));
  const float dmin = load_f16(b + offsetof(BlockQ4_K, dmin));
  const uint8_t* scales = b + offsetof(BlockQ4_K, scales);
  for (int j = 0; j < kQK_K / 32; ++j) {
    uint8_t sc, m;
    unpack_scale_min(j, scales, &sc, &m);
    const float d1 = d * sc;
    const float m1 = dmin * m;
    for (int l = 0; l < 32; ++l) y[32 * j + l] = d1 * static_cast<float>(q[32 * j + l]) - m1;
  }
}

// sum_j scale(j) * q8 * q over sub-blocks of `sub` elements, into 8 lanes.
template <typename Scale>
void lane_sums(const int8_t* q8, const int8_t* q, const Scale* scales, int sub, int32_t* aux) {
  int32_t acc[kLanes] = {};
  for (int j = 0; j < kQK_K / sub; ++j) {
    const int32_t s = scales[j];
    for (int g = j * sub; g < (j + 1) * sub; g += kLanes) {
      for (int l = 0; l < kLanes; ++l) acc[l] += s * (q8[g + l] * q[g + l]);
    }
  }
  for (int l = 0; l < kLanes; ++l) aux[l] = acc[l];
}

// Shared by Q4_K and Q5_K (identical header layout; qh nullptr for Q4_K).
template <typename Block>
float vec_dot_q45(int64_t n, const void* w, const void* a, bool has_qh) {
  float sums[kLanes] = {};
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* x = block_at<Block>(w, i);
    const uint8_t* y = block_at<BlockQ8_K>(a, i);
    int8_t q[kQK_K];
    unpack_q45(x + offsetof(Block, qs), has_qh ? x + offsetof(BlockQ5_K, qh) : nullptr, q);
    uint8_t scales[8], mins[8];
    for (int j = 0; j < 8; ++j) unpack_scale_min(j, x + offsetof(Block, scales), &scales[j], &mins[j]);
    int sumi = 0;
    for (int j = 0; j < kQK_K / 16; ++j) sumi += load_i16(y + offsetof(BlockQ8_K, bsums) + 2 * j) * mins[j / 2];
    int32_t aux[kLanes];
    lane_sums(reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_K, qs)), q, scales, 32, aux);
    const float yd = load_f32(y + offsetof(BlockQ8_K, d));
    const float d = load_f16(x + offsetof(Block, d)) * yd;
    for (int l = 0; l < kLanes; ++l) sums[l] += d * static_cast<float>(aux[l]);
    const float dmin = load_f16(x + offsetof(Block, dmin)) * yd;
    sumf -= dmin * static_cast<float>(sumi);
  }
  for (int l = 0; l < kLanes; ++l) sumf += sums[l];
  return sumf;
}

}  // namespace

void to_float_q4_K(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* b = block_at<BlockQ4_K>(src, i);
    int8_t q[kQK_K];
    unpack_q45(b + offsetof(BlockQ4_K, qs), nullptr, q);
    dequant_q45(b, q, dst + i * kQK_K);
  }
}

void to_float_q5_K(const void* src, float* dst, int64_t n) {
  static_assert(offsetof(BlockQ5_K, d) == offsetof(BlockQ4_K, d));
  static_assert(offsetof(BlockQ5_K, dmin) == offsetof(BlockQ4_K, dmin));
  static_assert(offsetof(BlockQ5_K, scales) == offsetof(BlockQ4_K, scales));
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* b = block_at<BlockQ5_K>(src, i);
    int8_t q[kQK_K];
    unpack_q45(b + offsetof(BlockQ5_K, qs), b + offsetof(BlockQ5_K, qh), q);
    dequant_q45(b, q, dst + i * kQK_K);
  }
}

void to_float_q6_K(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* b = block_at<BlockQ6_K>(src, i);
    int8_t q[kQK_K];
    unpack_q6(b + offsetof(BlockQ6_K, ql), b + offsetof(BlockQ6_K, qh), q);
    const float d = load_f16(b + offsetof(BlockQ6_K, d));
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + offsetof(BlockQ6_K, scales));
    float* y = dst + i * kQK_K;
    for (int e = 0; e < kQK_K; ++e) y[e] = d * static_cast<float>(sc[e / 16]) * static_cast<float>(q[e]);
  }
}

void to_float_q8_K(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* b = block_at<BlockQ8_K>(src, i);
    const float d = load_f32(b + offsetof(BlockQ8_K, d));
    const int8_t* qs = reinterpret_cast<const int8_t*>(b + offsetof(BlockQ8_K, qs));
    for (int e = 0; e < kQK_K; ++e) dst[i * kQK_K + e] = d * static_cast<float>(qs[e]);
  }
}

void from_float_q8_K(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    BlockQ8_K b{};
    float amax = 0, max = 0;
    for (int e = 0; e < kQK_K; ++e) {
      if (std::fabs(x[e]) > amax) {
        amax = std::fabs(x[e]);
        max = x[e];
      }
    }
    if (amax != 0) {
      const float iscale = -127.f / max;
      for (int e = 0; e < kQK_K; ++e) b.qs[e] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[e])));
      for (int j = 0; j < kQK_K / 16; ++j) {
        int sum = 0;
        for (int l = 0; l < 16; ++l) sum += b.qs[16 * j + l];
        b.bsums[j] = static_cast<int16_t>(sum);
      }
      b.d = 1 / iscale;
    }
    std::memcpy(static_cast<uint8_t*>(dst) + i * static_cast<int64_t>(sizeof(BlockQ8_K)), &b, sizeof(b));
  }
}

float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) {
  return vec_dot_q45<BlockQ4_K>(n, w, a, false);
}

float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a) {
  return vec_dot_q45<BlockQ5_K>(n, w, a, true);
}

float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) {
  float sums[kLanes] = {};
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* x = block_at<BlockQ6_K>(w, i);
    const uint8_t* y = block_at<BlockQ8_K>(a, i);
    int8_t q[kQK_K];
    unpack_q6(x + offsetof(BlockQ6_K, ql), x + offsetof(BlockQ6_K, qh), q);
    int32_t aux[kLanes];
    lane_sums(reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_K, qs)), q,
              reinterpret_cast<const int8_t*>(x + offsetof(BlockQ6_K, scales)), 16, aux);
    const float d = load_f16(x + offsetof(BlockQ6_K, d)) * load_f32(y + offsetof(BlockQ8_K, d));
    for (int l = 0; l < kLanes; ++l) sums[l] += d * static_cast<float>(aux[l]);
  }
  float sumf = 0;
  for (int l = 0; l < kLanes; ++l) sumf += sums[l];
  return sumf;
}

}  // namespace r1::kernels::ref
