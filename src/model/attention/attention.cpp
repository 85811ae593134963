#include "model/attention/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "model/attention/attention_kernels.h"

namespace r1::model {
namespace {

constexpr int64_t kChunk = kAttentionChunk;
// Split mode keeps every pair's scores at once; above this many floats the
// pairs run whole instead.
constexpr int64_t kMaxSplitScores = int64_t{1} << 24;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The shape of one attend() call.
struct Plan {
  const AttentionInput* in = nullptr;
  const AttentionKernels* k = nullptr;
  int n_threads = 1;
  int64_t group = 0;       // query heads per kv head
  int64_t d = 0;           // head_dim
  int64_t n_pairs = 0;     // (token, kv head) pairs
  int64_t max_chunks = 0;  // chunks of the longest context
  int64_t stride = 0;      // score row length: max_chunks * kChunk
  float scale = 0;         // 1 / sqrt(d)
};

// One slot of the workspace (shapes in AttentionScratch, transformer.h):
// query head h of the group at [h * d], [h * stride], [h * max_chunks];
// chunk c's V sum at partial[c * group * d].
struct Slot {
  uint16_t* q16;
  float* scores;
  float* chunk_max;
  double* chunk_sum;
  float* chunk_w;
  float* partial;
};

Slot slot_at(const Plan& p, AttentionScratch& a, int64_t slot) {
  const int64_t heads = slot * p.group;  // the slot's first query head
  return Slot{a.q16.data() + heads * p.d, a.scores.data() + heads * p.stride,
              a.chunk_max.data() + heads * p.max_chunks, a.chunk_sum.data() + heads * p.max_chunks,
              a.chunk_weight.data() + heads * p.max_chunks, a.partial.data() + heads * p.max_chunks * p.d};
}

// Thread th's fp16-rounded weights of one chunk, [group][kChunk].
float* weights_of(const Plan& p, AttentionScratch& a, int th) { return a.weights.data() + th * p.group * kChunk; }

// One (token, kv head) pair: its inputs, output and slot.
struct Pair {
  const KvCache* cache = nullptr;
  int64_t kv_off = 0;        // the kv head's offset in a row
  int64_t n_kv = 0;          // attends positions [0, n_kv)
  int64_t n_chunks = 0;      // ceil(n_kv / kChunk)
  const float* q = nullptr;  // [group][d], RoPE applied
  float* out = nullptr;      // [group][d]
  Slot s;
};

Pair pair_at(const Plan& p, int64_t pair, const Slot& slot) {
  const AttentionInput& in = *p.in;
  const ModelConfig& c = *in.config;
  const int64_t t = pair / c.n_head_kv, g = pair % c.n_head_kv;
  const BatchEntry& e = in.batch[static_cast<size_t>(t)];
  const int64_t head_off = t * c.q_dim() + g * p.group * p.d;
  const int64_t n_kv = int64_t{e.pos} + 1;
  return Pair{e.cache, g * p.d, n_kv, ceil_div(n_kv, kChunk), in.q + head_off, in.out + head_off, slot};
}

// Calls fn(rows, first, last) for each run of positions [first, last) of
// chunk c that is contiguous in one block; rows points at K (or V, kValues)
// of position `first` and the pair's kv head.
template <bool kValues, typename Fn>
void for_each_run(const Plan& p, const Pair& w, int64_t c, Fn fn) {
  const KvCache& cache = *w.cache;
  const int64_t bs = cache.block_size(), row = cache.row_size();
  const int64_t end = std::min(w.n_kv, (c + 1) * kChunk);
  for (int64_t j = c * kChunk; j < end;) {
    const int64_t b = j / bs;
    const int64_t last = std::min(end, (b + 1) * bs);
    const uint16_t* block = kValues ? cache.v_block(p.in->layer, b) : cache.k_block(p.in->layer, b);
    fn(block + (j - b * bs) * row + w.kv_off, j, last);
    j = last;
  }
}

// Chunk c of every head of the group: scores, the chunk max and the sum of
// exp(s - max) (which replace the scores).
void chunk_scores(const Plan& p, const Pair& w, int64_t c) {
  const int64_t begin = c * kChunk, end = std::min(w.n_kv, begin + kChunk);
  const int64_t row = w.cache->row_size();
  for_each_run<false>(p, w, c, [&](const uint16_t* k, int64_t j0, int64_t j1) {
    p.k->scores({.k = k, .k_stride = row, .n_rows = j1 - j0, .q = w.s.q16, .n_heads = p.group, .d = p.d,
                 .scale = p.scale, .out = w.s.scores + j0, .out_stride = p.stride});
  });
  for (int64_t h = 0; h < p.group; ++h) {
    float* s = w.s.scores + h * p.stride;
    float max = -INFINITY;
    for (int64_t j = begin; j < end; ++j) max = s[j] > max ? s[j] : max;  // fmax for non-NaN, inlined
    w.s.chunk_max[h * p.max_chunks + c] = max;
    w.s.chunk_sum[h * p.max_chunks + c] = p.k->exp_sum(s + begin, end - begin, max);
  }
}

// Each chunk's weight exp(m_c - M) / L, from all chunks in order.
void chunk_weights(const Plan& p, const Pair& w) {
  for (int64_t h = 0; h < p.group; ++h) {
    const float* m = w.s.chunk_max + h * p.max_chunks;
    const double* l = w.s.chunk_sum + h * p.max_chunks;
    float max = -INFINITY;
    for (int64_t c = 0; c < w.n_chunks; ++c) max = std::fmax(max, m[c]);
    double sum = 0.0;
    for (int64_t c = 0; c < w.n_chunks; ++c) sum += std::exp(static_cast<double>(m[c]) - max) * l[c];
    for (int64_t c = 0; c < w.n_chunks; ++c) {
      w.s.chunk_w[h * p.max_chunks + c] = static_cast<float>(std::exp(static_cast<double>(m[c]) - max) / sum);
    }
  }
}

// Chunk c's V sum: partial[c] = sum over its positions j of fp16(weight_j)
// * v_j, with the rounded weights in `weights` ([group][kChunk]).
void chunk_values(const Plan& p, const Pair& w, int64_t c, float* weights) {
  const int64_t begin = c * kChunk, end = std::min(w.n_kv, begin + kChunk);
  for (int64_t h = 0; h < p.group; ++h) {
    p.k->round_weights(w.s.scores + h * p.stride + begin, w.s.chunk_w[h * p.max_chunks + c], weights + h * kChunk,
                       end - begin);
  }
  float* const acc = w.s.partial + c * p.group * p.d;
  std::fill(acc, acc + p.group * p.d, 0.0f);
  const int64_t row = w.cache->row_size();
  for_each_run<true>(p, w, c, [&](const uint16_t* v, int64_t j0, int64_t j1) {
    p.k->v_sum({.v = v, .v_stride = row, .n_rows = j1 - j0, .p = weights + (j0 - begin), .p_stride = kChunk,
                .n_heads = p.group, .d = p.d, .acc = acc});
  });
}

// out = sum of the chunks' V sums, in chunk order.
void combine(const Plan& p, const Pair& w) {
  const int64_t n = p.group * p.d;
  std::fill(w.out, w.out + n, 0.0f);
  for (int64_t c = 0; c < w.n_chunks; ++c) kernels::add(w.out, w.s.partial + c * n, n);
}

// Runs fn(thread, item) for items [0, n) handed out in order, on all threads.
// The pool's job captures one pointer, so std::function holds it in place.
template <typename Fn>
void for_items(ThreadPool* pool, int64_t n, const Fn& fn) {
  struct Job {
    std::atomic<int64_t> next;
    int64_t n;
    const Fn* fn;
  } job{{0}, n, &fn};
  run_parallel(pool, [j = &job](int th, int) {
    for (int64_t i; (i = j->next.fetch_add(1, std::memory_order_relaxed)) < j->n;) (*j->fn)(th, i);
  });
}

// Whole mode: each thread takes whole pairs, latest tokens (longest
// contexts) first, in its own slot.
void attend_whole(const Plan& p, AttentionScratch& a, ThreadPool* pool) {
  for_items(pool, p.n_pairs, [&](int th, int64_t item) {
    const Pair w = pair_at(p, p.n_pairs - 1 - item, slot_at(p, a, th));
    // q16 = fp16(q)
    p.k->to_fp16(w.q, w.s.q16, p.group * p.d);
    // per chunk: scores, max m_c, sum l_c
    for (int64_t c = 0; c < w.n_chunks; ++c) chunk_scores(p, w, c);
    // per chunk: weight exp(m_c - M) / L
    chunk_weights(p, w);
    // per chunk: V sum
    for (int64_t c = 0; c < w.n_chunks; ++c) chunk_values(p, w, c, weights_of(p, a, th));
    // out = the V sums added in chunk order
    combine(p, w);
  });
}

// Pair `pair` in slot `pair` (split mode).
Pair split_pair(const Plan& p, AttentionScratch& a, int64_t pair) { return pair_at(p, pair, slot_at(p, a, pair)); }

// Split mode: the chunks of all pairs, each pair in its own slot, are
// spread over the threads in two passes (scores, then V) with the chunk
// weights computed in between.
void attend_split(const Plan& p, AttentionScratch& a, ThreadPool* pool) {
  // q16 = fp16(q) of every pair; items = its (pair, chunk)s, in order
  int64_t n_items = 0;
  for (int64_t i = 0; i < p.n_pairs; ++i) {
    const Pair w = split_pair(p, a, i);
    p.k->to_fp16(w.q, w.s.q16, p.group * p.d);
    for (int64_t c = 0; c < w.n_chunks; ++c) a.items[static_cast<size_t>(n_items++)] = i * p.max_chunks + c;
    a.chunks_done[static_cast<size_t>(i)].store(0, std::memory_order_relaxed);
  }
  // per chunk, spread: scores, max m_c, sum l_c
  for_items(pool, n_items, [&](int, int64_t i) {
    const int64_t item = a.items[static_cast<size_t>(i)];
    chunk_scores(p, split_pair(p, a, item / p.max_chunks), item % p.max_chunks);
  });
  // per pair: the chunk weights exp(m_c - M) / L
  for (int64_t i = 0; i < p.n_pairs; ++i) chunk_weights(p, split_pair(p, a, i));
  // per chunk, spread: V sum; the pair's last chunk to finish adds them all
  // up in chunk order (out)
  for_items(pool, n_items, [&](int th, int64_t i) {
    const int64_t item = a.items[static_cast<size_t>(i)], pair = item / p.max_chunks;
    const Pair w = split_pair(p, a, pair);
    chunk_values(p, w, item % p.max_chunks, weights_of(p, a, th));
    if (a.chunks_done[static_cast<size_t>(pair)].fetch_add(1, std::memory_order_acq_rel) + 1 == w.n_chunks) {
      combine(p, w);
    }
  });
}

int n_threads_of(ThreadPool* pool) { return pool == nullptr ? 1 : pool->size(); }

Plan make_plan(const AttentionInput& in, ThreadPool* pool) {
  const ModelConfig& c = *in.config;
  int64_t max_kv = 1;
  for (const BatchEntry& e : in.batch) max_kv = std::max(max_kv, int64_t{e.pos} + 1);
  Plan p;
  p.in = &in;
  p.k = &attention_kernels(attention_path());
  p.n_threads = n_threads_of(pool);
  p.group = c.n_head / c.n_head_kv;
  p.d = c.head_dim;
  p.n_pairs = static_cast<int64_t>(in.batch.size()) * c.n_head_kv;
  p.max_chunks = ceil_div(max_kv, kChunk);
  p.stride = p.max_chunks * kChunk;
  p.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  return p;
}

// Too few pairs to share out evenly, with more than one chunk: spread the
// chunks instead (two passes). Either way the results are the same.
bool use_split(const Plan& p) {
  const int nth = p.n_threads;
  const bool few = p.n_pairs < nth || (p.n_pairs < 2 * nth && p.n_pairs % nth != 0);
  return nth > 1 && few && p.max_chunks > 1 && p.n_pairs * p.group * p.stride <= kMaxSplitScores;
}

}  // namespace

void run_parallel(ThreadPool* pool, const std::function<void(int, int)>& fn) {
  if (pool == nullptr) {
    fn(0, 1);
  } else {
    pool->run(fn);
  }
}

void attend(const AttentionInput& in, Scratch& scratch, ThreadPool* pool) {
  const Plan p = make_plan(in, pool);
  if (p.n_pairs == 0) return;
  const bool split = use_split(p);
  AttentionScratch& a = scratch.attention;
  a.reserve({.n_threads = p.n_threads, .n_slots = split ? p.n_pairs : p.n_threads, .group = p.group,
             .head_dim = p.d, .max_chunks = p.max_chunks});
  if (split) {
    attend_split(p, a, pool);
  } else {
    attend_whole(p, a, pool);
  }
}

}  // namespace r1::model
