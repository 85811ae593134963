// Attention over paged KV caches: against a naive double-precision reference
// over contiguous K/V, against the previous (one-softmax) implementation,
// scalar vs F16C kernels, and bitwise invariance to the thread count, the
// batch and the block size, and no heap allocation once the workspace has
// grown. The decode timing at 4k is bench/attention_bench.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "alloc_count.h"
#include "core/thread_pool.h"
#include "kv_attention_util.h"
#include "model/attention/attention.h"
#include "model/attention/attention_kernels.h"
#include "model/kv/kv_cache.h"
#include "tensor/half.h"

namespace r1::model::test {
namespace {

// Attention of a batch through attend().
std::vector<float> run_attend(const ModelConfig& c, const std::vector<BatchEntry>& batch, const std::vector<float>& q,
                              ThreadPool* pool) {
  Scratch scratch(c, static_cast<int64_t>(batch.size()));
  std::vector<float> out(q.size(), NAN);
  attend({.config = &c, .layer = 1, .batch = batch, .q = q.data(), .out = out.data()}, scratch, pool);
  return out;
}

// Naive reference over the contiguous copy: fp16 query, double softmax, no
// rounding of the weights.
std::vector<double> naive(const ModelConfig& c, const Seq& s, int64_t n_kv, const float* q) {
  const int64_t d = c.head_dim, group = c.n_head / c.n_head_kv, row = c.kv_dim();
  std::vector<double> out(static_cast<size_t>(c.q_dim()), 0.0);
  for (int64_t h = 0; h < c.n_head; ++h) {
    const int64_t off = (h / group) * d;
    std::vector<double> p(static_cast<size_t>(n_kv));
    double max = -1e300, sum = 0;
    for (int64_t j = 0; j < n_kv; ++j) {
      double dot = 0;
      for (int64_t i = 0; i < d; ++i) {
        dot += double{fp16_to_fp32(fp32_to_fp16(q[h * d + i]))} * fp16_to_fp32(s.k[j * row + off + i]);
      }
      p[j] = dot / std::sqrt(static_cast<double>(d));
      max = std::max(max, p[j]);
    }
    for (double& x : p) sum += (x = std::exp(x - max));
    for (int64_t j = 0; j < n_kv; ++j) {
      for (int64_t i = 0; i < d; ++i) out[h * d + i] += p[j] / sum * fp16_to_fp32(s.v[j * row + off + i]);
    }
  }
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<AttentionPath> paths() {
  std::vector<AttentionPath> p = {AttentionPath::kScalar};
  if (attention_path_supported(AttentionPath::kF16c)) p.push_back(AttentionPath::kF16c);
  return p;
}

// Restores the default path when a test ends.
struct PathGuard {
  AttentionPath saved = attention_path();
  ~PathGuard() { set_attention_path(saved); }
};

struct Shape {
  int64_t n_head, n_head_kv, head_dim;
};

const Shape kShapes[] = {{12, 2, 128}, {4, 4, 40}, {6, 2, 64}};
const int64_t kLengths[] = {1, 31, 32, 33, 255, 256, 257, 600, 1000};

TEST(KvAttention, MatchesNaiveReferenceOnBothPaths) {
  PathGuard guard;
  for (AttentionPath path : paths()) {
    set_attention_path(path);
    for (const Shape& sh : kShapes) {
      const ModelConfig c = attn_config(sh.n_head, sh.n_head_kv, sh.head_dim);
      for (int64_t n : kLengths) {
        const Seq s = make_seq(c, nullptr, n, static_cast<uint32_t>(n));
        const std::vector<float> q = random_q(c, 1, 7);
        const std::vector<float> got = run_attend(c, {{0, static_cast<int32_t>(n - 1), s.cache.get(), false}}, q, nullptr);
        const std::vector<double> want = naive(c, s, n, q.data());
        double max_err = 0;
        for (size_t i = 0; i < want.size(); ++i) max_err = std::max(max_err, std::abs(want[i] - got[i]));
        // fp16 weights: relative error <= 2^-11 per weight, |v| <~ 5
        EXPECT_LT(max_err, 3e-3) << "n_kv " << n << " head_dim " << sh.head_dim << " path " << int(path);
      }
    }
  }
}

TEST(KvAttention, OneChunkIsBitwiseTheSingleSoftmax) {
  PathGuard guard;
  for (AttentionPath path : paths()) {
    set_attention_path(path);
    for (const Shape& sh : kShapes) {
      const ModelConfig c = attn_config(sh.n_head, sh.n_head_kv, sh.head_dim);
      for (int64_t n : {1, 17, 100, 256}) {
        const Seq s = make_seq(c, nullptr, n, 3);
        const std::vector<float> q = random_q(c, 1, 8);
        const BatchEntry e{0, static_cast<int32_t>(n - 1), s.cache.get(), false};
        std::vector<float> want(q.size());
        legacy_attend(c, e, q.data(), want.data());
        EXPECT_TRUE(same_bits(run_attend(c, {e}, q, nullptr), want)) << "n_kv " << n;
      }
    }
  }
}

TEST(KvAttention, ScalarAndF16cPathsAreBitwiseEqual) {
  if (!attention_path_supported(AttentionPath::kF16c)) GTEST_SKIP() << "no F16C/AVX2/FMA";
  PathGuard guard;
  for (const Shape& sh : kShapes) {
    const ModelConfig c = attn_config(sh.n_head, sh.n_head_kv, sh.head_dim);
    const Seq s = make_seq(c, nullptr, 700, 5);
    const std::vector<float> q = random_q(c, 3, 9);
    const std::vector<BatchEntry> batch = {{0, 699, s.cache.get(), false}, {0, 300, s.cache.get(), false},
                                           {0, 12, s.cache.get(), false}};
    set_attention_path(AttentionPath::kScalar);
    const std::vector<float> scalar = run_attend(c, batch, q, nullptr);
    set_attention_path(AttentionPath::kF16c);
    EXPECT_TRUE(same_bits(scalar, run_attend(c, batch, q, nullptr))) << "head_dim " << sh.head_dim;
  }
}

TEST(KvAttention, KernelsAgreeOnAwkwardShapes) {
  if (!attention_path_supported(AttentionPath::kF16c)) GTEST_SKIP() << "no F16C/AVX2/FMA";
  const AttentionKernels& a = attention_kernels(AttentionPath::kScalar);
  const AttentionKernels& b = attention_kernels(AttentionPath::kF16c);
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> ud(-3.0f, 3.0f);
  for (int64_t d : {8, 16, 24, 40, 128}) {
    for (int64_t heads : {1, 2, 3, 4, 5, 6, 7, 8, 13}) {
      const int64_t rows = 13, stride = d + 6;
      std::vector<uint16_t> v(static_cast<size_t>(rows * stride));
      for (uint16_t& x : v) x = fp32_to_fp16(ud(rng));
      std::vector<float> e(static_cast<size_t>(heads * rows)), p1(e.size()), p2(e.size());
      for (float& x : e) x = std::abs(ud(rng)) / 3.0f;
      for (int64_t h = 0; h < heads; ++h) {
        a.round_weights(e.data() + h * rows, 0.37f, p1.data() + h * rows, rows);
        b.round_weights(e.data() + h * rows, 0.37f, p2.data() + h * rows, rows);
      }
      ASSERT_TRUE(same_bits(p1, p2));
      std::vector<float> acc1(static_cast<size_t>(heads * d), 0.5f), acc2 = acc1;
      VSumArgs args{v.data(), stride, rows, p1.data(), rows, heads, d, acc1.data()};
      a.v_sum(args);
      args.acc = acc2.data();
      b.v_sum(args);
      EXPECT_TRUE(same_bits(acc1, acc2)) << "d " << d << " heads " << heads;
      std::vector<uint16_t> h1(e.size()), h2(e.size());
      a.to_fp16(e.data(), h1.data(), static_cast<int64_t>(e.size()));
      b.to_fp16(e.data(), h2.data(), static_cast<int64_t>(e.size()));
      EXPECT_EQ(h1, h2);
      // Scores: K rows v (stride `stride`) against `heads` fp16 queries.
      std::vector<uint16_t> q(static_cast<size_t>(heads * d));
      for (uint16_t& x : q) x = fp32_to_fp16(ud(rng));
      const int64_t out_stride = rows + 3;
      std::vector<float> s1(static_cast<size_t>(heads * out_stride), -1.0f), s2 = s1;
      ScoreArgs sa{v.data(), stride, rows, q.data(), heads, d, 0.125f, s1.data(), out_stride};
      a.scores(sa);
      sa.out = s2.data();
      b.scores(sa);
      EXPECT_TRUE(same_bits(s1, s2)) << "scores: d " << d << " heads " << heads;
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t j = 0; j < rows; ++j) {
          double ref = 0.0, mag = 0.0;
          for (int64_t i = 0; i < d; ++i) {
            const double pr = double{fp16_to_fp32(v[j * stride + i])} * fp16_to_fp32(q[h * d + i]);
            ref += pr;
            mag += std::abs(pr);
          }
          EXPECT_NEAR(s1[h * out_stride + j], 0.125 * ref, 0.125 * mag * 1e-6) << "h " << h << " j " << j;
        }
        EXPECT_EQ(s1[h * out_stride + rows], -1.0f) << "wrote past n_rows";
      }
    }
  }
}

TEST(KvAttention, ExpSumKernelsAgreeAndMatchStdExp) {
  std::vector<AttentionPath> ps = paths();
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> ud(-100.0f, 0.0f);
  for (int64_t n : {0, 1, 7, 8, 9, 31, 256, 1000}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = ud(rng);
    if (n > 5) {  // special values: -inf, a NaN, the max itself, just below kExpMin
      x[0] = -INFINITY;
      x[1] = std::nanf("");
      x[2] = 3.0f;
      x[3] = 3.0f + kExpMin - 0.01f;
    }
    std::vector<std::vector<float>> outs;
    std::vector<double> sums;
    for (AttentionPath path : ps) {
      std::vector<float> y = x;
      sums.push_back(attention_kernels(path).exp_sum(y.data(), n, 3.0f));
      outs.push_back(y);
    }
    for (size_t i = 1; i < outs.size(); ++i) {
      EXPECT_TRUE(outs[0].empty() ||
                  std::memcmp(outs[0].data(), outs[i].data(), outs[0].size() * sizeof(float)) == 0)
          << "n " << n;
      EXPECT_EQ(std::memcmp(&sums[0], &sums[i], sizeof(double)), 0) << "n " << n;
    }
    double want_sum = 0.0;
    bool any_nan = false;
    for (int64_t j = 0; j < n; ++j) {
      const float want = std::exp(x[j] - 3.0f);
      const float got = outs[0][static_cast<size_t>(j)];
      if (std::isnan(x[j])) {
        EXPECT_TRUE(std::isnan(got));
        any_nan = true;
        continue;
      }
      if (x[j] - 3.0f < kExpMin) {
        EXPECT_EQ(got, 0.0f) << x[j];
      } else {
        EXPECT_NEAR(got, want, 4e-7 * want + 1e-38) << "x " << x[j];
      }
      want_sum += got;
    }
    if (!any_nan) {
      EXPECT_NEAR(sums[0], want_sum, 1e-12 * (1.0 + want_sum));
    }
    if (n > 5) {
      EXPECT_EQ(outs[0][2], 1.0f);
    }
  }
}

// One sequence's attention alone on one thread, then in mixed batches on 1,
// 2 and 3 threads, and from caches of other block sizes: always the same bits.
TEST(KvAttention, BitwiseInvariantToThreadsBatchAndBlockSize) {
  const ModelConfig c = attn_config(12, 2, 128);
  auto pool = KvPool::create(c, 64, 32);
  auto pool7 = KvPool::create(c, 160, 7);
  ASSERT_TRUE(pool.ok() && pool7.ok());
  const Seq a = make_seq(c, *pool, 1000, 1), b = make_seq(c, *pool, 300, 2);
  const Seq a7 = make_seq(c, *pool7, 1000, 1);  // same values, blocks of 7
  ThreadPool p1(1), p2(2), p3(3);
  for (int64_t n : {1, 31, 257, 513, 999}) {
    const auto pos = static_cast<int32_t>(n - 1);
    const std::vector<float> q = random_q(c, 1, static_cast<uint32_t>(n));
    const std::vector<float> alone = run_attend(c, {{0, pos, a.cache.get(), false}}, q, nullptr);
    EXPECT_TRUE(same_bits(alone, run_attend(c, {{0, pos, a7.cache.get(), false}}, q, nullptr))) << n;
    // In a batch: [b at 299, a at pos, a at 3]; the q of a sits in row 1.
    std::vector<float> qb = random_q(c, 3, 99);
    std::copy(q.begin(), q.end(), qb.begin() + c.q_dim());
    const std::vector<BatchEntry> batch = {
        {0, 299, b.cache.get(), false}, {0, pos, a.cache.get(), false}, {0, 3, a.cache.get(), false}};
    for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &p1, &p2, &p3}) {
      const int nth = tp ? tp->size() : 0;
      EXPECT_TRUE(same_bits(alone, run_attend(c, {{0, pos, a.cache.get(), false}}, q, tp))) << n << " t" << nth;
      EXPECT_TRUE(same_bits(alone, run_attend(c, {{0, pos, a7.cache.get(), false}}, q, tp))) << n << " t" << nth;
      const std::vector<float> got = run_attend(c, batch, qb, tp);
      const std::vector<float> row1(got.begin() + c.q_dim(), got.begin() + 2 * c.q_dim());
      EXPECT_TRUE(same_bits(alone, row1)) << n << " batched, t" << nth;
    }
  }
}

