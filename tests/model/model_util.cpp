#include "model_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "core/check.h"
#include "kernels/kernels.h"
#include "tensor/half.h"

namespace r1::model::test {

void TinyModel::erase_key(std::string_view key) {
  std::erase_if(meta, [&](const auto& kv) { return kv.first == key; });
}

void TinyModel::set_key(const std::string& key, std::function<void(gguf::Writer&)> write) {
  erase_key(key);
  meta.emplace_back(key, std::move(write));
}

TinyTensor* TinyModel::tensor(std::string_view name) {
  for (TinyTensor& t : tensors) {
    if (t.name == name) return &t;
  }
  CHECK(false) << "no tensor " << name;
  return nullptr;
}

void TinyModel::erase_tensor(std::string_view name) {
  std::erase_if(tensors, [&](const TinyTensor& t) { return t.name == name; });
}

namespace {

std::string arch_name(Arch a) { return std::string(arch_spec(a).name); }

// Adds a tensor of uniform values in [center - spread, center + spread].
class TensorMaker {
 public:
  TensorMaker(TinyModel& m) : m_(m), rng_(m.spec.seed) {}

  void add(const std::string& name, DType type, std::vector<int64_t> dims, float center, float spread) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::uniform_real_distribution<float> dist(center - spread, center + spread);
    std::vector<float> values(static_cast<size_t>(n));
    for (float& v : values) v = dist(rng_);
    m_.tensors.push_back({name, type, std::move(dims), std::move(values)});
  }
  // A [rows, cols] weight, scaled so outputs stay O(1).
  void matrix(const std::string& name, int64_t rows, int64_t cols) {
    add(name, m_.spec.weight_type, {cols, rows}, 0.0f, 1.7f / std::sqrt(static_cast<float>(cols)));
  }
  void vector(const std::string& name, int64_t n, float center, float spread) {
    add(name, m_.spec.vector_type, {n}, center, spread);
  }

 private:
  TinyModel& m_;
  std::mt19937 rng_;
};

void add_metadata(TinyModel& m) {
  const TinySpec s = m.spec;
  const std::string a = arch_name(s.arch);
  auto u32 = [&](const std::string& key, int64_t v) {
    m.set_key(key, [key, v](gguf::Writer& w) { w.set_u32(key, static_cast<uint32_t>(v)); });
  };
  auto f32 = [&](const std::string& key, float v) {
    m.set_key(key, [key, v](gguf::Writer& w) { w.set_f32(key, v); });
  };
  m.set_key("general.architecture", [a](gguf::Writer& w) { w.set_string("general.architecture", a); });
  u32(a + ".block_count", s.n_layer);
  u32(a + ".context_length", s.n_ctx_train);
  u32(a + ".embedding_length", s.n_embd);
  u32(a + ".feed_forward_length", s.n_ff);
  u32(a + ".attention.head_count", s.n_head);
  u32(a + ".attention.head_count_kv", s.n_head_kv);
  if (s.arch != Arch::kQwen2) u32(a + ".attention.key_length", s.n_embd / s.n_head);
  if (s.arch == Arch::kLlama) u32(a + ".rope.dimension_count", s.n_embd / s.n_head);
  f32(a + ".rope.freq_base", s.rope_theta);
  f32(a + ".attention.layer_norm_rms_epsilon", s.rms_eps);
  std::vector<std::string> tokens;
  for (int64_t i = 0; i < s.n_vocab; ++i) tokens.push_back("t" + std::to_string(i));
  m.set_key("tokenizer.ggml.tokens",
            [tokens](gguf::Writer& w) { w.set_string_array("tokenizer.ggml.tokens", tokens); });
}

void add_layer(TensorMaker& mk, const TinySpec& s, int64_t il) {
  const std::string p = "blk." + std::to_string(il) + ".";
  const int64_t d = s.n_embd / s.n_head;
  mk.vector(p + "attn_norm.weight", s.n_embd, 1.0f, 0.3f);
  mk.matrix(p + "attn_q.weight", s.n_head * d, s.n_embd);
  mk.matrix(p + "attn_k.weight", s.n_head_kv * d, s.n_embd);
  mk.matrix(p + "attn_v.weight", s.n_head_kv * d, s.n_embd);
  if (s.arch == Arch::kQwen2) {
    mk.vector(p + "attn_q.bias", s.n_head * d, 0.0f, 0.5f);
    mk.vector(p + "attn_k.bias", s.n_head_kv * d, 0.0f, 0.5f);
    mk.vector(p + "attn_v.bias", s.n_head_kv * d, 0.0f, 0.5f);
  }
  if (s.arch == Arch::kQwen3) {
    mk.vector(p + "attn_q_norm.weight", d, 1.0f, 0.3f);
    mk.vector(p + "attn_k_norm.weight", d, 1.0f, 0.3f);
  }
  mk.matrix(p + "attn_output.weight", s.n_embd, s.n_head * d);
  mk.vector(p + "ffn_norm.weight", s.n_embd, 1.0f, 0.3f);
  mk.matrix(p + "ffn_gate.weight", s.n_ff, s.n_embd);
  mk.matrix(p + "ffn_up.weight", s.n_ff, s.n_embd);
  mk.matrix(p + "ffn_down.weight", s.n_embd, s.n_ff);
}

std::vector<uint8_t> tensor_bytes(const TinyTensor& t) {
  const auto n = static_cast<int64_t>(t.values.size());
  const int64_t cols = t.dims[0];
  std::vector<uint8_t> bytes(dtype_row_bytes(t.type, cols) * static_cast<size_t>(n / cols));
  if (t.type == DType::kF32) {
    std::memcpy(bytes.data(), t.values.data(), bytes.size());
  } else if (dtype_traits(t.type).supported || t.type == DType::kF16 || t.type == DType::kBF16) {
    kernels::quant_ops(t.type).from_float(t.values.data(), bytes.data(), n);
  }  // other types: zeros of the right size (for "unsupported type" tests)
  return bytes;
}

}  // namespace

