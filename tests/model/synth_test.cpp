// Synthetic models: metadata, tensor type mixes, determinism, and that the
// model loader, tokenizer and forward pass accept them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/kv/kv_cache.h"
#include "model/synth/synth.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace r1::model {
namespace {

namespace fs = std::filesystem;

class SynthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("r1_synth_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<const gguf::File> synth(SynthParams p, const std::string& name) {
    if (p.vocab_path.empty()) p.vocab_path = R1_SOURCE_DIR "/assets/vocab";
    p.n_threads = 2;
    const std::string path = (dir_ / name).string();
    Status st = synth_model(p, path);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().to_string());
    auto file = gguf::File::open(path);
    EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().to_string());
    return file.ok() ? *file : nullptr;
  }

  static std::string type_of(const gguf::File& f, const std::string& tensor) {
    const gguf::TensorInfo* t = f.find_tensor(tensor);
    return t == nullptr ? "missing" : std::string(dtype_traits(t->type).name);
  }

  fs::path dir_;
};

TEST_F(SynthTest, TinyQwen2Q8Metadata) {
  auto f = synth({.preset = "tiny-qwen2", .file_type = "q8_0"}, "q2.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->find_string("general.architecture"), "qwen2");
  EXPECT_EQ(*f->find_int("general.file_type"), 7);
  EXPECT_EQ(*f->find_int("qwen2.embedding_length"), 256);
  EXPECT_EQ(*f->find_int("qwen2.block_count"), 2);
  EXPECT_EQ(*f->find_int("qwen2.attention.head_count_kv"), 2);
  EXPECT_EQ(*f->find_string("tokenizer.ggml.pre"), "deepseek-r1-qwen");
  EXPECT_EQ(*f->find_int("tokenizer.ggml.bos_token_id"), 151646);
  EXPECT_EQ(*f->find_int("tokenizer.ggml.eos_token_id"), 151643);
  auto tokens = f->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 151936u);
  EXPECT_EQ((*tokens)[151644], "<｜User｜>");
  EXPECT_EQ((*tokens)[151648], "<think>");
  auto types = f->get_i32_array("tokenizer.ggml.token_type");
  ASSERT_TRUE(types.ok());
  EXPECT_EQ((*types)[151646], 3);
  EXPECT_EQ((*types)[151649], 4);
  EXPECT_NE(f->find_string("tokenizer.chat_template")->find("<｜Assistant｜>"), std::string::npos);
  EXPECT_EQ(type_of(*f, "output.weight"), "q8_0");
  EXPECT_EQ(type_of(*f, "blk.1.attn_q.bias"), "f32");
  EXPECT_EQ(type_of(*f, "blk.0.ffn_norm.weight"), "f32");
}

