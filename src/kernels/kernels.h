// Kernel dispatch: per-dtype quantization ops and the float ops of a forward
// pass. The scalar reference (ref/) is the spec; SIMD paths (x86/) must match
// it and are tested against it. The ISA is chosen once at start-up from
// CPUID; tests may force one.
//
// Thread contract: the tables are immutable after first use; set_isa() is
// for start-up and tests only (not concurrent with kernel calls).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace r1 {
class ThreadPool;
}

namespace r1::kernels {

enum class Isa { kScalar, kAvx2, kAvx512 };

const char* isa_name(Isa isa);
bool cpu_supports(Isa isa);  // whether this CPU can run the ISA's kernels
Isa detected_isa();    // best ISA this CPU supports
Isa active_isa();      // the one in use
void set_isa(Isa isa);  // CHECKs that the CPU supports it

// Dequantize n elements (n a multiple of the block size).
using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
// Quantize n floats into blocks (the reference rounding).
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);
// Dot product of a weight row of this dtype with an activation row already
// converted to traits.vec_dot_type; n elements.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);

struct QuantOps {
  ToFloatFn to_float = nullptr;
  FromFloatFn from_float = nullptr;
  VecDotFn vec_dot = nullptr;
};

// Ops of a dtype on an ISA path; nullptr fields where the type has none
// (e.g. Q8_K has no vec_dot of its own). Falls back to the scalar op where a
// SIMD path does not implement one.
const QuantOps& quant_ops(DType t, Isa isa);
inline const QuantOps& quant_ops(DType t) { return quant_ops(t, active_isa()); }

}  // namespace r1::kernels
