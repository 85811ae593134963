// The forward pass of a decoder-only transformer (qwen2, llama, qwen3) over
// a batch of tokens that may belong to different sequences.
//
// Each BatchEntry is one token at one position of one sequence (its KvCache).
// A sequence's entries must be in order and continue its cache: positions
// cache.size(), cache.size() + 1, ... . Per layer, the whole batch goes
// through each weight matrix at once (one pass over the weights); attention
// is per token, over its own cache [0, pos] (causal). Results for a token do
// not depend on the other tokens in the batch (batch invariance).
//
// Thread contract: forward() may run concurrently with other forward() calls
// on the same Model, each with its own ForwardContext and caches. A
// ForwardContext (pool, scratch) is used by one forward() at a time.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "model/kv_cache.h"
#include "model/weights.h"

namespace r1 {
class ThreadPool;
}

namespace r1::model {

struct BatchEntry {
  int32_t token = 0;
  int32_t pos = 0;             // position in its sequence
  KvCache* cache = nullptr;    // the sequence's cache
  bool want_logits = false;    // write a row of logits for this token
};

// Activation buffers of one forward pass, sized for max_batch tokens and
// reused. n = tokens in the current chunk (<= max_batch).
struct Scratch {
  Scratch(const ModelConfig& config, int64_t max_batch);

  int64_t max_batch;
  std::vector<float> x;      // [n, n_embd]  residual stream
  std::vector<float> xn;     // [n, n_embd]  normalized input of a sub-block
  std::vector<float> q;      // [n, nh * d]
  std::vector<float> k;      // [n, nkv * d]
  std::vector<float> v;      // [n, nkv * d]
  std::vector<float> att;    // [n, nh * d]  attention output, heads concatenated
  std::vector<float> proj;   // [n, n_embd]  output of attn_output / ffn_down
  std::vector<float> gate;   // [n, n_ff]    then silu(gate) * up, in place
  std::vector<float> up;     // [n, n_ff]
  // Attention workspace (attention.cpp lays it out: per-thread or per
  // (token, kv head) scores, chunk sums and partial outputs, fp16 queries).
  // Grown by reserve_attention() before use, never shrunk.
  int64_t score_stride = 0;
  std::vector<float> scores;      // at least [n_threads, score_stride]
  std::vector<uint16_t> q16;      // at least [n_threads, head_dim]

  void reserve_attention(int n_threads, int64_t n_ctx, int64_t head_dim);
};

struct ForwardContext {
  ForwardContext(const ModelConfig& config, int64_t max_batch, ThreadPool* pool)
      : pool(pool), scratch(config, max_batch) {}

  ThreadPool* pool;  // nullptr: everything runs on the calling thread
  Scratch scratch;
};

// Runs the batch (in chunks of scratch.max_batch tokens) and appends each
// token's K/V to its cache. logits_out receives one row of n_vocab floats per
// entry with want_logits, in batch order (may be nullptr when none want
// logits). Errors, before any cache is touched: a token out of the
// vocabulary, a missing or incompatible cache, positions that do not
// continue a cache, a position past the cache's context or a KV pool without
// enough free blocks for the new positions (both kResourceExhausted).
Status forward(const Model& model, std::span<const BatchEntry> batch, ForwardContext& ctx,
               float* logits_out);

}  // namespace r1::model