// Blocks handed out interleaved between two sequences (non-contiguous
// tables) read like the contiguous layout.
TEST(KvAttention, ScatteredBlocksMatchTheContiguousReference) {
  const ModelConfig c = attn_config(6, 2, 64);
  auto pool = KvPool::create(c, 64, 16);
  ASSERT_TRUE(pool.ok());
  Seq a = make_seq(c, *pool, 20, 1);
  Seq b = make_seq(c, *pool, 40, 2);
  // grow a past b's blocks: positions 20..299 land in blocks after b's
  Seq a_full = make_seq(c, nullptr, 300, 1);  // same values, private pool
  ASSERT_TRUE(a.cache->reserve(300).ok());
  for (int64_t p = 20; p < 300; ++p) {
    std::memcpy(a.cache->k(1, p), a_full.k.data() + p * c.kv_dim(), static_cast<size_t>(c.kv_dim()) * 2);
    std::memcpy(a.cache->v(1, p), a_full.v.data() + p * c.kv_dim(), static_cast<size_t>(c.kv_dim()) * 2);
  }
  a.cache->set_size(300);
  EXPECT_NE(a.cache->block_table()[2], a.cache->block_table()[1] + 1);
  const std::vector<float> q = random_q(c, 1, 5);
  const std::vector<float> got = run_attend(c, {{0, 299, a.cache.get(), false}}, q, nullptr);
  EXPECT_TRUE(same_bits(got, run_attend(c, {{0, 299, a_full.cache.get(), false}}, q, nullptr)));
  const std::vector<double> want = naive(c, a_full, 300, q.data());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(want[i], got[i], 3e-3) << i;
}

