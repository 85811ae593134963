// Attention of each batch token over its own KV cache (internal to the
// forward pass). Numerics follow llama.cpp's non-flash CPU path: K and V are
// fp16, the query is rounded to fp16 for the q.k dot (the F16 vec_dot of
// kernels::quant_ops), the softmax is in f32 and its normalized weights are
// rounded to fp16 before weighting V.
//
// The softmax of each (token, head) runs over fixed chunks of kAttentionChunk
// positions: per chunk a max m_c and a sum l_c of exp(s - m_c); then
// M = max m_c, L = sum_c exp(m_c - M) l_c in chunk order, the weights are
// fp16(exp(s - m_c) * exp(m_c - M) / L) and the chunks' weighted V sums are
// added in chunk order. The reduction order thus depends only on the
// position and the chunk size, never on the thread count or the batch, so a
// sequence's results are bitwise identical whatever else is in the batch.
// With one chunk (<= 256 positions) this is exactly softmax-then-round.
//
// Work: (token, kv head) pairs, all query heads of a GQA group together, so
// each K/V row is read once per group; few pairs with long contexts (decode)
// split their chunks across the threads instead.
//
// Workspace: scratch.attention, laid out as AttentionScratch (transformer.h)
// says; once it has grown to the longest context and the widest batch so
// far, a call allocates nothing.
//
// Thread contract: called by forward() only; splits work across the pool and
// returns when all is done. Reads the caches, writes `out` and the scratch.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "model/transformer.h"

namespace r1::model {

inline constexpr int64_t kAttentionChunk = 256;

struct AttentionInput {
  const ModelConfig* config = nullptr;
  int64_t layer = 0;
  std::span<const BatchEntry> batch;  // caches hold positions [0, pos] of each token
  const float* q = nullptr;           // [n, nh * d], RoPE applied
  float* out = nullptr;               // [n, nh * d]
};

void attend(const AttentionInput& in, Scratch& scratch, ThreadPool* pool);

// Runs fn(thread, n_threads) on every pool thread, or fn(0, 1) without one.
void run_parallel(ThreadPool* pool, const std::function<void(int, int)>& fn);

}  // namespace r1::model
