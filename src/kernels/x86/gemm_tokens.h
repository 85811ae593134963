// Private to x86/: turns a multi-token kernel templated on its token count
// into a GemmKernel::dot. Include only from the per-ISA files.
//
// Thread contract: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/x86/x86.h"

namespace r1::kernels::x86 {

// Kernel::run<kT>(n, w, a, a_stride, out, out_stride) with kT = n_tok, a
// compile-time count so the accumulators live in registers, for each of the
// call's rows (inlined into the row loop, so the kernel's constants are set
// up once per call, not once per row).
template <typename Kernel, int kT>
[[gnu::flatten]] void dot_rows(const GemmCall& c) {
  for (int64_t r = 0; r < c.rows; ++r) {
    Kernel::template run<kT>(c.n, c.w + r * c.w_stride, c.a, c.a_stride, c.out + r, c.out_stride);
  }
}

template <typename Kernel>
void dot_tokens(const GemmCall& c) {
  switch (c.n_tok) {
    case 1: return dot_rows<Kernel, 1>(c);
    case 2: return dot_rows<Kernel, 2>(c);
    case 3: return dot_rows<Kernel, 3>(c);
    case 4: return dot_rows<Kernel, 4>(c);
    case 5: return dot_rows<Kernel, 5>(c);
    case 6: return dot_rows<Kernel, 6>(c);
    case 7: return dot_rows<Kernel, 7>(c);
    default: return dot_rows<Kernel, 8>(c);
  }
}

}  // namespace r1::kernels::x86
