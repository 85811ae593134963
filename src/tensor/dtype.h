// Tensor element types as GGUF numbers them (ggml_type), and their traits.
//
// A quantized row of n elements is n / block_size blocks of block_bytes each.
// The block layouts live in blocks.h and are pinned there with static_assert.
//
// Thread contract: immutable tables; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace r1 {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct DTypeTraits {
  DType type;
  std::string_view name;   // ggml's name: "f32", "q4_K", ...
  int64_t block_size;      // elements per block (1 for scalar types)
  size_t block_bytes;      // bytes per block
  bool quantized;
  bool supported;          // the engine can compute with it (weights)
  DType vec_dot_type;      // what activations are converted to for dot()
};

// Traits of a known type id, or nullptr when GGUF's id is unknown to us.
const DTypeTraits* dtype_traits(uint32_t id);
const DTypeTraits& dtype_traits(DType t);

// Name of a type id for error messages ("q4_K", or "type 41" when unknown).
std::string dtype_name(uint32_t id);

// Parses ggml names case-insensitively: "q4_k", "Q8_0", "bf16".
std::optional<DType> dtype_from_name(std::string_view name);

// Bytes of a row of n elements; n must be a multiple of block_size (CHECK).
size_t dtype_row_bytes(DType t, int64_t n);

}  // namespace r1
