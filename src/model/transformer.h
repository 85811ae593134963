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

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "model/kv/kv_cache.h"
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

// The sizes of one attend() call's workspace (attention/attention.cpp fills them in).
struct AttentionDims {
  int64_t n_threads = 1;   // pool threads (1 without a pool)
  int64_t n_slots = 1;     // softmax slots: n_threads, or one per (token, kv head) pair in split mode
  int64_t group = 1;       // query heads per kv head
  int64_t head_dim = 0;
  int64_t max_chunks = 1;  // kAttentionChunk-position chunks of the longest context
};

// The attention workspace of Scratch; attention.h describes the algorithm.
// A slot holds the softmax of one (token, kv head) pair, all query heads of
// its GQA group together: one slot per thread (whole mode: a thread takes
// whole pairs) or per pair (split mode: the chunks of a few long pairs are
// spread over the threads). Shapes are in the AttentionDims of the current
// call, with stride = max_chunks * kAttentionChunk; reserve() grows the
// buffers to them (never shrinks), so after the longest context and the
// widest batch so far attend() allocates nothing.
struct AttentionScratch {
  std::vector<uint16_t> q16;          // [n_slots][group][head_dim]    the fp16 query
  std::vector<float> scores;          // [n_slots][group][stride]      s_j, then exp(s_j - m_c)
  std::vector<float> chunk_max;       // [n_slots][group][max_chunks]  m_c
  std::vector<double> chunk_sum;      // [n_slots][group][max_chunks]  l_c = sum_j exp(s_j - m_c)
  std::vector<float> chunk_weight;    // [n_slots][group][max_chunks]  exp(m_c - M) / L
  std::vector<float> partial;         // [n_slots][max_chunks][group][head_dim]  each chunk's weighted V sum
  std::vector<float> weights;         // [n_threads][group][kAttentionChunk]  fp16-rounded weights, one chunk
  std::vector<int64_t> items;         // [n_slots * max_chunks]  split mode: pair * max_chunks + chunk, in order
  std::vector<std::atomic<int64_t>> chunks_done;  // [n_slots]  split mode: each pair's chunks finished

  void reserve(const AttentionDims& dims);
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
  AttentionScratch attention;  // attend()'s workspace, grown on first use
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
