#include "model/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "model/attention_kernels.h"

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
  int64_t group = 0;       // query heads per kv head
  int64_t d = 0;           // head_dim
  int64_t n_pairs = 0;     // (token, kv head) pairs
  int64_t stride = 0;      // score row length: the longest context, rounded up to kChunk
  int64_t max_chunks = 0;
  float scale = 0;         // 1 / sqrt(d)
};

// One (token, kv head) pair: its inputs and the buffers its group's softmax
// uses, per query head h of the group at [h * stride] / [h * max_chunks].
struct Pair {
  const KvCache* cache = nullptr;
  int64_t kv_off = 0;        // the kv head's offset in a row
  int64_t n_kv = 0;          // attends positions [0, n_kv)
  const float* q = nullptr;  // [group][d], RoPE applied
  float* out = nullptr;      // [group][d]
  uint16_t* q16 = nullptr;   // [group][d]
  float* scores = nullptr;   // s_j, then exp(s_j - m_c)
  float* chunk_max = nullptr;
  double* chunk_sum = nullptr;
  float* chunk_w = nullptr;  // exp(m_c - M) / L
};

// Where the buffers of a pair live: a pair's own (split mode) or its
// thread's (whole mode).
struct Buffers {
  float* scores;
  float* chunk_max;
  float* chunk_w;
  double* chunk_sum;
  uint16_t* q16;
};

Pair pair_at(const Plan& p, int64_t pair, const Buffers& b) {
  const AttentionInput& in = *p.in;
  const ModelConfig& c = *in.config;
  const int64_t t = pair / c.n_head_kv, g = pair % c.n_head_kv;
  const BatchEntry& e = in.batch[static_cast<size_t>(t)];
  const int64_t head_off = t * c.q_dim() + g * p.group * p.d;
  return Pair{e.cache, g * p.d, int64_t{e.pos} + 1, in.q + head_off, in.out + head_off,
              b.q16, b.scores, b.chunk_max, b.chunk_sum, b.chunk_w};
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
    p.k->scores({.k = k, .k_stride = row, .n_rows = j1 - j0, .q = w.q16, .n_heads = p.group, .d = p.d,
                 .scale = p.scale, .out = w.scores + j0, .out_stride = p.stride});
  });
  for (int64_t h = 0; h < p.group; ++h) {
    float* s = w.scores + h * p.stride;
    float max = -INFINITY;
    for (int64_t j = begin; j < end; ++j) max = s[j] > max ? s[j] : max;  // fmax for non-NaN, inlined
    w.chunk_max[h * p.max_chunks + c] = max;
    w.chunk_sum[h * p.max_chunks + c] = p.k->exp_sum(s + begin, end - begin, max);
  }
}

// Each chunk's weight exp(m_c - M) / L, from all chunks in order.
void chunk_weights(const Plan& p, const Pair& w) {
  const int64_t n_chunks = ceil_div(w.n_kv, kChunk);
  for (int64_t h = 0; h < p.group; ++h) {
    const float* m = w.chunk_max + h * p.max_chunks;
    const double* l = w.chunk_sum + h * p.max_chunks;
    float max = -INFINITY;
    for (int64_t c = 0; c < n_chunks; ++c) max = std::fmax(max, m[c]);
    double sum = 0.0;
    for (int64_t c = 0; c < n_chunks; ++c) sum += std::exp(static_cast<double>(m[c]) - max) * l[c];
    for (int64_t c = 0; c < n_chunks; ++c) {
      w.chunk_w[h * p.max_chunks + c] = static_cast<float>(std::exp(static_cast<double>(m[c]) - max) / sum);
    }
  }
}

// Per-thread buffers of chunk_values().
struct ChunkOut {
  float* weights;  // [group][kChunk] the chunk's fp16-rounded softmax weights
  float* acc;      // [group][d] its weighted sum of V rows
};

// out.acc = sum over the positions j of chunk c of fp16(weight_j) * v_j.
void chunk_values(const Plan& p, const Pair& w, int64_t c, const ChunkOut& out) {
  float* const weights = out.weights;
  float* const acc = out.acc;
  const int64_t begin = c * kChunk, end = std::min(w.n_kv, begin + kChunk);
  for (int64_t h = 0; h < p.group; ++h) {
    p.k->round_weights(w.scores + h * p.stride + begin, w.chunk_w[h * p.max_chunks + c], weights + h * kChunk,
                       end - begin);
  }
  std::fill(acc, acc + p.group * p.d, 0.0f);
  const int64_t row = w.cache->row_size();
  for_each_run<true>(p, w, c, [&](const uint16_t* v, int64_t j0, int64_t j1) {
    p.k->v_sum({.v = v, .v_stride = row, .n_rows = j1 - j0, .p = weights + (j0 - begin), .p_stride = kChunk,
                .n_heads = p.group, .d = p.d, .acc = acc});
  });
}

// out = sum of the chunks' V sums, in chunk order.
void combine(const Plan& p, const Pair& w, const float* partial) {
  const int64_t n = p.group * p.d;
  std::fill(w.out, w.out + n, 0.0f);
  for (int64_t c = 0; c < ceil_div(w.n_kv, kChunk); ++c) kernels::add(w.out, partial + c * n, n);
}

// Runs fn(thread, item) for items [0, n) handed out in order, on all threads.
void for_items(ThreadPool* pool, int64_t n, const std::function<void(int, int64_t)>& fn) {
  std::atomic<int64_t> next{0};
  run_parallel(pool, [&](int th, int) {
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(th, i);
  });
}

