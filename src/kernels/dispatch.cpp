// ISA detection and the per-dtype QuantOps tables.
#include <array>
#include <atomic>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "core/check.h"
#include "core/enum_names.h"
#include "kernels/kernels.h"
#include "kernels/ref/quants.h"
#include "kernels/x86/x86.h"

namespace r1::kernels {
namespace {

constexpr uint32_t kMaxTypeId = 64;
using OpsTable = std::array<QuantOps, kMaxTypeId>;

void set_ops(OpsTable& t, DType type, QuantOps ops) { t[static_cast<uint32_t>(type)] = ops; }

OpsTable make_scalar_table() {
  namespace r = ref;
  OpsTable t{};
  set_ops(t, DType::kF32, {r::to_float_f32, r::from_float_f32, r::vec_dot_f32});
  set_ops(t, DType::kF16, {r::to_float_f16, r::from_float_f16, r::vec_dot_f16});
  set_ops(t, DType::kBF16, {r::to_float_bf16, r::from_float_bf16, r::vec_dot_bf16});
  set_ops(t, DType::kQ4_0, {r::to_float_q4_0, r::from_float_q4_0, r::vec_dot_q4_0_q8_0});
  set_ops(t, DType::kQ4_1, {r::to_float_q4_1, r::from_float_q4_1, r::vec_dot_q4_1_q8_1});
  set_ops(t, DType::kQ5_0, {r::to_float_q5_0, r::from_float_q5_0, r::vec_dot_q5_0_q8_0});
  set_ops(t, DType::kQ5_1, {r::to_float_q5_1, r::from_float_q5_1, r::vec_dot_q5_1_q8_1});
  set_ops(t, DType::kQ8_0, {r::to_float_q8_0, r::from_float_q8_0, r::vec_dot_q8_0_q8_0});
  set_ops(t, DType::kQ8_1, {r::to_float_q8_1, r::from_float_q8_1, nullptr});
  set_ops(t, DType::kQ4_K, {r::to_float_q4_K, r::from_float_q4_K, r::vec_dot_q4_K_q8_K});
  set_ops(t, DType::kQ5_K, {r::to_float_q5_K, r::from_float_q5_K, r::vec_dot_q5_K_q8_K});
  set_ops(t, DType::kQ6_K, {r::to_float_q6_K, r::from_float_q6_K, r::vec_dot_q6_K_q8_K});
  set_ops(t, DType::kQ8_K, {r::to_float_q8_K, r::from_float_q8_K, nullptr});
  return t;
}

const OpsTable& scalar_table() {
  static const OpsTable table = make_scalar_table();
  return table;
}

#if defined(__x86_64__)
// A copy of `base` with the non-null fields of each override replacing its ops.
OpsTable with_overrides(const OpsTable& base, const x86::IsaOverride* ov, int count) {
  OpsTable t = base;
  for (int i = 0; i < count; ++i) {
    QuantOps& ops = t[static_cast<uint32_t>(ov[i].type)];
    if (ov[i].ops.to_float != nullptr) ops.to_float = ov[i].ops.to_float;
    if (ov[i].ops.from_float != nullptr) ops.from_float = ov[i].ops.from_float;
    if (ov[i].ops.vec_dot != nullptr) ops.vec_dot = ov[i].ops.vec_dot;
  }
  return t;
}

OpsTable make_x86_table(Isa isa, const OpsTable& base, const x86::IsaOverride* (*overrides)(int*)) {
  CHECK(cpu_supports(isa)) << "this CPU does not support " << isa_name(isa);
  int n = 0;
  const x86::IsaOverride* ov = overrides(&n);
  return with_overrides(base, ov, n);
}

const OpsTable& avx2_table() {
  static const OpsTable table = make_x86_table(Isa::kAvx2, scalar_table(), x86::avx2_overrides);
  return table;
}

const OpsTable& avx512_table() {
  static const OpsTable table = make_x86_table(Isa::kAvx512, avx2_table(), x86::avx512_overrides);
  return table;
}

// Each SIMD table is a copy of the next-lower one (AVX-512 over AVX2 over
// scalar) with the ops that ISA implements overridden. A table is built (and
// the CPU checked) on its first use.
const OpsTable& table_for(Isa isa) {
  switch (isa) {
    case Isa::kAvx2: return avx2_table();
    case Isa::kAvx512: return avx512_table();
    default: return scalar_table();
  }
}
#else
const OpsTable& table_for(Isa) { return scalar_table(); }
#endif

#if defined(__x86_64__) || defined(__i386__)
// CPUID.1:ECX.F16C (clang has no "f16c" for __builtin_cpu_supports). Read
// once: CPUID traps to the hypervisor in a VM (microseconds each), and the
// attention path checks support on every call.
bool has_f16c() {
  static const bool f16c = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_F16C) != 0;
  }();
  return f16c;
}
#endif

std::atomic<Isa>& active_slot() {
  static std::atomic<Isa> slot{detected_isa()};
  return slot;
}

}  // namespace

const char* isa_name(Isa isa) {
  static constexpr EnumName<Isa> kIsas[] = {{Isa::kScalar, "scalar"}, {Isa::kAvx2, "avx2"}, {Isa::kAvx512, "avx512"}};
  return enum_name(kIsas, isa, "unknown");
}

bool cpu_supports(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::kAvx2:
      __builtin_cpu_init();  // idempotent; needed if called before libgcc's constructor
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
    case Isa::kAvx512:
      // VNNI (vpdpbusd) is what the AVX-512 int8 dots are built on.
      return cpu_supports(Isa::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
#endif
    default:
      return false;
  }
}

Isa detected_isa() {
  if (cpu_supports(Isa::kAvx512)) return Isa::kAvx512;
  if (cpu_supports(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kScalar;
}

Isa active_isa() { return active_slot().load(std::memory_order_relaxed); }

void set_isa(Isa isa) {
  CHECK(cpu_supports(isa)) << "this CPU does not support " << isa_name(isa);
  active_slot().store(isa, std::memory_order_relaxed);
}

const QuantOps& quant_ops(DType t, Isa isa) {
  const uint32_t id = static_cast<uint32_t>(t);
  CHECK_LT(id, kMaxTypeId);
  return table_for(isa)[id];
}

}  // namespace r1::kernels
