// Reference kernels of the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q8_1). Weight quantizers follow ggml's quantize_row_*_ref rounding;
// the activation quantizers (Q8_0, Q8_1) follow ggml-cpu's x86 path (the one
// the llama.cpp peer runs here): id = 127 / amax and round-half-to-even.
// Dot products mirror ggml's generic float expressions and order.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>

#include "kernels/ref/quants.h"
#include "kernels/ref/util.h"
#include "tensor/blocks.h"

namespace r1::kernels::ref {
namespace {

constexpr int kQk = 32;

template <typename Block>
const uint8_t* block_at(const void* base, int64_t i) {
  return static_cast<const uint8_t*>(base) + i * static_cast<int64_t>(sizeof(Block));
}

template <typename Block>
uint8_t* block_at(void* base, int64_t i) {
  return static_cast<uint8_t*>(base) + i * static_cast<int64_t>(sizeof(Block));
}

template <typename Block>
void store_block(const Block& b, void* base, int64_t i) {
  std::memcpy(block_at<Block>(base, i), &b, sizeof(Block));
}

// Value with the largest magnitude (first one on ties), as ggml picks it.
float signed_absmax(const float* x, int n) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void min_max(const float* x, int n, float* lo, float* hi) {
  *lo = FLT_MAX;
  *hi = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    if (x[j] < *lo) *lo = x[j];
    if (x[j] > *hi) *hi = x[j];
  }
}

// 5th bits of a Q5 block: bit j of qh is element j's bit 4.
inline int q5_value(const uint8_t* qs, uint32_t qh, int j) {
  const int lo = j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4);
  return lo | static_cast<int>(((qh >> j) & 1) << 4);
}

// Activation quantizer shared by Q8_0 and Q8_1; returns sum of the quants.
int quantize_q8_block(const float* x, float* d_out, int8_t* qs) {
  float amax = 0.0f;
  for (int j = 0; j < kQk; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  const float d = amax / 127.f;
  const float id = amax != 0.0f ? 127.f / amax : 0.0f;
  int sum = 0;
  for (int j = 0; j < kQk; ++j) {
    qs[j] = static_cast<int8_t>(clamp_int(nearest_int(x[j] * id), -128, 127));
    sum += qs[j];
  }
  *d_out = d;
  return sum;
}

}  // namespace

// ---- Q4_0: x = d * (q - 8)

void to_float_q4_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* b = block_at<BlockQ4_0>(src, i);
    const float d = load_f16(b + offsetof(BlockQ4_0, d));
    const uint8_t* qs = b + offsetof(BlockQ4_0, qs);
    for (int j = 0; j < kQk / 2; ++j) {
      dst[i * kQk + j] = static_cast<float>((qs[j] & 0xF) - 8) * d;
      dst[i * kQk + j + kQk / 2] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
  }
}

void from_float_q4_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const float* x = src + i * kQk;
    const float d = signed_absmax(x, kQk) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_0 b;
    b.d = fp32_to_fp16(d);
    for (int j = 0; j < kQk / 2; ++j) {
      // ggml truncates toward zero after adding 8.5 (values are >= 0 here).
      const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
      const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j + kQk / 2] * id + 8.5f)));
      b.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    store_block(b, dst, i);
  }
}

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
  float sumf = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* x = block_at<BlockQ4_0>(w, i);
    const uint8_t* y = block_at<BlockQ8_0>(a, i);
    const uint8_t* xq = x + offsetof(BlockQ4_0, qs);
    const int8_t* yq = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_0, qs));
    int sumi = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      sumi += ((xq[j] & 0xF) - 8) * yq[j] + ((xq[j] >> 4) - 8) * yq[j + kQk / 2];
    }
    sumf += static_cast<float>(sumi) * load_f16(x + offsetof(BlockQ4_0, d)) *
            load_f16(y + offsetof(BlockQ8_0, d));
  }
  return sumf;
}

// ---- Q4_1: x = d * q + m

