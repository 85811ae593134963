#include "tensor/dtype.h"

#include <array>
#include <cctype>
#include <string>

#include "core/check.h"
#include "tensor/blocks.h"

namespace r1 {
namespace {

constexpr DTypeTraits kTraits[] = {
    // type, name, block_size, block_bytes, quantized, supported, vec_dot_type
    {DType::kF32, "f32", 1, 4, false, true, DType::kF32},
    {DType::kF16, "f16", 1, 2, false, true, DType::kF16},
    {DType::kQ4_0, "q4_0", kQK4_0, sizeof(BlockQ4_0), true, true, DType::kQ8_0},
    {DType::kQ4_1, "q4_1", kQK4_1, sizeof(BlockQ4_1), true, true, DType::kQ8_1},
    {DType::kQ5_0, "q5_0", kQK5_0, sizeof(BlockQ5_0), true, true, DType::kQ8_0},
    {DType::kQ5_1, "q5_1", kQK5_1, sizeof(BlockQ5_1), true, true, DType::kQ8_1},
    {DType::kQ8_0, "q8_0", kQK8_0, sizeof(BlockQ8_0), true, true, DType::kQ8_0},
    {DType::kQ8_1, "q8_1", kQK8_1, sizeof(BlockQ8_1), true, false, DType::kQ8_1},
    // q2_K: scales[16], qs[64], d, dmin. q3_K: hmask[32], qs[64], scales[12], d.
    {DType::kQ2_K, "q2_K", kQK_K, 16 + 64 + 4, true, false, DType::kQ8_K},
    {DType::kQ3_K, "q3_K", kQK_K, 32 + 64 + 12 + 2, true, false, DType::kQ8_K},
    {DType::kQ4_K, "q4_K", kQK_K, sizeof(BlockQ4_K), true, true, DType::kQ8_K},
    {DType::kQ5_K, "q5_K", kQK_K, sizeof(BlockQ5_K), true, true, DType::kQ8_K},
    {DType::kQ6_K, "q6_K", kQK_K, sizeof(BlockQ6_K), true, true, DType::kQ8_K},
    {DType::kQ8_K, "q8_K", kQK_K, sizeof(BlockQ8_K), true, false, DType::kQ8_K},
    {DType::kI8, "i8", 1, 1, false, false, DType::kI8},
    {DType::kI16, "i16", 1, 2, false, false, DType::kI16},
    {DType::kI32, "i32", 1, 4, false, false, DType::kI32},
    {DType::kI64, "i64", 1, 8, false, false, DType::kI64},
    {DType::kF64, "f64", 1, 8, false, false, DType::kF64},
    {DType::kBF16, "bf16", 1, 2, false, true, DType::kBF16},
};

constexpr uint32_t kMaxId = 64;

// id -> index into kTraits, or -1.
constexpr std::array<int, kMaxId> make_index() {
  std::array<int, kMaxId> index{};
  for (auto& v : index) v = -1;
  for (size_t i = 0; i < std::size(kTraits); ++i) {
    index[static_cast<uint32_t>(kTraits[i].type)] = static_cast<int>(i);
  }
  return index;
}

constexpr std::array<int, kMaxId> kIndex = make_index();

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

const DTypeTraits* dtype_traits(uint32_t id) {
  if (id >= kMaxId || kIndex[id] < 0) return nullptr;
  return &kTraits[kIndex[id]];
}

const DTypeTraits& dtype_traits(DType t) {
  const DTypeTraits* traits = dtype_traits(static_cast<uint32_t>(t));
  CHECK(traits != nullptr) << "unknown DType " << static_cast<uint32_t>(t);
  return *traits;
}

std::string dtype_name(uint32_t id) {
  const DTypeTraits* traits = dtype_traits(id);
  if (traits == nullptr) return "type " + std::to_string(id);
  return std::string(traits->name);
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeTraits& t : kTraits) {
    if (iequals(t.name, name)) return t.type;
  }
  return std::nullopt;
}

size_t dtype_row_bytes(DType t, int64_t n) {
  const DTypeTraits& traits = dtype_traits(t);
  CHECK_GE(n, 0);
  CHECK(n % traits.block_size == 0) << traits.name << " row of " << n
                                    << " is not a multiple of " << traits.block_size;
  return static_cast<size_t>(n / traits.block_size) * traits.block_bytes;
}

}  // namespace r1
