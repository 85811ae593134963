// Helpers of the attention tests and bench/attention_bench: a small config,
// random K/V in a paged cache with a contiguous copy, random queries, and
// the previous (one-softmax) attention as a reference.
//
// Thread contract: test helpers; single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/kv/kv_cache.h"
#include "model/kv/kv_pool.h"
#include "model/transformer.h"

namespace r1::model::test {

// n_layer 2 (the K/V live in layer 1), n_embd = n_head * head_dim.
ModelConfig attn_config(int64_t n_head, int64_t n_head_kv, int64_t head_dim);

// A sequence of n random positions in a paged cache (layer 1), with a
// contiguous copy of the same K/V for the reference.
struct Seq {
  std::unique_ptr<KvCache> cache;
  std::vector<uint16_t> k, v;  // [n][row]
};

// pool == nullptr: a private cache of n positions.
Seq make_seq(const ModelConfig& c, std::shared_ptr<KvPool> pool, int64_t n, uint32_t seed);

std::vector<float> random_q(const ModelConfig& c, int64_t n_tok, uint32_t seed);

// The plain implementation (one softmax over [0, pos], then fp16 weights),
// per (token, head), reading the cache (layer 1) position by position.
void legacy_attend(const ModelConfig& c, const BatchEntry& e, const float* q_tok, float* out_tok);

}  // namespace r1::model::test
