#include "model/transformer.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/ops.h"
#include "model/attention/attention.h"
#include "tensor/half.h"

namespace r1::model {

Scratch::Scratch(const ModelConfig& c, int64_t max_batch_tokens) : max_batch(max_batch_tokens) {
  CHECK(max_batch > 0);
  const auto n = static_cast<size_t>(max_batch);
  x.resize(n * c.n_embd);
  xn.resize(n * c.n_embd);
  q.resize(n * c.q_dim());
  k.resize(n * c.kv_dim());
  v.resize(n * c.kv_dim());
  att.resize(n * c.q_dim());
  proj.resize(n * c.n_embd);
  gate.resize(n * c.n_ff);
  up.resize(n * c.n_ff);
}

namespace {

// v.size() >= n, never smaller than before.
template <typename T>
void grow(std::vector<T>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
}

}  // namespace

void AttentionScratch::reserve(const AttentionDims& d) {
  const int64_t heads = d.n_slots * d.group;  // the slots' query heads, slot by slot
  grow(q16, heads * d.head_dim);
  grow(scores, heads * d.max_chunks * kAttentionChunk);
  grow(chunk_max, heads * d.max_chunks);
  grow(chunk_sum, heads * d.max_chunks);
  grow(chunk_weight, heads * d.max_chunks);
  grow(partial, heads * d.max_chunks * d.head_dim);
  grow(weights, d.n_threads * d.group * kAttentionChunk);
  grow(items, d.n_slots * d.max_chunks);
  // (atomics cannot be moved: a new vector replaces the old one)
  if (chunks_done.size() < static_cast<size_t>(d.n_slots)) {
    chunks_done = std::vector<std::atomic<int64_t>>(static_cast<size_t>(d.n_slots));
  }
}

namespace {

// Every entry valid, and each sequence's positions continue its cache.
Status validate_batch(const ModelConfig& c, std::span<const BatchEntry> batch) {
  std::unordered_map<const KvCache*, int64_t> next_pos;
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchEntry& e = batch[i];
    const std::string where = "batch entry " + std::to_string(i) + ": ";
    if (e.token < 0 || e.token >= c.n_vocab) {
      return make_error(ErrorCode::kInvalidArgument, where + "token " + std::to_string(e.token) +
                                                         " is outside the vocabulary of " + std::to_string(c.n_vocab));
    }
    if (e.cache == nullptr || !e.cache->compatible(c)) {
      return make_error(ErrorCode::kInvalidArgument, where + "missing or incompatible KV cache");
    }
    auto [it, inserted] = next_pos.try_emplace(e.cache, e.cache->size());
    if (e.pos != it->second) {
      return make_error(ErrorCode::kInvalidArgument, where + "position " + std::to_string(e.pos) +
                                                         " does not continue its sequence (next is " +
                                                         std::to_string(it->second) + ")");
    }
    if (e.pos >= e.cache->n_ctx()) {
      return make_error(ErrorCode::kResourceExhausted, where + "context full: position " + std::to_string(e.pos) +
                                                           " is past the context length " +
                                                           std::to_string(e.cache->n_ctx()));
    }
    ++it->second;
  }
  return Status();
}

// Reserves the KV blocks of every cache's new positions before anything is
// written: all of them, or (kResourceExhausted) none.
Status reserve_kv(std::span<const BatchEntry> batch) {
  std::vector<std::pair<KvCache*, int64_t>> ends;  // (cache, positions it must hold), first-seen order
  std::unordered_map<const KvCache*, size_t> index;
  for (const BatchEntry& e : batch) {
    auto [it, inserted] = index.try_emplace(e.cache, ends.size());
    if (inserted) ends.emplace_back(e.cache, 0);
    ends[it->second].second = std::max<int64_t>(ends[it->second].second, int64_t{e.pos} + 1);
  }
  std::unordered_map<KvPool*, int64_t> needed;
  for (const auto& [cache, n] : ends) needed[&cache->pool()] += cache->blocks_needed(n);
  for (const auto& [pool, n] : needed) {
    if (n > pool->n_free_blocks()) {
      return make_error(ErrorCode::kResourceExhausted, "KV pool out of blocks: the batch needs " + std::to_string(n) +
                                                           ", " + std::to_string(pool->n_free_blocks()) + " free");
    }
  }
  std::vector<std::pair<KvCache*, int64_t>> done;  // (cache, reserved before)
  for (const auto& [cache, n] : ends) {
    const int64_t before = cache->reserved();
    Status s = cache->reserve(n);
    if (!s.ok()) {  // only when another thread took blocks of a shared pool meanwhile
      for (const auto& [c, b] : done) c->unreserve(b);
      return s;
    }
    done.emplace_back(cache, before);
  }
  return Status();
}

// y[n, dim] = rms_norm(x[n, dim]) * weight, row by row.
void rms_norm_rows(const float* x, const float* weight, float* y, int64_t n, int64_t dim, float eps) {
  for (int64_t t = 0; t < n; ++t) kernels::rms_norm(x + t * dim, weight, y + t * dim, dim, eps);
}

// y[n, dim] += bias[dim] (when there is one).
void add_bias_rows(float* y, const float* bias, int64_t n, int64_t dim) {
  if (bias == nullptr) return;
  for (int64_t t = 0; t < n; ++t) kernels::add(y + t * dim, bias, dim);
}

// q, k, v of every token from the normalized input xn, ready for attention.
void project_qkv(const Model& m, const LayerWeights& l, std::span<const BatchEntry> batch, ForwardContext& ctx) {
  const ModelConfig& c = m.config();
  Scratch& s = ctx.scratch;
  const auto n = static_cast<int64_t>(batch.size());
  // q[n, nh*d] = xn Wq^T, k[n, nkv*d] = xn Wk^T, v[n, nkv*d] = xn Wv^T, one pass over each weight
  kernels::matmul(l.wq, s.xn.data(), n, s.q.data(), ctx.pool);
  kernels::matmul(l.wk, s.xn.data(), n, s.k.data(), ctx.pool);
  kernels::matmul(l.wv, s.xn.data(), n, s.v.data(), ctx.pool);
  // qwen2: + biases
  add_bias_rows(s.q.data(), l.bq, n, c.q_dim());
  add_bias_rows(s.k.data(), l.bk, n, c.kv_dim());
  add_bias_rows(s.v.data(), l.bv, n, c.kv_dim());
  // qwen3: RMS norm of each head of q and k (heads are rows of head_dim)
  if (c.qk_norm) {
    rms_norm_rows(s.q.data(), l.q_norm, s.q.data(), n * c.n_head, c.head_dim, c.rms_eps);
    rms_norm_rows(s.k.data(), l.k_norm, s.k.data(), n * c.n_head_kv, c.head_dim, c.rms_eps);
  }
  // RoPE: rotate q and k of each token at its position
  const kernels::RopeParams rope{.head_dim = c.head_dim, .n_rot = c.rope_dim, .neox = c.rope_neox,
                                 .theta_base = c.rope_theta, .freq_factors = m.rope_freqs()};
  for (int64_t t = 0; t < n; ++t) {
    kernels::rope(s.q.data() + t * c.q_dim(), c.n_head, batch[t].pos, rope);
    kernels::rope(s.k.data() + t * c.kv_dim(), c.n_head_kv, batch[t].pos, rope);
  }
}

// Appends each token's k and v (fp16) to its cache at its position.
void store_kv(const ModelConfig& c, int64_t il, std::span<const BatchEntry> batch, const Scratch& s) {
  for (size_t t = 0; t < batch.size(); ++t) {
    uint16_t* k = batch[t].cache->k(il, batch[t].pos);
    uint16_t* v = batch[t].cache->v(il, batch[t].pos);
    const float* k_src = s.k.data() + t * c.kv_dim();
    const float* v_src = s.v.data() + t * c.kv_dim();
    for (int64_t i = 0; i < c.kv_dim(); ++i) {
      k[i] = fp32_to_fp16(k_src[i]);
      v[i] = fp32_to_fp16(v_src[i]);
    }
  }
}

// x += Attention(rms_norm(x)) for layer il.
void attention_block(const Model& m, int64_t il, std::span<const BatchEntry> batch, ForwardContext& ctx) {
  const ModelConfig& c = m.config();
  const LayerWeights& l = m.layer(il);
  Scratch& s = ctx.scratch;
  const auto n = static_cast<int64_t>(batch.size());
  // xn = rms_norm(x) * attn_norm
  rms_norm_rows(s.x.data(), l.attn_norm, s.xn.data(), n, c.n_embd, c.rms_eps);
  // q, k, v (+ bias, qk norm, RoPE)
  project_qkv(m, l, batch, ctx);
  // K/V cache <- k, v at each token's position
  store_kv(c, il, batch, s);
  // att[n, nh*d] = softmax(q K^T / sqrt(d)) V over each token's cache [0, pos]
  attend({.config = &c, .layer = il, .batch = batch, .q = s.q.data(), .out = s.att.data()}, s, ctx.pool);
  // x += att Wo^T
  kernels::matmul(l.wo, s.att.data(), n, s.proj.data(), ctx.pool);
  kernels::add(s.x.data(), s.proj.data(), n * c.n_embd);
}

// x += FFN(rms_norm(x)) = W_down (silu(W_gate xn) * (W_up xn)).
void ffn_block(const ModelConfig& c, const LayerWeights& l, int64_t n, ForwardContext& ctx) {
  Scratch& s = ctx.scratch;
  // xn = rms_norm(x) * ffn_norm
  rms_norm_rows(s.x.data(), l.ffn_norm, s.xn.data(), n, c.n_embd, c.rms_eps);
  // gate[n, n_ff] = xn Wgate^T, up[n, n_ff] = xn Wup^T
  kernels::matmul(l.ffn_gate, s.xn.data(), n, s.gate.data(), ctx.pool);
  kernels::matmul(l.ffn_up, s.xn.data(), n, s.up.data(), ctx.pool);
  // gate = silu(gate) * up (in place: element by element)
  kernels::swiglu(s.gate.data(), s.up.data(), s.gate.data(), n * c.n_ff);
  // x += gate Wdown^T
  kernels::matmul(l.ffn_down, s.gate.data(), n, s.proj.data(), ctx.pool);
  kernels::add(s.x.data(), s.proj.data(), n * c.n_embd);
}

// logits[n_out, n_vocab] = rms_norm(x) * output_norm, times output^T, for
// the rows that want logits. Returns n_out.
int64_t output_logits(const Model& m, std::span<const BatchEntry> batch, ForwardContext& ctx, float* logits) {
  const ModelConfig& c = m.config();
  Scratch& s = ctx.scratch;
  int64_t n_out = 0;
  for (size_t t = 0; t < batch.size(); ++t) {
    if (!batch[t].want_logits) continue;
    kernels::rms_norm(s.x.data() + t * c.n_embd, m.output_norm(), s.xn.data() + n_out * c.n_embd, c.n_embd,
                      c.rms_eps);
    ++n_out;
  }
  if (n_out > 0) kernels::matmul(m.output(), s.xn.data(), n_out, logits, ctx.pool);
  return n_out;
}

// One chunk of at most max_batch tokens through the whole model.
int64_t forward_chunk(const Model& m, std::span<const BatchEntry> batch, ForwardContext& ctx, float* logits) {
  const ModelConfig& c = m.config();
  Scratch& s = ctx.scratch;
  // x[n, n_embd] = token embeddings
  for (size_t t = 0; t < batch.size(); ++t) m.embed(batch[t].token, s.x.data() + t * c.n_embd);
  // the layers
  for (int64_t il = 0; il < c.n_layer; ++il) {
    attention_block(m, il, batch, ctx);
    ffn_block(c, m.layer(il), static_cast<int64_t>(batch.size()), ctx);
  }
  // each cache now holds its tokens' positions
  for (const BatchEntry& e : batch) e.cache->set_size(std::max<int64_t>(e.cache->size(), int64_t{e.pos} + 1));
  // final norm and logits
  return output_logits(m, batch, ctx, logits);
}

}  // namespace

Status forward(const Model& model, std::span<const BatchEntry> batch, ForwardContext& ctx, float* logits_out) {
  const ModelConfig& c = model.config();
  R1_RETURN_IF_ERROR(validate_batch(c, batch));
  R1_RETURN_IF_ERROR(reserve_kv(batch));
  const bool any_logits = std::any_of(batch.begin(), batch.end(), [](const BatchEntry& e) { return e.want_logits; });
  CHECK(logits_out != nullptr || !any_logits) << "logits wanted but no output buffer";
  const auto max_batch = static_cast<size_t>(ctx.scratch.max_batch);
  int64_t out_rows = 0;
  for (size_t begin = 0; begin < batch.size(); begin += max_batch) {
    const auto chunk = batch.subspan(begin, std::min(max_batch, batch.size() - begin));
    out_rows += forward_chunk(model, chunk, ctx, any_logits ? logits_out + out_rows * c.n_vocab : nullptr);
  }
  return Status();
}

}  // namespace r1::model
