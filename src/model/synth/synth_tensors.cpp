// Synthetic tensors: the per-tensor type mix (after llama.cpp's
// llama_tensor_get_type for dense models), tensor sizes and the seeded
// random weights.
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/synth/synth_internal.h"
#include "tensor/blocks.h"
#include "tensor/half.h"

namespace r1::model::synth {
namespace {

enum class Role { kEmbd, kOutput, kAttnV, kFfnDown, kOtherMatrix };

bool use_more_bits(int64_t i, int64_t n) {
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

bool is_float_type(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16;
}

// llama.cpp's tensor_type_fallback: rows that do not fit the block size.
DType fallback(DType t, int64_t row) {
  if (row % dtype_traits(t).block_size == 0) return t;
  DType f = t;
  switch (t) {
    case DType::kQ4_K: f = DType::kQ5_0; break;
    case DType::kQ5_K: f = DType::kQ5_1; break;
    case DType::kQ6_K: f = DType::kQ8_0; break;
    default: break;
  }
  if (row % dtype_traits(f).block_size != 0) f = DType::kF16;
  return f;
}

DType choose_type(const FileType& ft, Role role, int64_t layer, int64_t n_layer, int64_t row) {
  DType t = ft.base;
  if (is_float_type(t)) return t;
  switch (role) {
    case Role::kOutput:
      if (t != DType::kQ8_0) t = row % kQK_K != 0 ? DType::kQ8_0 : DType::kQ6_K;
      break;
    case Role::kAttnV:
      if (ft.k_mixed && use_more_bits(layer, n_layer)) t = DType::kQ6_K;
      if (ft.k_small && t == DType::kQ4_K && layer < 4) t = DType::kQ5_K;
      break;
    case Role::kFfnDown:
      if (ft.k_mixed && use_more_bits(layer, n_layer)) t = DType::kQ6_K;
      if (ft.k_small && t == DType::kQ4_K && layer < n_layer / 8) t = DType::kQ5_K;
      break;
    default:
      break;
  }
  return fallback(t, row);
}

struct Planner {
  const Spec& spec;
  const FileType& ft;
  std::vector<TensorPlan> out;

  void add(TensorPlan t) {
    int64_t rows = 1;
    for (size_t i = 1; i < t.dims.size(); ++i) rows *= t.dims[i];
    t.n_bytes = dtype_row_bytes(t.type, t.dims[0]) * static_cast<uint64_t>(rows);
    out.push_back(std::move(t));
  }
  void vec(const std::string& name, int64_t n, Init init) {
    add(TensorPlan{name, {n}, DType::kF32, init, 0.05f});
  }
  void mat(const std::string& name, int64_t cols, int64_t rows, Role role, int64_t layer,
           float stddev) {
    DType t = choose_type(ft, role, layer, spec.n_layer, cols);
    add(TensorPlan{name, {cols, rows}, t, Init::kMatrix, stddev});
  }
  void layer(int64_t i);
};

void Planner::layer(int64_t i) {
  const std::string p = "blk." + std::to_string(i) + ".";
  const int64_t e = spec.n_embd, q = spec.n_head * spec.head_dim;
  const int64_t kv = spec.n_head_kv * spec.head_dim, ff = spec.n_ff;
  const float in_e = 1.0f / std::sqrt(static_cast<float>(e));
  const float depth = 1.0f / std::sqrt(static_cast<float>(spec.n_layer));
  vec(p + "attn_norm.weight", e, Init::kNorm);
  mat(p + "attn_q.weight", e, q, Role::kOtherMatrix, i, in_e);
  if (spec.qkv_bias) vec(p + "attn_q.bias", q, Init::kBias);
  mat(p + "attn_k.weight", e, kv, Role::kOtherMatrix, i, in_e);
  if (spec.qkv_bias) vec(p + "attn_k.bias", kv, Init::kBias);
  mat(p + "attn_v.weight", e, kv, Role::kAttnV, i, in_e);
  if (spec.qkv_bias) vec(p + "attn_v.bias", kv, Init::kBias);
  if (spec.qk_norm) {
    vec(p + "attn_q_norm.weight", spec.head_dim, Init::kNorm);
    vec(p + "attn_k_norm.weight", spec.head_dim, Init::kNorm);
  }
  mat(p + "attn_output.weight", q, e, Role::kOtherMatrix, i,
      depth / std::sqrt(static_cast<float>(q)));
  vec(p + "ffn_norm.weight", e, Init::kNorm);
  mat(p + "ffn_gate.weight", e, ff, Role::kOtherMatrix, i, in_e);
  mat(p + "ffn_up.weight", e, ff, Role::kOtherMatrix, i, in_e);
  mat(p + "ffn_down.weight", ff, e, Role::kFfnDown, i,
      2.0f * depth / std::sqrt(static_cast<float>(ff)));
}

uint64_t mix64(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t hash_name(const std::string& s) {  // FNV-1a
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// Irwin-Hall(4) from one 64-bit draw, scaled to unit variance: a cheap,
// bounded (|z| < 3.47) approximation of N(0, 1).
inline float unit_normal(std::mt19937_64& rng) {
  uint64_t r = rng();
  uint32_t sum = static_cast<uint32_t>(r & 0xffff) + static_cast<uint32_t>((r >> 16) & 0xffff) +
                 static_cast<uint32_t>((r >> 32) & 0xffff) + static_cast<uint32_t>(r >> 48);
  constexpr float kScale = 1.7320508f / 65536.0f;  // sqrt(3) / 2^16
  return (static_cast<float>(sum) - 131070.0f) * kScale;
}

void fill_row(const TensorPlan& t, uint64_t row_seed, float* x, int64_t n) {
  std::mt19937_64 rng(row_seed);
  float mean = t.init == Init::kNorm ? 1.0f : 0.0f;
  for (int64_t i = 0; i < n; ++i) x[i] = mean + t.stddev * unit_normal(rng);
}

// Realistic confidence: each token's embedding gets a component along the
// output row of a "successor" token (seeded hash of the id), as a bigram
// model would learn, so the final hidden state usually points at one output
// row and the top-1 logit leads by a few units, as in trained LMs. With
// purely random rows the top two of ~150k logits are Gaussian extremes,
// about 0.4 apart on average and within 0.05 at ~12% of positions: rounding
// differences between two correct implementations (q8 activation
// quantization amplifies ulp-level differences to ~0.5% of a layer's
// output) then flip the argmax at several percent of positions, and
// llama.cpp disagrees with itself (flash attention on vs off) as often.
// The weight is the component's rms next to the random part's 0.5; the
// layers still change the logits enough that the cosine checks see them.
constexpr float kSuccessorWeight = 0.7f;

int64_t successor(uint64_t seed, int64_t token, int64_t n_vocab) {
  return static_cast<int64_t>(mix64(seed ^ 0x5eedULL ^ static_cast<uint64_t>(token)) %
                              static_cast<uint64_t>(n_vocab));
}

// x += kSuccessorWeight * (output row of successor(token)) / its rms.
void add_successor(uint64_t seed, int64_t token, int64_t n_vocab, float* x, int64_t n) {
  const TensorPlan out{"output.weight", {n, n_vocab}, DType::kF32, Init::kMatrix, 1.0f};
  const uint64_t out_seed = mix64(seed ^ hash_name(out.name));
  std::vector<float> u(static_cast<size_t>(n));
  fill_row(out, mix64(out_seed + static_cast<uint64_t>(successor(seed, token, n_vocab))), u.data(), n);
  double sq = 0.0;
  for (float v : u) sq += static_cast<double>(v) * v;
  const auto scale = static_cast<float>(kSuccessorWeight / std::sqrt(sq / static_cast<double>(n)));
  for (int64_t i = 0; i < n; ++i) x[i] += scale * u[static_cast<size_t>(i)];
}

void encode_row(DType type, const float* x, int64_t n, uint8_t* dst) {
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, x, static_cast<size_t>(n) * 4);
      return;
    case DType::kF16:
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h = type == DType::kF16 ? fp32_to_fp16(x[i]) : fp32_to_bf16(x[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    default: {
      const kernels::QuantOps& ops = kernels::quant_ops(type);
      CHECK(ops.from_float != nullptr) << "no quantizer for " << dtype_traits(type).name;
      ops.from_float(x, dst, n);
    }
  }
}

}  // namespace

std::vector<float> llama3_rope_factors(int64_t head_dim, float theta) {
  constexpr double kFactor = 8.0, kLowFreqFactor = 1.0, kHighFreqFactor = 4.0;
  constexpr double kOldContext = 8192.0;
  const double low_wavelen = kOldContext / kLowFreqFactor;
  const double high_wavelen = kOldContext / kHighFreqFactor;
  std::vector<float> out;
  for (int64_t i = 0; i < head_dim; i += 2) {
    double freq = 1.0 / std::pow(static_cast<double>(theta), static_cast<double>(i) / head_dim);
    double wavelen = 2.0 * std::numbers::pi / freq;
    double f;
    if (wavelen < high_wavelen) {
      f = 1.0;
    } else if (wavelen > low_wavelen) {
      f = kFactor;
    } else {
      double smooth = (kOldContext / wavelen - kLowFreqFactor) / (kHighFreqFactor - kLowFreqFactor);
      f = 1.0 / ((1.0 - smooth) / kFactor + smooth);
    }
    out.push_back(static_cast<float>(f));
  }
  return out;
}

std::vector<TensorPlan> plan_tensors(const Spec& spec, const FileType& ft) {
  Planner p{spec, ft, {}};
  p.mat("token_embd.weight", spec.n_embd, spec.n_vocab, Role::kEmbd, 0, 0.5f);
  if (spec.llama3_rope) p.vec("rope_freqs.weight", spec.head_dim / 2, Init::kRopeFreqs);
  for (int64_t i = 0; i < spec.n_layer; ++i) p.layer(i);
  p.vec("output_norm.weight", spec.n_embd, Init::kNorm);
  p.mat("output.weight", spec.n_embd, spec.n_vocab, Role::kOutput, 0,
        2.0f / std::sqrt(static_cast<float>(spec.n_embd)));
  return std::move(p.out);
}

void generate_tensor(const TensorPlan& t, const Spec& spec, uint64_t seed, ThreadPool& pool,
                     std::vector<uint8_t>* out) {
  out->assign(t.n_bytes, 0);
  if (t.init == Init::kRopeFreqs) {
    std::vector<float> f = llama3_rope_factors(spec.head_dim, spec.rope_theta);
    CHECK_EQ(f.size() * 4, t.n_bytes);
    std::memcpy(out->data(), f.data(), t.n_bytes);
    return;
  }
  const int64_t cols = t.dims[0];
  const int64_t rows = t.dims.size() > 1 ? t.dims[1] : 1;
  const size_t row_bytes = dtype_row_bytes(t.type, cols);
  const uint64_t tensor_seed = mix64(seed ^ hash_name(t.name));
  pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
    std::vector<float> x(static_cast<size_t>(cols));
    for (int64_t r = begin; r < end; ++r) {
      fill_row(t, mix64(tensor_seed + static_cast<uint64_t>(r)), x.data(), cols);
      if (t.name == "token_embd.weight") add_successor(seed, r, rows, x.data(), cols);
      encode_row(t.type, x.data(), cols, out->data() + static_cast<size_t>(r) * row_bytes);
    }
  });
}

}  // namespace r1::model::synth
