// Files written by gguf::Writer, read back by llama.cpp's prebuilt ggml/llama
// libraries (the reference reader). Label `peer`; built only when the peer
// libraries are installed under .cache/peer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <numeric>

#include "ggml.h"
#include "gguf.h"
#include "gguf/gguf.h"
#include "llama.h"
#include "support/temp_dir.h"

namespace r1::gguf {
namespace {

namespace fs = std::filesystem;

// A per-process scratch directory, removed at exit.
std::string temp_path(const std::string& name) { return test_support::scratch_path("r1_gguf_peer", name); }

void quiet_log(ggml_log_level, const char*, void*) {}

TEST(GgufPeer, GgmlReadsOurTensorsAndMetadata) {
  Writer w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 3);
  w.set_f32_array("scores", {0.5f, -2.0f});
  struct T { const char* name; DType type; std::vector<int64_t> dims; ggml_type gt; };
  const std::vector<T> ts = {{"a", DType::kF32, {5, 3}, GGML_TYPE_F32},
                             {"b", DType::kQ4_K, {512}, GGML_TYPE_Q4_K},
                             {"c", DType::kQ8_0, {32, 2, 2}, GGML_TYPE_Q8_0},
                             {"d", DType::kF16, {7}, GGML_TYPE_F16}};
  std::vector<std::vector<uint8_t>> payloads;
  for (const T& t : ts) {
    int64_t rows = std::accumulate(t.dims.begin() + 1, t.dims.end(), int64_t{1},
                                   std::multiplies<>());
    std::vector<uint8_t> p(dtype_row_bytes(t.type, t.dims[0]) * static_cast<size_t>(rows));
    for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 13 + payloads.size());
    payloads.push_back(p);
    w.add_tensor(t.name, t.type, t.dims, p);
  }
  const std::string path = temp_path("tensors.gguf");
  ASSERT_TRUE(w.write(path).ok());

  ggml_context* meta = nullptr;
  gguf_context* ctx = gguf_init_from_file(path.c_str(), {/*no_alloc=*/false, &meta});
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(gguf_get_n_tensors(ctx), 4);
  EXPECT_STREQ(gguf_get_val_str(ctx, gguf_find_key(ctx, "general.architecture")), "llama");
  EXPECT_EQ(gguf_get_arr_n(ctx, gguf_find_key(ctx, "scores")), 2u);
  for (size_t k = 0; k < ts.size(); ++k) {
    EXPECT_STREQ(gguf_get_tensor_name(ctx, static_cast<int64_t>(k)), ts[k].name);
    EXPECT_EQ(gguf_get_tensor_type(ctx, static_cast<int64_t>(k)), ts[k].gt);
    ggml_tensor* t = ggml_get_tensor(meta, ts[k].name);
    ASSERT_NE(t, nullptr);
    for (size_t d = 0; d < ts[k].dims.size(); ++d) EXPECT_EQ(t->ne[d], ts[k].dims[d]);
    ASSERT_EQ(ggml_nbytes(t), payloads[k].size());
    EXPECT_EQ(0, memcmp(t->data, payloads[k].data(), payloads[k].size())) << ts[k].name;
  }
  gguf_free(ctx);
  ggml_free(meta);
}

TEST(GgufPeer, LlamaLoadsACopiedVocab) {
  auto src = File::open(std::string(R1_FIXTURES_DIR) + "/tokenizer/ggml-vocab-qwen2.gguf");
  ASSERT_TRUE(src.ok());
  Writer w;
  for (const KeyValue& kv : (*src)->metadata()) w.set_value(kv.key, kv.value);
  const std::string path = temp_path("qwen2-vocab.gguf");
  ASSERT_TRUE(w.write(path).ok());

  llama_log_set(quiet_log, nullptr);
  llama_backend_init();
  llama_model_params params = llama_model_default_params();
  params.vocab_only = true;
  llama_model* model = llama_model_load_from_file(path.c_str(), params);
  ASSERT_NE(model, nullptr);
  const llama_vocab* vocab = llama_model_get_vocab(model);
  EXPECT_EQ(llama_vocab_n_tokens(vocab), 151936);
  auto tokens = (*src)->get_string_array("tokenizer.ggml.tokens");
  for (int id : {0, 1000, 151643}) EXPECT_EQ(llama_vocab_get_text(vocab, id), tokens->at(id));
  llama_model_free(model);
}

}  // namespace
}  // namespace r1::gguf
