// Private to x86/: turns a multi-token kernel templated on its token count
// into a GemmKernel::dot. Include only from the per-ISA files.
//
// Thread contract: pure functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/x86/x86.h"

namespace r1::kernels::x86 {

// Kernel::run<kT>(n, w, a, a_stride, out, out_stride) with kT = n_tok, a
// compile-time count so the accumulators live in registers, for each of the
// call's rows (inlined into the row loop, so the kernel's constants are set
// up once per call, not once per row).
// kPrefetch: batched decode reads each weight row once, from memory; with
// several tokens a row takes long enough to fetch the next one meanwhile
// (without it the row waits on memory, then computes). Prefill tiles find
// the rows in cache after the first tile, and one token is bound by memory
// bandwidth: no prefetch there.
template <typename Kernel, int kT, bool kPrefetch>
[[gnu::flatten]] void dot_rows(const GemmCall& c) {
  // Rows ahead: about kPrefetchBytes of weights in flight (short rows would
  // otherwise be computed before their fetch completes).
  constexpr size_t kPrefetchBytes = 4096;
  const int64_t ahead = kPrefetch ? std::max<int64_t>(1, static_cast<int64_t>(kPrefetchBytes / c.w_stride)) : 0;
  if constexpr (kPrefetch) {
    const size_t first = static_cast<size_t>(std::min<int64_t>(ahead, c.rows)) * c.w_stride;
    for (size_t off = 0; off < first; off += 64) __builtin_prefetch(c.w + off, 0, 3);
  }
  for (int64_t r = 0; r < c.rows; ++r) {
    if constexpr (kPrefetch) {
      if (r + ahead < c.rows) {
        const uint8_t* next = c.w + (r + ahead) * c.w_stride;
        for (size_t off = 0; off < c.w_stride; off += 64) __builtin_prefetch(next + off, 0, 3);
      }
    }
    Kernel::template run<kT>(c.n, c.w + r * c.w_stride, c.a, c.a_stride, c.out + r, c.out_stride);
  }
}

// kT >= 2 (one token: no prefetch, see above).
template <typename Kernel, int kT>
void dot_rows_for(const GemmCall& c) {
  if (c.stream) return dot_rows<Kernel, kT, true>(c);
  return dot_rows<Kernel, kT, false>(c);
}

template <typename Kernel>
void dot_tokens(const GemmCall& c) {
  switch (c.n_tok) {
    case 1: return dot_rows<Kernel, 1, false>(c);
    case 2: return dot_rows_for<Kernel, 2>(c);
    case 3: return dot_rows_for<Kernel, 3>(c);
    case 4: return dot_rows_for<Kernel, 4>(c);
    case 5: return dot_rows_for<Kernel, 5>(c);
    case 6: return dot_rows_for<Kernel, 6>(c);
    case 7: return dot_rows_for<Kernel, 7>(c);
    default: return dot_rows_for<Kernel, 8>(c);
  }
}

}  // namespace r1::kernels::x86
