#include "model/config.h"

#include <cmath>
#include <sstream>

namespace r1::model {
namespace {

// Sane upper bounds: far above any model we serve, low enough that products
// of them cannot overflow int64 and that a corrupt file is caught early.
constexpr int64_t kMaxVocab = int64_t{1} << 22;
constexpr int64_t kMaxEmbd = int64_t{1} << 16;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxHeadDim = 1024;
constexpr int64_t kMaxFf = int64_t{1} << 20;
constexpr int64_t kMaxCtx = int64_t{1} << 24;

// Reads "{arch}.{name}" keys of one file, with errors that name key and file.
class KeyReader {
 public:
  KeyReader(const gguf::File& file, std::string_view arch) : file_(file), prefix_(arch) {}

  std::string key(std::string_view name) const { return prefix_ + "." + std::string(name); }

  Result<int64_t> required_int(std::string_view name, int64_t max) const {
    const std::string k = key(name);
    const gguf::Value* v = file_.find(k);
    if (v == nullptr) return error(ErrorCode::kNotFound, "missing key '" + k + "'");
    auto i = v->as_int();
    if (!i) return error(ErrorCode::kCorrupt, "key '" + k + "' is not an integer");
    return check_range(k, *i, max);
  }

  Result<int64_t> optional_int(std::string_view name, int64_t fallback, int64_t max) const {
    if (file_.find(key(name)) == nullptr) return fallback;
    return required_int(name, max);
  }

  Result<double> optional_float(std::string_view name, double fallback) const {
    const std::string k = key(name);
    const gguf::Value* v = file_.find(k);
    if (v == nullptr) return fallback;
    auto d = v->as_double();
    if (!d || !std::isfinite(*d)) return error(ErrorCode::kCorrupt, "key '" + k + "' is not a finite number");
    return *d;
  }

  Result<int64_t> check_range(const std::string& what, int64_t v, int64_t max) const {
    if (v <= 0 || v > max) {
      return error(ErrorCode::kCorrupt, "'" + what + "' = " + std::to_string(v) +
                                            " is out of range [1, " + std::to_string(max) + "]");
    }
    return v;
  }

  Error error(ErrorCode code, const std::string& msg) const {
    return make_error(code, msg + " (" + file_.path() + ")");
  }

