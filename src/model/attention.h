// Attention of each batch token over its own KV cache (internal to the
// forward pass). Numerics follow llama.cpp's CPU path: K and V are fp16, the
// query is rounded to fp16 for the q.k dot, and the softmax weights are
// rounded to fp16 before weighting V.
//
// Thread contract: called by forward() only; splits (token, head) pairs
// across the pool and returns when all are done.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "model/transformer.h"

namespace r1::model {

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
