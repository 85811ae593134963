// AVX2 read kernel (compiled with -mavx2); see membw_kernels.h.
#include <immintrin.h>

#include "membw_kernels.h"

namespace r1::bench {

float sum_avx2(const float* p, size_t n) {
  __m256 acc[8];
  for (__m256& a : acc) a = _mm256_setzero_ps();
  for (size_t i = 0; i < n; i += 64) {  // 256 bytes per iteration
    for (int k = 0; k < 8; ++k) acc[k] = _mm256_add_ps(acc[k], _mm256_load_ps(p + i + 8 * k));
  }
  for (int k = 1; k < 8; ++k) acc[0] = _mm256_add_ps(acc[0], acc[k]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc[0]);
  float s = 0;
  for (float v : lanes) s += v;
  return s;
}

}  // namespace r1::bench
