#include "model/weights.h"

#include <cstring>
#include <sstream>
#include <string>

#include "kernels/kernels.h"
#include "tensor/half.h"

namespace r1::model {

// Finds, validates and wires the tensors of one file into a Model.
class ModelLoader {
 public:
  ModelLoader(const gguf::File& file, Model& model) : file_(file), m_(model) {}

  Status load_globals();
  Status load_layer(int64_t il);

 private:
  Result<const gguf::TensorInfo*> find(const std::string& name, const std::vector<int64_t>& dims) const;
  Result<kernels::WeightView> matrix(const std::string& name, int64_t rows, int64_t cols) const;
  Result<const float*> vector(const std::string& name, int64_t n);
  Error error(ErrorCode code, const std::string& msg) const {
    return make_error(code, msg + " (" + file_.path() + ")");
  }

  const gguf::File& file_;
  Model& m_;
};

namespace {

std::string dims_string(const std::vector<int64_t>& dims) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "") << dims[i];
  os << ']';
  return os.str();
}

std::string blk(int64_t il, const char* name) { return "blk." + std::to_string(il) + "." + name; }

}  // namespace

Result<const gguf::TensorInfo*> ModelLoader::find(const std::string& name,
                                                  const std::vector<int64_t>& dims) const {
  const gguf::TensorInfo* t = file_.find_tensor(name);
  if (t == nullptr) return error(ErrorCode::kNotFound, "missing tensor '" + name + "'");
  if (t->dims != dims) {
    return error(ErrorCode::kCorrupt, "tensor '" + name + "' has dims " + dims_string(t->dims) +
                                          ", expected " + dims_string(dims));
  }
  return t;
}

Result<kernels::WeightView> ModelLoader::matrix(const std::string& name, int64_t rows, int64_t cols) const {
  R1_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, find(name, {cols, rows}));
  const DTypeTraits* traits = dtype_traits(t->type_id);
  if (traits == nullptr || !traits->supported || cols % traits->block_size != 0 ||
      kernels::quant_ops(traits->type).vec_dot == nullptr ||
      kernels::quant_ops(traits->type).to_float == nullptr) {
    return error(ErrorCode::kUnsupported, "tensor '" + name + "' has type " + dtype_name(t->type_id));
  }
  if (t->data == nullptr || t->n_bytes < dtype_row_bytes(traits->type, cols) * static_cast<uint64_t>(rows)) {
    return error(ErrorCode::kCorrupt, "tensor '" + name + "' is truncated");
  }
  return kernels::WeightView{.data = t->data, .type = traits->type, .rows = rows, .cols = cols};
}

Result<const float*> ModelLoader::vector(const std::string& name, int64_t n) {
  R1_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, find(name, {n}));
  const auto type = static_cast<DType>(t->type_id);
  const uint64_t elem = type == DType::kF32 ? 4 : 2;
  if (type != DType::kF32 && type != DType::kF16 && type != DType::kBF16) {
    return error(ErrorCode::kUnsupported, "tensor '" + name + "' has type " + dtype_name(t->type_id) +
                                              " (1-D tensors must be f32, f16 or bf16)");
  }
  if (t->data == nullptr || t->n_bytes < elem * static_cast<uint64_t>(n)) {
    return error(ErrorCode::kCorrupt, "tensor '" + name + "' is truncated");
  }
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) {
    if (type == DType::kF32) {
      std::memcpy(&v[i], t->data + 4 * i, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, t->data + 2 * i, 2);
      v[i] = type == DType::kF16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
    }
  }
  m_.vectors_.push_back(std::move(v));  // moving keeps each inner buffer in place
  return m_.vectors_.back().data();
}

