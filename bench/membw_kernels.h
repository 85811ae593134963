// Read kernels of bench/membw: sum n floats from p (64-byte aligned, n a
// multiple of 128). One translation unit per instruction set, each compiled
// with its own -m flags (bench/CMakeLists.txt); membw.cpp picks one at run
// time with __builtin_cpu_supports, so the binary runs on any x86-64.
//
// Thread contract: pure functions over read-only memory.
#pragma once

#include <cstddef>

namespace r1::bench {

float sum_scalar(const float* p, size_t n);
float sum_avx2(const float* p, size_t n);     // membw_avx2.cpp, -mavx2
float sum_avx512(const float* p, size_t n);   // membw_avx512.cpp, -mavx512f

}  // namespace r1::bench
