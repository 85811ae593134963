// Reference kernels of the float types (F32, F16, BF16). Dot products sum
// float products in double, as ggml's scalar ggml_vec_dot_* do.
#include "kernels/ref/quants.h"

#include <cstring>

#include "tensor/half.h"

namespace r1::kernels::ref {
namespace {

inline uint16_t load_u16(const void* base, int64_t i) {
  uint16_t h;
  std::memcpy(&h, static_cast<const uint8_t*>(base) + 2 * i, 2);
  return h;
}

inline void store_u16(void* base, int64_t i, uint16_t h) {
  std::memcpy(static_cast<uint8_t*>(base) + 2 * i, &h, 2);
}

inline float load_float(const void* base, int64_t i) {
  float v;
  std::memcpy(&v, static_cast<const uint8_t*>(base) + 4 * i, 4);
  return v;
}

}  // namespace

void to_float_f32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void from_float_f32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(load_float(w, i) * load_float(a, i));
  return static_cast<float>(sum);
}

void to_float_f16(const void* src, float* dst, int64_t n) {
  const float* table = fp16_table();
  for (int64_t i = 0; i < n; ++i) dst[i] = table[load_u16(src, i)];
}

void from_float_f16(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) store_u16(dst, i, fp32_to_fp16(src[i]));
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
  const float* table = fp16_table();
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    sum += static_cast<double>(table[load_u16(w, i)] * table[load_u16(a, i)]);
  }
  return static_cast<float>(sum);
}

void to_float_bf16(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(load_u16(src, i));
}

void from_float_bf16(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) store_u16(dst, i, fp32_to_bf16(src[i]));
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    sum += static_cast<double>(bf16_to_fp32(load_u16(w, i)) * bf16_to_fp32(load_u16(a, i)));
  }
  return static_cast<float>(sum);
}

}  // namespace r1::kernels::ref
