// Tiny in-memory models for the model tests: random weights written with
// gguf::Writer, and an independent double-precision reference forward pass
// (straightforward loops over the same weights, dequantized).
//
// Thread contract: test helpers; single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "gguf/gguf.h"
#include "model/arch/arch.h"
#include "model/kv/kv_cache.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "tensor/dtype.h"

namespace r1::model::test {

struct TinySpec {
  Arch arch = Arch::kQwen2;
  DType weight_type = DType::kF32;  // 2-D weights
  DType vector_type = DType::kF32;  // 1-D tensors (norms, biases)
  int64_t n_vocab = 64;
  int64_t n_embd = 64;
  int64_t n_layer = 2;
  int64_t n_head = 4;
  int64_t n_head_kv = 2;
  int64_t n_ff = 96;
  int64_t n_ctx_train = 512;
  bool tied = false;        // no output.weight
  bool rope_freqs = false;  // rope_freqs.weight (llama)
  float rope_theta = 10000.0f;
  float rms_eps = 1e-6f;
  uint32_t seed = 1;
};

struct TinyTensor {
  std::string name;
  DType type;
  std::vector<int64_t> dims;  // ggml order
  std::vector<float> values;  // converted to `type` when written
};

// An editable description of a GGUF file: tests remove or change keys and
// tensors to provoke errors.
struct TinyModel {
  TinySpec spec;
  std::vector<std::pair<std::string, std::function<void(gguf::Writer&)>>> meta;
  std::vector<TinyTensor> tensors;

  void erase_key(std::string_view key);
  void set_key(const std::string& key, std::function<void(gguf::Writer&)> write);
  TinyTensor* tensor(std::string_view name);  // CHECKs it exists
  void erase_tensor(std::string_view name);
};

TinyModel make_tiny(const TinySpec& spec);
std::vector<uint8_t> to_gguf(const TinyModel& tiny);

// Parses / loads the model; `storage` holds the bytes and must outlive the result.
Result<std::shared_ptr<const gguf::File>> parse_tiny(const TinyModel& tiny, std::vector<uint8_t>& storage);
Result<std::shared_ptr<const Model>> load_tiny(const TinyModel& tiny, std::vector<uint8_t>& storage);

// logits[pos][vocab] for a whole sequence, in double precision, reading the
// tensors of `file` dequantized and the hyperparameters of `spec`.
std::vector<std::vector<double>> reference_forward(const TinySpec& spec, const gguf::File& file,
                                                   const std::vector<int32_t>& tokens);

double cosine(const std::vector<double>& a, const float* b);

// A tiny model loaded from its bytes (kept first: they outlive the model).
struct LoadedTiny {
  std::vector<uint8_t> bytes;
  std::shared_ptr<const Model> model;
  const ModelConfig& config() const { return model->config(); }
  int64_t n_vocab() const { return config().n_vocab; }
};
std::unique_ptr<LoadedTiny> load_tiny_model(const TinySpec& spec);  // CHECKs it loads

// n token ids in [0, 64) from a seeded generator.
std::vector<int32_t> random_tokens(size_t n, uint32_t seed);

// Appends tokens [begin, end) of a sequence to `cache` in batches of `step`
// (prefill-style; the default: one batch) and returns every token's logits.
std::vector<float> forward_logits(const LoadedTiny& l, KvCache& cache, const std::vector<int32_t>& tokens,
                                  size_t begin, size_t end, ForwardContext& ctx, size_t step = SIZE_MAX);

}  // namespace r1::model::test
