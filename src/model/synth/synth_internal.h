// Internals of synth_model (synth.h): the resolved shape, the tensor plan
// with per-tensor types, tokenizer metadata and weight generation. The file
// itself is written by gguf::Writer::write_streaming.
//
// Thread contract: plain values; generate_tensor uses the given pool.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "gguf/gguf.h"
#include "model/synth/synth.h"
#include "tensor/dtype.h"

namespace r1 {
class ThreadPool;
}

namespace r1::model::synth {

enum class Flavor { kR1Qwen, kR1Llama, kQwen3 };

struct Spec {
  std::string preset;
  std::string arch;  // "qwen2", "llama", "qwen3"
  Flavor flavor = Flavor::kR1Qwen;
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t n_ff = 0;
  int64_t n_ctx = 0;
  float rope_theta = 10000.0f;
  float rms_eps = 1e-6f;
  bool qkv_bias = false;
  bool qk_norm = false;
  bool llama3_rope = false;  // writes rope_freqs.weight
};

// Quantization recipe of a file type name ("q4_k_m").
struct FileType {
  std::string name;
  uint32_t llama_ftype = 0;  // general.file_type
  DType base = DType::kQ8_0;
  bool k_mixed = false;     // _m: more bits for some attn_v / ffn_down
  bool k_small = false;     // plain q4_k/q5_k (llama.cpp's _s recipes)
};

enum class Init { kMatrix, kNorm, kBias, kRopeFreqs };

struct TensorPlan {
  std::string name;
  std::vector<int64_t> dims;  // ggml order: dims[0] = row length
  DType type = DType::kF32;
  Init init = Init::kMatrix;
  float stddev = 0.02f;
  uint64_t n_bytes = 0;
};

Result<Spec> resolve_spec(const std::string& preset, const SynthOverrides& ov);
Result<FileType> parse_file_type(const std::string& name);

// Tensors in file order with types, init and byte sizes.
std::vector<TensorPlan> plan_tensors(const Spec& spec, const FileType& ft);

// llama3 rope frequency factors (n_rot / 2 values).
std::vector<float> llama3_rope_factors(int64_t head_dim, float theta);

// Copies tokenizer.* from the vocab file and applies the flavor's special
// tokens, ids, pre-tokenizer name and chat template.
Status add_tokenizer_meta(const Spec& spec, const gguf::File& vocab, gguf::Writer& meta);

// Fills one tensor's bytes (quantized) from the seeded generator.
void generate_tensor(const TensorPlan& t, const Spec& spec, uint64_t seed, ThreadPool& pool,
                     std::vector<uint8_t>* out);

}  // namespace r1::model::synth