void to_float_q4_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* b = block_at<BlockQ4_1>(src, i);
    const float d = load_f16(b + offsetof(BlockQ4_1, d));
    const float m = load_f16(b + offsetof(BlockQ4_1, m));
    const uint8_t* qs = b + offsetof(BlockQ4_1, qs);
    for (int j = 0; j < kQk / 2; ++j) {
      dst[i * kQk + j] = static_cast<float>(qs[j] & 0xF) * d + m;
      dst[i * kQk + j + kQk / 2] = static_cast<float>(qs[j] >> 4) * d + m;
    }
  }
}

void from_float_q4_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const float* x = src + i * kQk;
    float lo, hi;
    min_max(x, kQk, &lo, &hi);
    const float d = (hi - lo) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_1 b;
    b.d = fp32_to_fp16(d);
    b.m = fp32_to_fp16(lo);
    for (int j = 0; j < kQk / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>((x[j] - lo) * id + 0.5f)));
      const int q1 =
          std::min(15, static_cast<int>(static_cast<int8_t>((x[j + kQk / 2] - lo) * id + 0.5f)));
      b.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    store_block(b, dst, i);
  }
}

float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) {
  float sumf = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* x = block_at<BlockQ4_1>(w, i);
    const uint8_t* y = block_at<BlockQ8_1>(a, i);
    const uint8_t* xq = x + offsetof(BlockQ4_1, qs);
    const int8_t* yq = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_1, qs));
    int sumi = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      sumi += (xq[j] & 0xF) * yq[j] + (xq[j] >> 4) * yq[j + kQk / 2];
    }
    const float dd = load_f16(x + offsetof(BlockQ4_1, d)) * load_f16(y + offsetof(BlockQ8_1, d));
    sumf += dd * static_cast<float>(sumi) +
            load_f16(x + offsetof(BlockQ4_1, m)) * load_f16(y + offsetof(BlockQ8_1, s));
  }
  return sumf;
}

// ---- Q5_0: x = d * (q - 16)

void to_float_q5_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* b = block_at<BlockQ5_0>(src, i);
    const float d = load_f16(b + offsetof(BlockQ5_0, d));
    const uint32_t qh = load_u32(b + offsetof(BlockQ5_0, qh));
    const uint8_t* qs = b + offsetof(BlockQ5_0, qs);
    for (int j = 0; j < kQk; ++j) dst[i * kQk + j] = static_cast<float>(q5_value(qs, qh, j) - 16) * d;
  }
}

void from_float_q5_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const float* x = src + i * kQk;
    const float d = signed_absmax(x, kQk) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ5_0 b;
    b.d = fp32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      const int q0 = std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f)));
      const int q1 = std::min(31, static_cast<int>(static_cast<int8_t>(x[j + kQk / 2] * id + 16.5f)));
      b.qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + kQk / 2);
    }
    std::memcpy(b.qh, &qh, 4);
    store_block(b, dst, i);
  }
}

float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) {
  float sumf = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* x = block_at<BlockQ5_0>(w, i);
    const uint8_t* y = block_at<BlockQ8_0>(a, i);
    const uint8_t* xq = x + offsetof(BlockQ5_0, qs);
    const uint32_t qh = load_u32(x + offsetof(BlockQ5_0, qh));
    const int8_t* yq = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_0, qs));
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) sumi += (q5_value(xq, qh, j) - 16) * yq[j];
    const float dd = load_f16(x + offsetof(BlockQ5_0, d)) * load_f16(y + offsetof(BlockQ8_0, d));
    sumf += dd * static_cast<float>(sumi);
  }
  return sumf;
}

// ---- Q5_1: x = d * q + m

