// Private to src/kernels: the x86 SIMD kernels and their per-ISA override
// tables. Each ISA lives in one file compiled with that ISA's flags
// (avx2.cpp: AVX2+FMA+F16C; avx512.cpp: AVX-512 F/BW/VL/DQ/VNNI), so nothing
// here may be called unless cpu_supports() says the ISA is present.
//
// Integer dot products are exact; only the float scaling order differs from
// the reference (within the tests' 1e-5 relative bound). Float-type dots
// multiply in float and accumulate in double as the reference does. The
// activation quantizers (Q8_0, Q8_1, Q8_K from_float) are byte-identical
// with the reference for every input, NaN and inf included.
//
// Thread contract: pure functions over caller-owned buffers.
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace r1::kernels::x86 {

// One override: a null field keeps the fallback table's op.
struct IsaOverride {
  DType type;
  QuantOps ops;
};

// Overrides of the AVX2 path (over the scalar table).
const IsaOverride* avx2_overrides(int* count);
// Overrides of the AVX-512 path (over the AVX2 table).
const IsaOverride* avx512_overrides(int* count);

}  // namespace r1::kernels::x86
