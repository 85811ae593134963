// Model: a loaded GGUF model's config and weights. Weight matrices are views
// INTO the file's mapping (no copies); the small 1-D tensors (norm weights,
// biases, rope frequency factors) are converted to float32 copies at load.
//
// Shapes below are [rows, cols] of a row-major matrix: GGUF dims are
// {cols, rows}, dims[0] innermost. d = head_dim, nh = n_head, nkv = n_head_kv.
//
// Thread contract: immutable after load(); share freely for reading across
// threads (and across concurrent forward passes).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.h"
#include "gguf/gguf.h"
#include "kernels/ops.h"
#include "model/config.h"

namespace r1::model {

struct LayerWeights {
  const float* attn_norm = nullptr;  // [n_embd]
  kernels::WeightView wq;            // [nh * d, n_embd]
  kernels::WeightView wk;            // [nkv * d, n_embd]
  kernels::WeightView wv;            // [nkv * d, n_embd]
  const float* bq = nullptr;         // [nh * d]   qwen2 only
  const float* bk = nullptr;         // [nkv * d]  qwen2 only
  const float* bv = nullptr;         // [nkv * d]  qwen2 only
  const float* q_norm = nullptr;     // [d]        qwen3 only
  const float* k_norm = nullptr;     // [d]        qwen3 only
  kernels::WeightView wo;            // [n_embd, nh * d]
  const float* ffn_norm = nullptr;   // [n_embd]
  kernels::WeightView ffn_gate;      // [n_ff, n_embd]
  kernels::WeightView ffn_up;        // [n_ff, n_embd]
  kernels::WeightView ffn_down;      // [n_embd, n_ff]
};

class Model {
 public:
  // Validates every expected tensor (present, exact dims, supported dtype)
  // and keeps `file` alive. Touches no weight data beyond the 1-D tensors.
  static Result<std::shared_ptr<const Model>> load(std::shared_ptr<const gguf::File> file);

  const ModelConfig& config() const { return config_; }
  const gguf::File& file() const { return *file_; }
  const LayerWeights& layer(int64_t i) const { return layers_[static_cast<size_t>(i)]; }
  const kernels::WeightView& token_embd() const { return token_embd_; }  // [n_vocab, n_embd]
  const kernels::WeightView& output() const { return output_; }  // [n_vocab, n_embd]; token_embd if tied
  const float* output_norm() const { return output_norm_; }        // [n_embd]
  const float* rope_freqs() const { return rope_freqs_; }          // [rope_dim / 2] or nullptr

  // out[n_embd] = row `token` of token_embd, dequantized. CHECKs the range.
  void embed(int32_t token, float* out) const;

  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

 private:
  Model() = default;
  friend class ModelLoader;

  std::shared_ptr<const gguf::File> file_;
  ModelConfig config_;
  std::vector<LayerWeights> layers_;
  kernels::WeightView token_embd_;
  kernels::WeightView output_;
  const float* output_norm_ = nullptr;
  const float* rope_freqs_ = nullptr;
  std::vector<std::vector<float>> vectors_;  // owned float32 copies of 1-D tensors
};

}  // namespace r1::model
