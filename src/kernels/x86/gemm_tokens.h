// Private to x86/: turns a multi-token kernel templated on its token count
// into a GemmKernel::dot. Include only from the per-ISA files.
//
// Thread contract: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace r1::kernels::x86 {

// Kernel::run<kT>(n, w, a, a_stride, out, out_stride) with kT = n_tok, a
// compile-time count so the accumulators live in registers.
template <typename Kernel>
void dot_tokens(int64_t n, const void* w, const uint8_t* a, size_t a_stride, int n_tok, float* out,
                int64_t out_stride) {
  const auto* x = static_cast<const uint8_t*>(w);
  switch (n_tok) {
    case 1: return Kernel::template run<1>(n, x, a, a_stride, out, out_stride);
    case 2: return Kernel::template run<2>(n, x, a, a_stride, out, out_stride);
    case 3: return Kernel::template run<3>(n, x, a, a_stride, out, out_stride);
    case 4: return Kernel::template run<4>(n, x, a, a_stride, out, out_stride);
    case 5: return Kernel::template run<5>(n, x, a, a_stride, out, out_stride);
    case 6: return Kernel::template run<6>(n, x, a, a_stride, out, out_stride);
    case 7: return Kernel::template run<7>(n, x, a, a_stride, out, out_stride);
    default: return Kernel::template run<8>(n, x, a, a_stride, out, out_stride);
  }
}

}  // namespace r1::kernels::x86
