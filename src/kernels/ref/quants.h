// The scalar reference kernels: per-dtype dequantize (to_float), quantize
// (from_float) and dot products against the activation type, mirroring
// ggml's CPU semantics. These are the spec every SIMD path is tested against.
//
// All pointers may be unaligned: blocks are read through byte offsets and
// memcpy, never through a cast to a block struct.
//
// Thread contract: pure functions over caller-owned buffers.
#pragma once

#include <cstdint>

namespace r1::kernels::ref {

// Float types. Activations of F16/BF16 weights are F16/BF16 (rounded to
// nearest even); F32 weights take F32 activations.
void to_float_f32(const void* src, float* dst, int64_t n);
void from_float_f32(const float* src, void* dst, int64_t n);
float vec_dot_f32(int64_t n, const void* w, const void* a);
void to_float_f16(const void* src, float* dst, int64_t n);
void from_float_f16(const float* src, void* dst, int64_t n);
float vec_dot_f16(int64_t n, const void* w, const void* a);
void to_float_bf16(const void* src, float* dst, int64_t n);
void from_float_bf16(const float* src, void* dst, int64_t n);
float vec_dot_bf16(int64_t n, const void* w, const void* a);

// 32-element block types (quants_legacy.cpp).
void to_float_q4_0(const void* src, float* dst, int64_t n);
void from_float_q4_0(const float* src, void* dst, int64_t n);
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
void to_float_q4_1(const void* src, float* dst, int64_t n);
void from_float_q4_1(const float* src, void* dst, int64_t n);
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a);
void to_float_q5_0(const void* src, float* dst, int64_t n);
void from_float_q5_0(const float* src, void* dst, int64_t n);
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a);
void to_float_q5_1(const void* src, float* dst, int64_t n);
void from_float_q5_1(const float* src, void* dst, int64_t n);
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a);
void to_float_q8_0(const void* src, float* dst, int64_t n);
void from_float_q8_0(const float* src, void* dst, int64_t n);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);
void to_float_q8_1(const void* src, float* dst, int64_t n);
void from_float_q8_1(const float* src, void* dst, int64_t n);

// K-quants (quants_k.cpp: dequantize, dot, Q8_K; quantize_k.cpp: weights).
void to_float_q4_K(const void* src, float* dst, int64_t n);
void from_float_q4_K(const float* src, void* dst, int64_t n);
float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a);
void to_float_q5_K(const void* src, float* dst, int64_t n);
void from_float_q5_K(const float* src, void* dst, int64_t n);
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a);
void to_float_q6_K(const void* src, float* dst, int64_t n);
void from_float_q6_K(const float* src, void* dst, int64_t n);
float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a);
void to_float_q8_K(const void* src, float* dst, int64_t n);
void from_float_q8_K(const float* src, void* dst, int64_t n);

}  // namespace r1::kernels::ref
