// AVX-512 read kernel (compiled with -mavx512f); see membw_kernels.h.
#include <immintrin.h>

#include "membw_kernels.h"

namespace r1::bench {

float sum_avx512(const float* p, size_t n) {
  __m512 acc[8];
  for (__m512& a : acc) a = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 128) {  // 512 bytes per iteration
    for (int k = 0; k < 8; ++k) acc[k] = _mm512_add_ps(acc[k], _mm512_load_ps(p + i + 16 * k));
  }
  for (int k = 1; k < 8; ++k) acc[0] = _mm512_add_ps(acc[0], acc[k]);
  alignas(64) float lanes[16];  // (gcc 12's _mm512_reduce_add_ps trips -Wuninitialized)
  _mm512_store_ps(lanes, acc[0]);
  float s = 0;
  for (float v : lanes) s += v;
  return s;
}

}  // namespace r1::bench
