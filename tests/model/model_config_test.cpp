// Config and load validation: every bad file is a clear Error, never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/config.h"
#include "model/kv/kv_cache.h"
#include "model/weights.h"
#include "model_util.h"

namespace r1::model::test {
namespace {

using ::testing::HasSubstr;

Result<ModelConfig> config_of(const TinyModel& tiny) {
  std::vector<uint8_t> bytes;
  auto file = parse_tiny(tiny, bytes);
  CHECK(file.ok()) << file.error().to_string();
  return config_from_gguf(**file);
}

// Loads and expects an error whose message contains every `parts`.
void expect_load_error(const TinyModel& tiny, ErrorCode code, const std::vector<std::string>& parts) {
  std::vector<uint8_t> bytes;
  auto model = load_tiny(tiny, bytes);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code, code) << model.error().to_string();
  for (const std::string& p : parts) EXPECT_THAT(model.error().to_string(), HasSubstr(p));
}

TEST(ModelConfig, ReadsEachArchitecture) {
  for (Arch arch : {Arch::kQwen2, Arch::kLlama, Arch::kQwen3}) {
    auto c = config_of(make_tiny({.arch = arch, .tied = arch == Arch::kQwen3, .rope_freqs = arch == Arch::kLlama}));
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    EXPECT_EQ(c->arch, arch);
    EXPECT_EQ(c->n_vocab, 64);  // from the tokens array: no vocab_size key
    EXPECT_EQ(c->n_embd, 64);
    EXPECT_EQ(c->n_layer, 2);
    EXPECT_EQ(c->n_head, 4);
    EXPECT_EQ(c->n_head_kv, 2);
    EXPECT_EQ(c->head_dim, 16);
    EXPECT_EQ(c->rope_dim, 16);
    EXPECT_EQ(c->n_ff, 96);
    EXPECT_EQ(c->n_ctx_train, 512);
    EXPECT_FLOAT_EQ(c->rope_theta, 10000.0f);
    EXPECT_FLOAT_EQ(c->rms_eps, 1e-6f);
    EXPECT_EQ(c->qkv_bias, arch == Arch::kQwen2);
    EXPECT_EQ(c->qk_norm, arch == Arch::kQwen3);
    EXPECT_EQ(c->rope_neox, arch != Arch::kLlama);
    EXPECT_EQ(c->tied_output, arch == Arch::kQwen3);
    EXPECT_EQ(c->rope_freqs, arch == Arch::kLlama);
    EXPECT_THAT(describe(*c), HasSubstr(std::string(arch_spec(arch).name) + ": 2 layers"));
  }
}

TEST(ModelConfig, VocabSizeKeyWins) {
  TinyModel tiny = make_tiny({});
  tiny.set_key("qwen2.vocab_size", [](gguf::Writer& w) { w.set_u32("qwen2.vocab_size", 64); });
  tiny.erase_key("tokenizer.ggml.tokens");
  auto c = config_of(tiny);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->n_vocab, 64);
}

TEST(ModelConfig, MissingKeyIsNamed) {
  TinyModel tiny = make_tiny({});
  tiny.erase_key("qwen2.block_count");
  auto c = config_of(tiny);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(c.error().to_string(), HasSubstr("'qwen2.block_count'"));
  EXPECT_THAT(c.error().to_string(), HasSubstr("tiny.gguf"));
}

TEST(ModelConfig, UnsupportedArchitectureIsNamed) {
  TinyModel tiny = make_tiny({});
  tiny.set_key("general.architecture", [](gguf::Writer& w) { w.set_string("general.architecture", "gemma2"); });
  auto c = config_of(tiny);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(c.error().to_string(),
            "unsupported: architecture 'gemma2' (tiny.gguf); supported: qwen2, llama, qwen3");
}

TEST(ModelConfig, BadValuesAreErrors) {
  struct Case {
    const char* key;
    uint32_t value;
    const char* message;
  };
  for (const Case& k : {Case{"qwen2.attention.head_count_kv", 3, "not a multiple of head_count_kv"},
                        Case{"qwen2.attention.head_count", 5, "not a multiple of head_count"},
                        Case{"qwen2.block_count", 0, "out of range"},
                        Case{"qwen2.embedding_length", 1u << 30, "out of range"},
                        Case{"qwen2.context_length", 0, "out of range"}}) {
    TinyModel tiny = make_tiny({});
    tiny.set_key(k.key, [&k](gguf::Writer& w) { w.set_u32(k.key, k.value); });
    auto c = config_of(tiny);
    ASSERT_FALSE(c.ok()) << k.key;
    EXPECT_THAT(c.error().to_string(), HasSubstr(k.message)) << k.key;
  }
  TinyModel tiny = make_tiny({});
  tiny.set_key("qwen2.attention.layer_norm_rms_epsilon",
               [](gguf::Writer& w) { w.set_string("qwen2.attention.layer_norm_rms_epsilon", "x"); });
  auto c = config_of(tiny);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().to_string(), HasSubstr("layer_norm_rms_epsilon"));
}

