#include "tensor/dtype.h"

#include <gtest/gtest.h>

#include "tensor/blocks.h"

namespace r1 {
namespace {

TEST(Blocks, LayoutMatchesGgml) {
  // Sizes from ggml-common.h (block_q4_0 = 2 + 16 ...).
  EXPECT_EQ(sizeof(BlockQ4_0), 18u);
  EXPECT_EQ(sizeof(BlockQ4_1), 20u);
  EXPECT_EQ(sizeof(BlockQ5_0), 22u);
  EXPECT_EQ(sizeof(BlockQ5_1), 24u);
  EXPECT_EQ(sizeof(BlockQ8_0), 34u);
  EXPECT_EQ(sizeof(BlockQ8_1), 36u);
  EXPECT_EQ(sizeof(BlockQ4_K), 144u);
  EXPECT_EQ(sizeof(BlockQ5_K), 176u);
  EXPECT_EQ(sizeof(BlockQ6_K), 210u);
  EXPECT_EQ(sizeof(BlockQ8_K), 292u);
  EXPECT_EQ(offsetof(BlockQ5_0, qh), 2u);
  EXPECT_EQ(offsetof(BlockQ5_0, qs), 6u);
  EXPECT_EQ(offsetof(BlockQ4_K, scales), 4u);
  EXPECT_EQ(offsetof(BlockQ4_K, qs), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qh), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qs), 48u);
  EXPECT_EQ(offsetof(BlockQ6_K, qh), 128u);
  EXPECT_EQ(offsetof(BlockQ6_K, scales), 192u);
  EXPECT_EQ(offsetof(BlockQ6_K, d), 208u);
  EXPECT_EQ(offsetof(BlockQ8_K, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ8_K, bsums), 260u);
}

struct Expect {
  uint32_t id;
  const char* name;
  int64_t block_size;
  size_t block_bytes;
  bool supported;
  DType vec_dot;
};

TEST(DType, TraitsTable) {
  const Expect table[] = {
      {0, "f32", 1, 4, true, DType::kF32},        {1, "f16", 1, 2, true, DType::kF16},
      {2, "q4_0", 32, 18, true, DType::kQ8_0},    {3, "q4_1", 32, 20, true, DType::kQ8_1},
      {6, "q5_0", 32, 22, true, DType::kQ8_0},    {7, "q5_1", 32, 24, true, DType::kQ8_1},
      {8, "q8_0", 32, 34, true, DType::kQ8_0},    {9, "q8_1", 32, 36, false, DType::kQ8_1},
      {10, "q2_K", 256, 84, false, DType::kQ8_K}, {11, "q3_K", 256, 110, false, DType::kQ8_K},
      {12, "q4_K", 256, 144, true, DType::kQ8_K}, {13, "q5_K", 256, 176, true, DType::kQ8_K},
      {14, "q6_K", 256, 210, true, DType::kQ8_K}, {15, "q8_K", 256, 292, false, DType::kQ8_K},
      {24, "i8", 1, 1, false, DType::kI8},        {25, "i16", 1, 2, false, DType::kI16},
      {26, "i32", 1, 4, false, DType::kI32},      {27, "i64", 1, 8, false, DType::kI64},
      {28, "f64", 1, 8, false, DType::kF64},      {30, "bf16", 1, 2, true, DType::kBF16},
  };
  for (const Expect& e : table) {
    const DTypeTraits* t = dtype_traits(e.id);
    ASSERT_NE(t, nullptr) << e.name;
    EXPECT_EQ(static_cast<uint32_t>(t->type), e.id);
    EXPECT_EQ(t->name, e.name);
    EXPECT_EQ(t->block_size, e.block_size) << e.name;
    EXPECT_EQ(t->block_bytes, e.block_bytes) << e.name;
    EXPECT_EQ(t->supported, e.supported) << e.name;
    EXPECT_EQ(t->vec_dot_type, e.vec_dot) << e.name;
    EXPECT_EQ(t->quantized, e.block_size > 1) << e.name;
    EXPECT_EQ(&dtype_traits(t->type), t);
  }
}

TEST(DType, UnknownIds) {
  for (uint32_t id : {4u, 5u, 16u, 23u, 29u, 31u, 39u, 41u, 1000u, 0xffffffffu}) {
    EXPECT_EQ(dtype_traits(id), nullptr) << id;
  }
  EXPECT_EQ(dtype_name(41), "type 41");
  EXPECT_EQ(dtype_name(12), "q4_K");
}

TEST(DType, FromName) {
  EXPECT_EQ(dtype_from_name("q4_k"), DType::kQ4_K);
  EXPECT_EQ(dtype_from_name("Q4_K"), DType::kQ4_K);
  EXPECT_EQ(dtype_from_name("Q8_0"), DType::kQ8_0);
  EXPECT_EQ(dtype_from_name("bf16"), DType::kBF16);
  EXPECT_EQ(dtype_from_name("F32"), DType::kF32);
  EXPECT_FALSE(dtype_from_name("q4_k_m").has_value());
  EXPECT_FALSE(dtype_from_name("").has_value());
  EXPECT_FALSE(dtype_from_name("q4").has_value());
}

TEST(DType, RowBytes) {
  EXPECT_EQ(dtype_row_bytes(DType::kF32, 7), 28u);
  EXPECT_EQ(dtype_row_bytes(DType::kF16, 7), 14u);
  EXPECT_EQ(dtype_row_bytes(DType::kQ4_0, 64), 36u);
  EXPECT_EQ(dtype_row_bytes(DType::kQ4_K, 1536), 6u * 144u);
  EXPECT_EQ(dtype_row_bytes(DType::kQ6_K, 8960), 35u * 210u);
  EXPECT_EQ(dtype_row_bytes(DType::kQ8_K, 0), 0u);
}

TEST(DTypeDeathTest, RowBytesNotMultiple) {
  EXPECT_DEATH((void)dtype_row_bytes(DType::kQ4_K, 100), "multiple");
}

}  // namespace
}  // namespace r1