int n_threads_of(ThreadPool* pool) { return pool == nullptr ? 1 : pool->size(); }

// Whole mode: each thread takes whole pairs, latest tokens (longest
// contexts) first.
void attend_whole(const Plan& p, Scratch& s, ThreadPool* pool) {
  const int nth = n_threads_of(pool);
  const int64_t gd = p.group * p.d, gc = p.group * p.max_chunks;
  const int64_t per_thread = p.group * p.stride + 2 * gc + p.group * kChunk + gd;
  s.reserve_attention(1, nth * per_thread, nth * gd);
  std::vector<double> sums(static_cast<size_t>(nth * gc));
  for_items(pool, p.n_pairs, [&](int th, int64_t item) {
    float* f = s.scores.data() + th * per_thread;
    const Buffers b{f, f + p.group * p.stride, f + p.group * p.stride + gc, sums.data() + th * gc,
                    s.q16.data() + th * gd};
    float* weights = b.chunk_w + gc;
    float* acc = weights + p.group * kChunk;
    const Pair w = pair_at(p, p.n_pairs - 1 - item, b);
    p.k->to_fp16(w.q, w.q16, gd);
    const int64_t n_chunks = ceil_div(w.n_kv, kChunk);
    for (int64_t c = 0; c < n_chunks; ++c) chunk_scores(p, w, c);
    chunk_weights(p, w);
    // as combine(): out = 0, then + each chunk's sum in chunk order
    std::fill(w.out, w.out + gd, 0.0f);
    for (int64_t c = 0; c < n_chunks; ++c) {
      chunk_values(p, w, c, {weights, acc});
      kernels::add(w.out, acc, gd);
    }
  });
}

// Split mode: the chunks of all pairs are spread over the threads, in two
// passes (scores, then V) with the chunk weights computed in between.
void attend_split(const Plan& p, Scratch& s, ThreadPool* pool) {
  const int nth = n_threads_of(pool);
  const int64_t gd = p.group * p.d, gc = p.group * p.max_chunks;
  const int64_t per_pair = p.group * p.stride + 2 * gc + p.max_chunks * gd;
  s.reserve_attention(1, p.n_pairs * per_pair + nth * p.group * kChunk, p.n_pairs * gd);
  std::vector<double> sums(static_cast<size_t>(p.n_pairs * gc));
  std::vector<Pair> pairs;
  std::vector<float*> partials;
  std::vector<std::pair<int64_t, int64_t>> items;  // (pair, chunk)
  for (int64_t i = 0; i < p.n_pairs; ++i) {
    float* f = s.scores.data() + i * per_pair;
    const Buffers b{f, f + p.group * p.stride, f + p.group * p.stride + gc, sums.data() + i * gc,
                    s.q16.data() + i * gd};
    pairs.push_back(pair_at(p, i, b));
    partials.push_back(b.chunk_w + gc);
    p.k->to_fp16(pairs.back().q, pairs.back().q16, gd);
    for (int64_t c = 0; c < ceil_div(pairs.back().n_kv, kChunk); ++c) items.emplace_back(i, c);
  }
  const auto n_items = static_cast<int64_t>(items.size());
  for_items(pool, n_items, [&](int, int64_t i) {
    const auto [pair, c] = items[static_cast<size_t>(i)];
    chunk_scores(p, pairs[static_cast<size_t>(pair)], c);
  });
  for (const Pair& w : pairs) chunk_weights(p, w);
  float* weights = s.scores.data() + p.n_pairs * per_pair;
  std::unique_ptr<std::atomic<int64_t>[]> done(new std::atomic<int64_t>[static_cast<size_t>(p.n_pairs)]());
  for_items(pool, n_items, [&](int th, int64_t i) {
    const auto [pair, c] = items[static_cast<size_t>(i)];
    const Pair& w = pairs[static_cast<size_t>(pair)];
    float* partial = partials[static_cast<size_t>(pair)];
    chunk_values(p, w, c, {weights + th * p.group * kChunk, partial + c * gd});
    // The pair's last chunk to finish adds them all up, in chunk order.
    if (done[static_cast<size_t>(pair)].fetch_add(1, std::memory_order_acq_rel) + 1 == ceil_div(w.n_kv, kChunk)) {
      combine(p, w, partial);
    }
  });
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
  const ModelConfig& c = *in.config;
  int64_t max_kv = 1;
  for (const BatchEntry& e : in.batch) max_kv = std::max(max_kv, int64_t{e.pos} + 1);
  Plan p;
  p.in = &in;
  p.k = &attention_kernels(attention_path());
  p.group = c.n_head / c.n_head_kv;
  p.d = c.head_dim;
  p.n_pairs = static_cast<int64_t>(in.batch.size()) * c.n_head_kv;
  p.max_chunks = ceil_div(max_kv, kChunk);
  p.stride = p.max_chunks * kChunk;
  p.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  if (p.n_pairs == 0) return;
  // Too few pairs to share out evenly, with more than one chunk: spread the
  // chunks instead (two passes). Either way the results are the same.
  const int nth = n_threads_of(pool);
  const bool few = p.n_pairs < nth || (p.n_pairs < 2 * nth && p.n_pairs % nth != 0);
  const bool split = nth > 1 && few && p.max_chunks > 1 && p.n_pairs * p.group * p.stride <= kMaxSplitScores;
  if (split) {
    attend_split(p, scratch, pool);
  } else {
    attend_whole(p, scratch, pool);
  }
}

}  // namespace r1::model