TEST(ModelLoad, LoadsEachArchitecture) {
  for (Arch arch : {Arch::kQwen2, Arch::kLlama, Arch::kQwen3}) {
    std::vector<uint8_t> bytes;
    auto model = load_tiny(make_tiny({.arch = arch, .tied = true, .rope_freqs = arch == Arch::kLlama}), bytes);
    ASSERT_TRUE(model.ok()) << model.error().to_string();
    const Model& m = **model;
    EXPECT_EQ(m.output().data, m.token_embd().data);  // tied
    EXPECT_EQ(m.rope_freqs() != nullptr, arch == Arch::kLlama);
    EXPECT_EQ(m.layer(1).bq != nullptr, arch == Arch::kQwen2);
    EXPECT_EQ(m.layer(1).q_norm != nullptr, arch == Arch::kQwen3);
    EXPECT_EQ(m.layer(1).wk.rows, 32);
    EXPECT_EQ(m.layer(1).ffn_down.cols, 96);
  }
}

TEST(ModelLoad, HalfPrecisionVectorsBecomeFloat) {
  for (DType t : {DType::kF16, DType::kBF16}) {
    std::vector<uint8_t> bytes;
    TinyModel tiny = make_tiny({.vector_type = t});
    auto model = load_tiny(tiny, bytes);
    ASSERT_TRUE(model.ok()) << model.error().to_string();
    const float want = tiny.tensor("blk.1.ffn_norm.weight")->values[5];
    EXPECT_NEAR((*model)->layer(1).ffn_norm[5], want, 1e-2);
  }
}

TEST(ModelLoad, MissingTensorIsNamed) {
  TinyModel tiny = make_tiny({});
  tiny.erase_tensor("blk.1.attn_v.bias");
  expect_load_error(tiny, ErrorCode::kNotFound, {"'blk.1.attn_v.bias'", "tiny.gguf"});
}

TEST(ModelLoad, WrongShapeIsNamed) {
  TinyModel tiny = make_tiny({});
  TinyTensor* t = tiny.tensor("blk.0.ffn_up.weight");
  t->dims = {64, 64};
  t->values.resize(64 * 64);
  expect_load_error(tiny, ErrorCode::kCorrupt,
                    {"tensor 'blk.0.ffn_up.weight' has dims [64, 64], expected [64, 96]"});
}

TEST(ModelLoad, UnsupportedWeightTypeIsNamed) {
  DType bad = DType::kI32;
  for (DType t : {DType::kQ2_K, DType::kQ3_K}) {
    if (!dtype_traits(t).supported) bad = t;
  }
  TinyModel tiny = make_tiny({.n_embd = 256, .n_head = 4, .n_ff = 256});
  tiny.tensor("blk.0.ffn_down.weight")->type = bad;
  const std::string name(dtype_traits(bad).name);
  expect_load_error(tiny, ErrorCode::kUnsupported, {"unsupported: tensor 'blk.0.ffn_down.weight' has type " + name});
}

TEST(ModelLoad, UnsupportedVectorTypeIsNamed) {
  TinyModel tiny = make_tiny({});
  tiny.tensor("output_norm.weight")->type = DType::kQ8_0;
  expect_load_error(tiny, ErrorCode::kUnsupported, {"tensor 'output_norm.weight' has type q8_0"});
}

TEST(KvCache, CreateValidatesContext) {
  std::vector<uint8_t> bytes;
  auto model = load_tiny(make_tiny({}), bytes);
  ASSERT_TRUE(model.ok());
  EXPECT_FALSE(KvCache::create((*model)->config(), 0).ok());
  EXPECT_FALSE(KvCache::create((*model)->config(), 1 << 20, 1 << 20).ok());
  auto cache = KvCache::create((*model)->config(), 100);
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ((*cache)->n_ctx(), 100);
  EXPECT_EQ((*cache)->size(), 0);
  EXPECT_EQ((*cache)->bytes(), 2u * 2 * 2 * 100 * 32);
}

}  // namespace
}  // namespace r1::model::test