 private:
  const gguf::File& file_;
  std::string prefix_;
};

// n_vocab: "{arch}.vocab_size", else the tokens array, else token_embd rows.
Result<int64_t> read_vocab(const gguf::File& file, const KeyReader& keys) {
  if (file.find(keys.key("vocab_size")) != nullptr) return keys.required_int("vocab_size", kMaxVocab);
  if (const gguf::Value* tokens = file.find("tokenizer.ggml.tokens")) {
    return keys.check_range("tokenizer.ggml.tokens length", static_cast<int64_t>(tokens->elems.size()),
                            kMaxVocab);
  }
  const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr || embd->dims.size() != 2) {
    return keys.error(ErrorCode::kNotFound, "cannot tell the vocabulary size: no '" +
                                                keys.key("vocab_size") +
                                                "', tokenizer.ggml.tokens or token_embd.weight");
  }
  return keys.check_range("token_embd.weight rows", embd->dims[1], kMaxVocab);
}

Status read_sizes(const KeyReader& keys, const gguf::File& file, ModelConfig& c) {
  R1_ASSIGN_OR_RETURN(c.n_vocab, read_vocab(file, keys));
  R1_ASSIGN_OR_RETURN(c.n_layer, keys.required_int("block_count", kMaxLayers));
  R1_ASSIGN_OR_RETURN(c.n_embd, keys.required_int("embedding_length", kMaxEmbd));
  R1_ASSIGN_OR_RETURN(c.n_ff, keys.required_int("feed_forward_length", kMaxFf));
  R1_ASSIGN_OR_RETURN(c.n_head, keys.required_int("attention.head_count", kMaxHeads));
  R1_ASSIGN_OR_RETURN(c.n_head_kv, keys.optional_int("attention.head_count_kv", c.n_head, kMaxHeads));
  R1_ASSIGN_OR_RETURN(c.n_ctx_train, keys.required_int("context_length", kMaxCtx));
  const bool has_key_length = file.find(keys.key("attention.key_length")) != nullptr;
  if (!has_key_length && c.n_embd % c.n_head != 0) {
    return keys.error(ErrorCode::kCorrupt, "embedding_length " + std::to_string(c.n_embd) +
                                               " is not a multiple of head_count " +
                                               std::to_string(c.n_head));
  }
  R1_ASSIGN_OR_RETURN(c.head_dim, keys.optional_int("attention.key_length", c.n_embd / c.n_head, kMaxHeadDim));
  R1_ASSIGN_OR_RETURN(int64_t v_dim, keys.optional_int("attention.value_length", c.head_dim, kMaxHeadDim));
  if (v_dim != c.head_dim) {
    return keys.error(ErrorCode::kUnsupported, "value_length " + std::to_string(v_dim) +
                                                   " differs from key_length " + std::to_string(c.head_dim));
  }
  if (c.n_head % c.n_head_kv != 0) {
    return keys.error(ErrorCode::kCorrupt, "head_count " + std::to_string(c.n_head) +
                                               " is not a multiple of head_count_kv " +
                                               std::to_string(c.n_head_kv));
  }
  return Status();
}

Status read_rope(const KeyReader& keys, ModelConfig& c) {
  R1_ASSIGN_OR_RETURN(double theta, keys.optional_float("rope.freq_base", 10000.0));
  if (theta <= 1.0) return keys.error(ErrorCode::kCorrupt, "rope.freq_base " + std::to_string(theta) + " must be > 1");
  c.rope_theta = static_cast<float>(theta);
  R1_ASSIGN_OR_RETURN(c.rope_dim, keys.optional_int("rope.dimension_count", c.head_dim, kMaxHeadDim));
  if (c.rope_dim != c.head_dim) {
    return keys.error(ErrorCode::kUnsupported, "rope.dimension_count " + std::to_string(c.rope_dim) +
                                                   " differs from the head size " + std::to_string(c.head_dim));
  }
  R1_ASSIGN_OR_RETURN(double factor, keys.optional_float("rope.scaling.factor", 0.0));
  if (factor != 0.0 && factor != 1.0) {
    return keys.error(ErrorCode::kUnsupported, "rope scaling factor " + std::to_string(factor) +
                                                   " (only unscaled RoPE and llama3 rope_freqs)");
  }
  return Status();
}

Status read_norm(const KeyReader& keys, ModelConfig& c) {
  R1_ASSIGN_OR_RETURN(double eps, keys.optional_float("attention.layer_norm_rms_epsilon", -1.0));
  if (eps == -1.0) return keys.error(ErrorCode::kNotFound, "missing key '" + keys.key("attention.layer_norm_rms_epsilon") + "'");
  if (!(eps > 0.0 && eps < 1.0)) {
    return keys.error(ErrorCode::kCorrupt, "attention.layer_norm_rms_epsilon " + std::to_string(eps) +
                                               " is out of range (0, 1)");
  }
  c.rms_eps = static_cast<float>(eps);
  return Status();
}

}  // namespace

Result<ModelConfig> config_from_gguf(const gguf::File& file) {
  auto arch_name = file.find_string("general.architecture");
  if (!arch_name) {
    return make_error(ErrorCode::kNotFound, "missing key 'general.architecture' (" + file.path() + ")");
  }
  const ArchSpec* spec = find_arch_spec(*arch_name);
  if (spec == nullptr) {
    return make_error(ErrorCode::kUnsupported, "architecture '" + std::string(*arch_name) + "' (" +
                                                   file.path() + "); supported: " +
                                                   std::string(supported_arch_names()));
  }
  ModelConfig c;
  c.arch = spec->arch;
  c.rope_neox = spec->rope_neox;
  c.qkv_bias = spec->qkv_bias;
  c.qk_norm = spec->qk_norm;
  const KeyReader keys(file, spec->name);
  R1_RETURN_IF_ERROR(read_sizes(keys, file, c));
  R1_RETURN_IF_ERROR(read_rope(keys, c));
  R1_RETURN_IF_ERROR(read_norm(keys, c));
  c.tied_output = file.find_tensor("output.weight") == nullptr;
  c.rope_freqs = spec->rope_freqs_allowed && file.find_tensor("rope_freqs.weight") != nullptr;
  return c;
}

std::string describe(const ModelConfig& c) {
  std::ostringstream os;
  os << arch_spec(c.arch).name << ": " << c.n_layer << " layers, n_embd " << c.n_embd << ", " << c.n_head
     << " heads (" << c.n_head_kv << " kv, dim " << c.head_dim << "), n_ff " << c.n_ff << ", vocab "
     << c.n_vocab << ", ctx_train " << c.n_ctx_train << ", rope " << (c.rope_neox ? "neox" : "norm")
     << " theta " << c.rope_theta << (c.rope_freqs ? " +freq_factors" : "") << ", rms_eps " << c.rms_eps
     << (c.qkv_bias ? ", qkv_bias" : "") << (c.qk_norm ? ", qk_norm" : "")
     << (c.tied_output ? ", tied output" : "");
  return os.str();
}

}  // namespace r1::model