void to_float_q5_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* b = block_at<BlockQ5_1>(src, i);
    const float d = load_f16(b + offsetof(BlockQ5_1, d));
    const float m = load_f16(b + offsetof(BlockQ5_1, m));
    const uint32_t qh = load_u32(b + offsetof(BlockQ5_1, qh));
    const uint8_t* qs = b + offsetof(BlockQ5_1, qs);
    for (int j = 0; j < kQk; ++j) dst[i * kQk + j] = static_cast<float>(q5_value(qs, qh, j)) * d + m;
  }
}

void from_float_q5_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const float* x = src + i * kQk;
    float lo, hi;
    min_max(x, kQk, &lo, &hi);
    const float d = (hi - lo) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ5_1 b;
    b.d = fp32_to_fp16(d);
    b.m = fp32_to_fp16(lo);
    uint32_t qh = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      const int q0 = static_cast<uint8_t>((x[j] - lo) * id + 0.5f);
      const int q1 = static_cast<uint8_t>((x[j + kQk / 2] - lo) * id + 0.5f);
      b.qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + kQk / 2);
    }
    std::memcpy(b.qh, &qh, 4);
    store_block(b, dst, i);
  }
}

float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) {
  float sumf = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* x = block_at<BlockQ5_1>(w, i);
    const uint8_t* y = block_at<BlockQ8_1>(a, i);
    const uint8_t* xq = x + offsetof(BlockQ5_1, qs);
    const uint32_t qh = load_u32(x + offsetof(BlockQ5_1, qh));
    const int8_t* yq = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_1, qs));
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) sumi += q5_value(xq, qh, j) * yq[j];
    const float dd = load_f16(x + offsetof(BlockQ5_1, d)) * load_f16(y + offsetof(BlockQ8_1, d));
    sumf += dd * static_cast<float>(sumi) +
            load_f16(x + offsetof(BlockQ5_1, m)) * load_f16(y + offsetof(BlockQ8_1, s));
  }
  return sumf;
}

// ---- Q8_0: x = d * q

void to_float_q8_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* b = block_at<BlockQ8_0>(src, i);
    const float d = load_f16(b + offsetof(BlockQ8_0, d));
    const int8_t* qs = reinterpret_cast<const int8_t*>(b + offsetof(BlockQ8_0, qs));
    for (int j = 0; j < kQk; ++j) dst[i * kQk + j] = static_cast<float>(qs[j]) * d;
  }
}

void from_float_q8_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    BlockQ8_0 b;
    float d;
    quantize_q8_block(src + i * kQk, &d, b.qs);
    b.d = fp32_to_fp16(d);
    store_block(b, dst, i);
  }
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
  float sumf = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* x = block_at<BlockQ8_0>(w, i);
    const uint8_t* y = block_at<BlockQ8_0>(a, i);
    const int8_t* xq = reinterpret_cast<const int8_t*>(x + offsetof(BlockQ8_0, qs));
    const int8_t* yq = reinterpret_cast<const int8_t*>(y + offsetof(BlockQ8_0, qs));
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) sumi += xq[j] * yq[j];
    sumf += static_cast<float>(sumi) *
            (load_f16(x + offsetof(BlockQ8_0, d)) * load_f16(y + offsetof(BlockQ8_0, d)));
  }
  return sumf;
}

// ---- Q8_1: x = d * q, s = d * sum(q) (d before fp16 rounding)

void to_float_q8_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    const uint8_t* b = block_at<BlockQ8_1>(src, i);
    const float d = load_f16(b + offsetof(BlockQ8_1, d));
    const int8_t* qs = reinterpret_cast<const int8_t*>(b + offsetof(BlockQ8_1, qs));
    for (int j = 0; j < kQk; ++j) dst[i * kQk + j] = static_cast<float>(qs[j]) * d;
  }
}

void from_float_q8_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQk; ++i) {
    BlockQ8_1 b;
    float d;
    const int sum = quantize_q8_block(src + i * kQk, &d, b.qs);
    b.d = fp32_to_fp16(d);
    b.s = fp32_to_fp16(d * static_cast<float>(sum));
    store_block(b, dst, i);
  }
}

}  // namespace r1::kernels::ref
