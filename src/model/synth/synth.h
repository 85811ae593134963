// Synthetic GGUF models: the real shapes, vocabularies, special tokens and
// chat templates of the models r1serve serves, with random weights drawn from
// a fixed seed (same seed, preset and type give the same bytes). Used for
// tests, benchmarks and the demo model when no real weights are at hand.
//
// Presets: r1-distill-qwen-1.5b (qwen2), r1-distill-llama-8b (llama, llama3
// rope_freqs), qwen3-8b (qwen3), and tiny-qwen2 / tiny-llama / tiny-qwen3
// (2 layers, hidden 256, 4 heads, 2 kv heads, ffn 512, the real vocab).
//
// File types mirror llama.cpp's llama_tensor_get_type for the dense models:
// q4_k_m/q5_k_m use Q6_K for output.weight and for attn_v/ffn_down of the
// "more bits" layers; 1-D tensors are F32; rows not a multiple of a K-quant's
// 256 fall back (q4_k -> q5_0, q5_k -> q5_1, q6_k -> q8_0).
//
// The file is written streaming (tensor by tensor, rows quantized on a
// thread pool), so an 8B model needs memory for one tensor only.
//
// Thread contract: synth_model is a free function with no shared state; it
// may be called concurrently for different output paths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace r1::model {

// Shape overrides applied on top of a preset (unset: the preset's value).
struct SynthOverrides {
  std::optional<int64_t> n_embd;
  std::optional<int64_t> n_layer;
  std::optional<int64_t> n_head;
  std::optional<int64_t> n_head_kv;
  std::optional<int64_t> n_ff;
  std::optional<int64_t> n_ctx;
  std::optional<int64_t> head_dim;
};

struct SynthParams {
  std::string preset = "tiny-qwen2";
  std::string file_type = "q8_0";  // see synth_file_type_names()
  uint64_t seed = 42;
  // A vocab GGUF file, or a directory holding ggml-vocab-qwen2.gguf and
  // ggml-vocab-llama-bpe.gguf (picked by architecture).
  std::string vocab_path;
  SynthOverrides overrides;
  int n_threads = 0;  // 0: hardware concurrency
};

std::vector<std::string> synth_preset_names();
std::vector<std::string> synth_file_type_names();

// The checks synth_model does before writing anything (preset, type,
// shape, vocab file present).
Status synth_validate(const SynthParams& params);

// Validates params (unknown preset/type, bad shape -> kInvalidArgument;
// missing vocab -> kNotFound) and writes the model to out_path.
Status synth_model(const SynthParams& params, const std::string& out_path);

}  // namespace r1::model