TinyModel make_tiny(const TinySpec& spec) {
  TinyModel m;
  m.spec = spec;
  add_metadata(m);
  TensorMaker mk(m);
  mk.add("token_embd.weight", spec.weight_type, {spec.n_embd, spec.n_vocab}, 0.0f, 1.0f);
  mk.vector("output_norm.weight", spec.n_embd, 1.0f, 0.3f);
  if (!spec.tied) mk.matrix("output.weight", spec.n_vocab, spec.n_embd);
  if (spec.rope_freqs) mk.add("rope_freqs.weight", DType::kF32, {spec.n_embd / spec.n_head / 2}, 4.0f, 3.0f);
  for (int64_t il = 0; il < spec.n_layer; ++il) add_layer(mk, spec, il);
  return m;
}

std::vector<uint8_t> to_gguf(const TinyModel& tiny) {
  gguf::Writer w;
  for (const auto& [key, write] : tiny.meta) write(w);
  for (const TinyTensor& t : tiny.tensors) w.add_tensor(t.name, t.type, t.dims, tensor_bytes(t));
  return w.to_bytes();
}

Result<std::shared_ptr<const gguf::File>> parse_tiny(const TinyModel& tiny, std::vector<uint8_t>& storage) {
  storage = to_gguf(tiny);
  return gguf::File::parse(storage, "tiny.gguf");
}

Result<std::shared_ptr<const Model>> load_tiny(const TinyModel& tiny, std::vector<uint8_t>& storage) {
  R1_ASSIGN_OR_RETURN(auto file, parse_tiny(tiny, storage));
  return Model::load(std::move(file));
}

double cosine(const std::vector<double>& a, const float* b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += double{b[i]} * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

std::unique_ptr<LoadedTiny> load_tiny_model(const TinySpec& spec) {
  auto l = std::make_unique<LoadedTiny>();
  auto model = load_tiny(make_tiny(spec), l->bytes);
  CHECK(model.ok()) << model.error().to_string();
  l->model = *model;
  return l;
}

std::vector<int32_t> random_tokens(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> t(n);
  for (int32_t& x : t) x = static_cast<int32_t>(rng() % 64);
  return t;
}

std::vector<float> forward_logits(const LoadedTiny& l, KvCache& cache, const std::vector<int32_t>& tokens,
                                  size_t begin, size_t end, ForwardContext& ctx, size_t step) {
  std::vector<float> logits;
  for (size_t b = begin, n = 0; b < end; b += n) {
    n = std::min(step, end - b);
    std::vector<BatchEntry> batch;
    for (size_t i = b; i < b + n; ++i) batch.push_back({tokens[i], static_cast<int32_t>(i), &cache, true});
    std::vector<float> out(batch.size() * static_cast<size_t>(l.n_vocab()));
    const Status s = forward(*l.model, batch, ctx, out.data());
    CHECK(s.ok()) << s.error().to_string();
    logits.insert(logits.end(), out.begin(), out.end());
  }
  return logits;
}

}  // namespace r1::model::test
