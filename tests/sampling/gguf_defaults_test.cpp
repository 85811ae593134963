#include "sampling/gguf_defaults.h"

#include <gtest/gtest.h>

namespace r1::sampling {
namespace {

TEST(GgufDefaults, ReadsKeysFromFile) {
  gguf::Writer w;
  w.set_string("general.architecture", "qwen2");
  w.set_f32("general.sampling.temp", 0.5f);
  w.set_i32("general.sampling.top_k", 20);
  w.set_u32("general.sampling.penalty_last_n", 32);
  w.set_f32("general.sampling.penalty_repeat", 1.05f);
  const std::vector<uint8_t> bytes = w.to_bytes();
  auto file = gguf::File::parse(bytes, "mem.gguf");
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  const SamplingParams p = defaults_from_gguf(**file);
  EXPECT_FLOAT_EQ(p.temperature, 0.5f);
  EXPECT_FLOAT_EQ(p.top_p, 0.95f);  // absent: R1 default
  EXPECT_EQ(p.top_k, 20);
  EXPECT_EQ(p.repeat_last_n, 32);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 1.05f);
}

TEST(GgufDefaults, NonNumericKeyIgnored) {
  gguf::Writer w;
  w.set_string("general.sampling.temp", "hot");
  const std::vector<uint8_t> bytes = w.to_bytes();
  auto file = gguf::File::parse(bytes, "mem.gguf");
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_FLOAT_EQ(defaults_from_gguf(**file).temperature, 0.6f);
}

}  // namespace
}  // namespace r1::sampling