// Decode at 4k, the case of bench/attention_bench (R1-1.5B: 12 heads, 2 kv
// heads, head_dim 128): the chunked softmax agrees with the previous
// implementation's single one (outputs up to 0.17, apart by 4e-7: a weight
// now and then rounded to the other fp16), and 2 threads give the same bits
// as 1.
TEST(KvAttention, AgreesWithThePreviousImplementationAt4k) {
  const ModelConfig c = attn_config(12, 2, 128);
  const Seq s = make_seq(c, nullptr, 4096, 1);
  const std::vector<float> q = random_q(c, 1, 2);
  const BatchEntry e{0, 4095, s.cache.get(), false};
  std::vector<float> legacy(q.size());
  legacy_attend(c, e, q.data(), legacy.data());
  const std::vector<float> now = run_attend(c, {e}, q, nullptr);
  for (size_t i = 0; i < legacy.size(); ++i) EXPECT_NEAR(legacy[i], now[i], 1e-5) << i;
  ThreadPool pool(2);
  EXPECT_TRUE(same_bits(now, run_attend(c, {e}, q, &pool)));
}

// Once the workspace has grown to a shape (the first call), attend()
// allocates nothing more: on one thread (whole mode) and on 3 (split mode for
// 1 and 2 tokens, whole for 3). The one exception is the F16C scores kernel's
// per-thread query buffer (attention_x86.cpp), which grows on a thread's
// first use: at most one allocation per pool thread.
TEST(KvAttention, AllocatesNothingOnceGrown) {
  PathGuard guard;
  const ModelConfig c = attn_config(12, 2, 128);
  const Seq s = make_seq(c, nullptr, 1000, 1);
  const std::vector<float> q = random_q(c, 3, 3);
  std::vector<float> out(q.size());
  const std::vector<BatchEntry> batch = {{0, 999, s.cache.get(), false}, {0, 500, s.cache.get(), false},
                                         {0, 30, s.cache.get(), false}};
  ThreadPool pool(3);
  for (AttentionPath path : paths()) {
    set_attention_path(path);
    for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
      const int64_t n_threads = tp ? tp->size() : 1;
      Scratch scratch(c, 3);
      for (size_t n = 1; n <= batch.size(); ++n) {
        const AttentionInput in{.config = &c, .layer = 1, .batch = {batch.data(), n}, .q = q.data(), .out = out.data()};
        attend(in, scratch, tp);
        const int64_t before = heap_allocations();
        for (int rep = 0; rep < 5; ++rep) attend(in, scratch, tp);
        EXPECT_LE(heap_allocations() - before, path == AttentionPath::kF16c ? n_threads : 0)
            << n << " tokens, " << n_threads << " threads, path " << int(path);
      }
    }
  }
}

}  // namespace
}  // namespace r1::model::test
