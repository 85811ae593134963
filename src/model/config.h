// ModelConfig: the hyperparameters of a decoder-only transformer, read from
// a GGUF file's "{arch}.*" metadata and validated.
//
// Thread contract: plain value type; config_from_gguf is a pure function.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "gguf/gguf.h"
#include "model/arch/arch.h"

namespace r1::model {

struct ModelConfig {
  Arch arch = Arch::kQwen2;
  int64_t n_vocab = 0;
  int64_t n_embd = 0;        // hidden size
  int64_t n_layer = 0;
  int64_t n_head = 0;        // query heads
  int64_t n_head_kv = 0;     // key/value heads (GQA: n_head % n_head_kv == 0)
  int64_t head_dim = 0;      // attention.key_length, or n_embd / n_head
  int64_t n_ff = 0;          // feed-forward inner size
  int64_t n_ctx_train = 0;   // context length the model was trained for
  float rope_theta = 10000.0f;
  float rms_eps = 1e-6f;
  int64_t rope_dim = 0;      // rotated dims per head (== head_dim here)
  bool rope_neox = true;     // NeoX pairs vs GPT-J pairs (from the arch)
  bool qkv_bias = false;     // qwen2
  bool qk_norm = false;      // qwen3
  bool tied_output = false;  // no output.weight: logits use token_embd
  bool rope_freqs = false;   // llama3 frequency factors (rope_freqs.weight)

  int64_t q_dim() const { return n_head * head_dim; }      // Q row width
  int64_t kv_dim() const { return n_head_kv * head_dim; }  // K/V row width
};

// Reads and validates the config. Errors name the key or value and the file:
// "unsupported: architecture 'gemma2' (x.gguf); supported: qwen2, llama, qwen3".
Result<ModelConfig> config_from_gguf(const gguf::File& file);

// One line: "qwen2: 28 layers, n_embd 1536, 12 heads (2 kv, dim 128), ...".
std::string describe(const ModelConfig& config);

}  // namespace r1::model