TEST_F(SynthTest, Q4KMMixFollowsLlamaCpp) {
  SynthParams p{.preset = "tiny-qwen2", .file_type = "q4_k_m"};
  p.overrides.n_layer = 8;  // more-bits layers: 0, 3, 6, 7
  auto f = synth(p, "q4km.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->find_int("general.file_type"), 15);
  EXPECT_EQ(type_of(*f, "token_embd.weight"), "q4_K");
  EXPECT_EQ(type_of(*f, "output.weight"), "q6_K");
  for (int i = 0; i < 8; ++i) {
    const bool more = i == 0 || i == 3 || i == 6 || i == 7;
    const std::string b = "blk." + std::to_string(i) + ".";
    EXPECT_EQ(type_of(*f, b + "attn_v.weight"), more ? "q6_K" : "q4_K") << i;
    EXPECT_EQ(type_of(*f, b + "ffn_down.weight"), more ? "q6_K" : "q4_K") << i;
    EXPECT_EQ(type_of(*f, b + "attn_q.weight"), "q4_K") << i;
    EXPECT_EQ(type_of(*f, b + "ffn_up.weight"), "q4_K") << i;
  }
}

TEST_F(SynthTest, KQuantFallbackForShortRows) {
  SynthParams p{.preset = "tiny-qwen2", .file_type = "q4_k_m"};
  p.overrides.n_ff = 320;  // ffn_down rows of 320: not a multiple of 256
  auto f = synth(p, "fallback.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(type_of(*f, "blk.0.ffn_down.weight"), "q5_0");  // q4_K -> q5_0
  EXPECT_EQ(type_of(*f, "blk.1.ffn_down.weight"), "q8_0");  // q6_K -> q8_0
  EXPECT_EQ(type_of(*f, "blk.0.ffn_up.weight"), "q4_K");    // rows of 256 fit
}

TEST_F(SynthTest, TinyLlamaHasRopeFreqsAndR1Tokens) {
  auto f = synth({.preset = "tiny-llama", .file_type = "q5_k_m"}, "llama.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->find_string("general.architecture"), "llama");
  EXPECT_EQ(*f->find_int("general.file_type"), 17);
  EXPECT_EQ(*f->find_int("llama.vocab_size"), 128256);
  EXPECT_EQ(*f->find_int("tokenizer.ggml.bos_token_id"), 128000);
  auto tokens = f->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ((*tokens)[128001], "<｜end▁of▁sentence｜>");
  EXPECT_EQ((*tokens)[128014], "</think>");
  const gguf::TensorInfo* rf = f->find_tensor("rope_freqs.weight");
  ASSERT_NE(rf, nullptr);
  ASSERT_EQ(rf->dims, std::vector<int64_t>{32});
  const auto* v = reinterpret_cast<const float*>(rf->data);
  EXPECT_FLOAT_EQ(v[0], 1.0f);   // high frequencies unscaled
  EXPECT_FLOAT_EQ(v[31], 8.0f);  // low frequencies scaled by the factor
  EXPECT_EQ(type_of(*f, "output.weight"), "q6_K");
  EXPECT_EQ(type_of(*f, "blk.0.attn_q.weight"), "q5_K");
}

TEST_F(SynthTest, TinyQwen3HasQkNormAndQwen3Tokens) {
  auto f = synth({.preset = "tiny-qwen3", .file_type = "bf16"}, "qwen3.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->find_int("qwen3.attention.key_length"), 64);
  EXPECT_EQ(*f->find_int("tokenizer.ggml.eos_token_id"), 151645);
  EXPECT_EQ(type_of(*f, "blk.0.attn_q_norm.weight"), "f32");
  EXPECT_EQ(type_of(*f, "blk.0.attn_q.weight"), "bf16");
  EXPECT_EQ(f->find_tensor("blk.0.attn_q.bias"), nullptr);
  auto tokens = f->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ((*tokens)[151667], "<think>");
  EXPECT_NE(f->find_string("tokenizer.chat_template")->find("<|im_start|>"), std::string::npos);
}

TEST_F(SynthTest, SameSeedSameBytesOtherSeedDiffers) {
  auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
  };
  SynthParams p{.preset = "tiny-qwen3", .file_type = "q4_0"};
  synth(p, "a.gguf");
  synth(p, "b.gguf");
  p.seed = 7;
  synth(p, "c.gguf");
  EXPECT_EQ(read(dir_ / "a.gguf"), read(dir_ / "b.gguf"));
  EXPECT_NE(read(dir_ / "a.gguf"), read(dir_ / "c.gguf"));
}

// Every tiny preset loads, tokenizes, and gives logits with a real spread.
TEST_F(SynthTest, LoadsAndGivesSpreadLogits) {
  for (const char* preset : {"tiny-qwen2", "tiny-llama", "tiny-qwen3"}) {
    auto f = synth({.preset = preset, .file_type = "q8_0"}, std::string(preset) + ".gguf");
    ASSERT_NE(f, nullptr);
    auto model = Model::load(f);
    ASSERT_TRUE(model.ok()) << model.error().to_string();
    auto tok = tokenizer::Tokenizer::from_gguf(*f);
    ASSERT_TRUE(tok.ok()) << tok.error().to_string();
    std::vector<int32_t> ids = (*tok)->encode("Hello world, this is a test", {true, false});
    auto cache = KvCache::create((*model)->config(), 64);
    ASSERT_TRUE(cache.ok());
    ForwardContext ctx((*model)->config(), 16, nullptr);
    std::vector<BatchEntry> batch;
    for (size_t i = 0; i < ids.size(); ++i) {
      batch.push_back({ids[i], static_cast<int32_t>(i), cache->get(), i + 1 == ids.size()});
    }
    const auto n_vocab = static_cast<size_t>((*model)->config().n_vocab);
    std::vector<float> logits(n_vocab);
    ASSERT_TRUE(forward(**model, batch, ctx, logits.data()).ok());
    double sum = 0, sq = 0;
    for (float x : logits) {
      ASSERT_TRUE(std::isfinite(x));
      sum += x;
      sq += static_cast<double>(x) * x;
    }
    const double mean = sum / n_vocab;
    const double sd = std::sqrt(sq / n_vocab - mean * mean);
    EXPECT_GT(sd, 1.0) << preset;
    EXPECT_LT(sd, 5.0) << preset;
  }
}

TEST_F(SynthTest, RejectsBadParams) {
  const std::string out = (dir_ / "x.gguf").string();
  SynthParams p{.vocab_path = R1_SOURCE_DIR "/assets/vocab"};
  p.preset = "no-such-model";
  EXPECT_EQ(synth_model(p, out).error().code, ErrorCode::kInvalidArgument);
  p.preset = "tiny-qwen2";
  p.file_type = "q3_k_xl";
  EXPECT_EQ(synth_model(p, out).error().code, ErrorCode::kInvalidArgument);
  p.file_type = "q8_0";
  p.overrides.n_head_kv = 3;
  EXPECT_EQ(synth_model(p, out).error().code, ErrorCode::kInvalidArgument);
  p.overrides.n_head_kv.reset();
  p.vocab_path = (dir_ / "missing").string();
  EXPECT_EQ(synth_model(p, out).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace r1::model