Status ModelLoader::load_globals() {
  const ModelConfig& c = m_.config_;
  R1_ASSIGN_OR_RETURN(m_.token_embd_, matrix("token_embd.weight", c.n_vocab, c.n_embd));
  R1_ASSIGN_OR_RETURN(m_.output_norm_, vector("output_norm.weight", c.n_embd));
  if (c.tied_output) {
    m_.output_ = m_.token_embd_;
  } else {
    R1_ASSIGN_OR_RETURN(m_.output_, matrix("output.weight", c.n_vocab, c.n_embd));
  }
  if (c.rope_freqs) {
    R1_ASSIGN_OR_RETURN(m_.rope_freqs_, vector("rope_freqs.weight", c.rope_dim / 2));
  }
  return Status();
}

Status ModelLoader::load_layer(int64_t il) {
  const ModelConfig& c = m_.config_;
  LayerWeights& l = m_.layers_[static_cast<size_t>(il)];
  R1_ASSIGN_OR_RETURN(l.attn_norm, vector(blk(il, "attn_norm.weight"), c.n_embd));
  R1_ASSIGN_OR_RETURN(l.wq, matrix(blk(il, "attn_q.weight"), c.q_dim(), c.n_embd));
  R1_ASSIGN_OR_RETURN(l.wk, matrix(blk(il, "attn_k.weight"), c.kv_dim(), c.n_embd));
  R1_ASSIGN_OR_RETURN(l.wv, matrix(blk(il, "attn_v.weight"), c.kv_dim(), c.n_embd));
  if (c.qkv_bias) {
    R1_ASSIGN_OR_RETURN(l.bq, vector(blk(il, "attn_q.bias"), c.q_dim()));
    R1_ASSIGN_OR_RETURN(l.bk, vector(blk(il, "attn_k.bias"), c.kv_dim()));
    R1_ASSIGN_OR_RETURN(l.bv, vector(blk(il, "attn_v.bias"), c.kv_dim()));
  }
  if (c.qk_norm) {
    R1_ASSIGN_OR_RETURN(l.q_norm, vector(blk(il, "attn_q_norm.weight"), c.head_dim));
    R1_ASSIGN_OR_RETURN(l.k_norm, vector(blk(il, "attn_k_norm.weight"), c.head_dim));
  }
  R1_ASSIGN_OR_RETURN(l.wo, matrix(blk(il, "attn_output.weight"), c.n_embd, c.q_dim()));
  R1_ASSIGN_OR_RETURN(l.ffn_norm, vector(blk(il, "ffn_norm.weight"), c.n_embd));
  R1_ASSIGN_OR_RETURN(l.ffn_gate, matrix(blk(il, "ffn_gate.weight"), c.n_ff, c.n_embd));
  R1_ASSIGN_OR_RETURN(l.ffn_up, matrix(blk(il, "ffn_up.weight"), c.n_ff, c.n_embd));
  R1_ASSIGN_OR_RETURN(l.ffn_down, matrix(blk(il, "ffn_down.weight"), c.n_embd, c.n_ff));
  return Status();
}

Result<std::shared_ptr<const Model>> Model::load(std::shared_ptr<const gguf::File> file) {
  CHECK(file != nullptr);
  R1_ASSIGN_OR_RETURN(ModelConfig config, config_from_gguf(*file));
  std::shared_ptr<Model> m(new Model());
  m->file_ = std::move(file);
  m->config_ = config;
  m->layers_.resize(static_cast<size_t>(config.n_layer));
  ModelLoader loader(*m->file_, *m);
  R1_RETURN_IF_ERROR(loader.load_globals());
  for (int64_t il = 0; il < config.n_layer; ++il) R1_RETURN_IF_ERROR(loader.load_layer(il));
  return std::shared_ptr<const Model>(std::move(m));
}

void Model::embed(int32_t token, float* out) const {
  CHECK(token >= 0 && token < config_.n_vocab) << "token " << token;
  const size_t row_bytes = dtype_row_bytes(token_embd_.type, token_embd_.cols);
  const auto* row = static_cast<const uint8_t*>(token_embd_.data) + row_bytes * static_cast<size_t>(token);
  kernels::quant_ops(token_embd_.type).to_float(row, out, token_embd_.cols);
}

}  // namespace r1::model
