// The paged KV cache: pool allocation and reference counts, lazy blocks,
// reserve / truncate / clear, pool exhaustion in a forward pass, prefix
// sharing with copy-on-write, and thread-count invariance of whole forward
// passes past one attention chunk.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/thread_pool.h"
#include "model/kv/kv_cache.h"
#include "model/kv/kv_pool.h"
#include "model/transformer.h"
#include "model_util.h"

namespace r1::model::test {
namespace {

using Loaded = LoadedTiny;
std::unique_ptr<Loaded> load(const TinySpec& spec) { return load_tiny_model(spec); }


std::unique_ptr<KvCache> new_cache(const ModelConfig& config, int64_t n_ctx) {
  auto c = KvCache::create(config, n_ctx);
  CHECK(c.ok());
  return std::move(*c);
}

std::unique_ptr<KvCache> cache_on(std::shared_ptr<KvPool> pool, int64_t n_ctx = 4096) {
  auto c = KvCache::create(std::move(pool), n_ctx);
  CHECK(c.ok());
  return std::move(*c);
}

// Appends tokens [begin, end) to the cache, prefill-style in chunks of
// `step`; returns every token's logits.
std::vector<float> run(const Loaded& l, KvCache& cache, const std::vector<int32_t>& tokens, size_t begin, size_t end,
                       ForwardContext& ctx, size_t step = 64) {
  return forward_logits(l, cache, tokens, begin, end, ctx, step);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(KvPool, AllocatesAndCountsReferences) {
  auto l = load({});
  auto pool = KvPool::create(l->config(), 4, 8);
  ASSERT_TRUE(pool.ok());
  KvPool& p = **pool;
  EXPECT_EQ(p.n_free_blocks(), 4);
  EXPECT_EQ(p.usage_ratio(), 0.0);
  EXPECT_EQ(p.bytes(), 2u * 2 * 4 * 8 * 2 * 32);
  std::vector<int32_t> got;
  ASSERT_TRUE(p.allocate(3, &got));
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(p.n_free_blocks(), 1);
  EXPECT_DOUBLE_EQ(p.usage_ratio(), 0.75);
  EXPECT_FALSE(p.allocate(2, &got));  // all or nothing
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(p.n_free_blocks(), 1);
  p.retain(got[0]);
  EXPECT_EQ(p.ref_count(got[0]), 2);
  p.release(got[0]);
  EXPECT_EQ(p.n_free_blocks(), 1);
  for (int32_t b : got) p.release(b);
  EXPECT_EQ(p.n_free_blocks(), 4);
  EXPECT_EQ(p.ref_count(got[0]), 0);
  EXPECT_FALSE(KvPool::create(l->config(), 0).ok());
  EXPECT_FALSE(KvPool::create(l->config(), 4, 0).ok());
  EXPECT_EQ(KvPool::create(l->config(), 1 << 20, 32, 1 << 20).error().code, ErrorCode::kResourceExhausted);
}

TEST(KvCache, BlocksComeOnDemandAndGoBack) {
  auto l = load({});
  auto pool = *KvPool::create(l->config(), 8, 32);
  {
    auto cache = cache_on(pool, 200);
    EXPECT_EQ(cache->reserved(), 0);
    EXPECT_EQ(cache->blocks_needed(33), 2);
    ASSERT_TRUE(cache->reserve(33).ok());
    EXPECT_EQ(cache->reserved(), 64);
    EXPECT_EQ(pool->n_free_blocks(), 6);
    ASSERT_TRUE(cache->reserve(10).ok());  // already held
    EXPECT_EQ(pool->n_free_blocks(), 6);
    Status past = cache->reserve(201);
    ASSERT_FALSE(past.ok());
    EXPECT_EQ(past.error().code, ErrorCode::kResourceExhausted);
    cache->set_size(40);
    cache->truncate(32);  // the second block is no longer needed
    EXPECT_EQ(pool->n_free_blocks(), 7);
    ASSERT_TRUE(cache->reserve(100).ok());
    EXPECT_EQ(pool->n_free_blocks(), 4);
    cache->unreserve(0);  // keeps the block of the 32 valid positions
    EXPECT_EQ(pool->n_free_blocks(), 7);
    cache->clear();
    EXPECT_EQ(pool->n_free_blocks(), 8);
    ASSERT_TRUE(cache->reserve(64).ok());
  }
  EXPECT_EQ(pool->n_free_blocks(), 8);  // the destructor returned them
  // A private-pool cache takes no blocks until written.
  auto own = new_cache(l->config(), 100);
  EXPECT_EQ(own->reserved(), 0);
  EXPECT_EQ(own->pool().n_blocks(), 4);
  EXPECT_EQ(own->bytes(), 2u * 2 * 2 * 100 * 32);
}

// A batch that needs more blocks than the pool has fails before any cache
// changes; a smaller one then runs.
TEST(KvCache, PoolExhaustionIsACleanError) {
  auto l = load({.arch = Arch::kQwen2});
  auto pool = *KvPool::create(l->config(), 5, 16);
  auto a = cache_on(pool), b = cache_on(pool);
  const std::vector<int32_t> ta = random_tokens(50, 1), tb = random_tokens(40, 2);
  ForwardContext ctx(l->config(), 64, nullptr);
  run(*l, *a, ta, 0, 40, ctx);  // 3 blocks
  EXPECT_EQ(pool->n_free_blocks(), 2);
  std::vector<BatchEntry> batch;
  for (int32_t i = 40; i < 50; ++i) batch.push_back({ta[i], i, a.get(), false});  // a: +1 block
  for (int32_t i = 0; i < 20; ++i) batch.push_back({tb[i], i, b.get(), false});   // b: 2 blocks
  Status s = forward(*l->model, batch, ctx, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(s.error().message.find("out of blocks"), std::string::npos) << s.error().to_string();
  EXPECT_EQ(a->size(), 40);
  EXPECT_EQ(b->size(), 0);
  EXPECT_EQ(a->reserved(), 48);
  EXPECT_EQ(b->reserved(), 0);
  EXPECT_EQ(pool->n_free_blocks(), 2);
  batch.resize(10 + 16);  // b needs one block now
  ASSERT_TRUE(forward(*l->model, batch, ctx, nullptr).ok());
  EXPECT_EQ(a->size(), 50);
  EXPECT_EQ(b->size(), 16);
  EXPECT_EQ(pool->n_free_blocks(), 0);
}

// B takes A's first n positions (full blocks shared, the partial one
// copied), then both go on with different tokens: each one's logits equal a
// recomputation from scratch, and all blocks come back at the end.
TEST(KvCache, SharedPrefixThenDivergenceEqualsRecomputation) {
  auto l = load({.arch = Arch::kQwen2, .weight_type = DType::kQ8_0});
  const auto nv = static_cast<size_t>(l->n_vocab());
  auto pool = *KvPool::create(l->config(), 64, 32);
  ForwardContext ctx(l->config(), 32, nullptr);
  const std::vector<int32_t> ta = random_tokens(90, 1);
  std::vector<int32_t> tb(ta.begin(), ta.begin() + 70);
  const std::vector<int32_t> tail = random_tokens(30, 9);
  tb.insert(tb.end(), tail.begin(), tail.end());
  {
    auto a = cache_on(pool);
    run(*l, *a, ta, 0, 80, ctx);
    for (int64_t n : {70, 64, 5}) {
      auto b = cache_on(pool);
      const int64_t free_before = pool->n_free_blocks();
      ASSERT_TRUE(b->share_prefix_from(*a, n).ok());
      EXPECT_EQ(b->size(), n);
      EXPECT_EQ(free_before - pool->n_free_blocks(), n % 32 ? 1 : 0) << n;  // only the partial block is new
      if (n >= 32) {
        EXPECT_EQ(pool->ref_count(a->block_table()[0]), 2);
      }
      std::vector<int32_t> tn(tb.begin(), tb.begin() + n);
      tn.insert(tn.end(), tail.begin(), tail.end());
      const std::vector<float> got_b = run(*l, *b, tn, static_cast<size_t>(n), tn.size(), ctx, 7);
      auto fresh = new_cache(l->config(), 256);
      const std::vector<float> want_b = run(*l, *fresh, tn, 0, tn.size(), ctx, 7);
      EXPECT_TRUE(same_bits(got_b, std::vector<float>(want_b.begin() + n * nv, want_b.end()))) << n;
    }
    // A's blocks were never written through B: A goes on as if alone.
    const std::vector<float> got_a = run(*l, *a, ta, 80, 90, ctx, 1);
    auto fresh = new_cache(l->config(), 256);
    const std::vector<float> want_a = run(*l, *fresh, ta, 0, 90, ctx, 1);
    EXPECT_TRUE(same_bits(got_a, std::vector<float>(want_a.begin() + 80 * nv, want_a.end())));
  }
  EXPECT_EQ(pool->n_free_blocks(), 64);
}

// Truncating into a shared full block and appending copies it first.
TEST(KvCache, AppendToASharedBlockCopiesOnWrite) {
  auto l = load({.arch = Arch::kLlama, .rope_freqs = true});
  const auto nv = static_cast<size_t>(l->n_vocab());
  auto pool = *KvPool::create(l->config(), 16, 16);
  ForwardContext ctx(l->config(), 16, nullptr);
  const std::vector<int32_t> ta = random_tokens(40, 3), other = random_tokens(40, 4);
  {
    auto a = cache_on(pool), b = cache_on(pool);
    const std::vector<float> a_logits = run(*l, *a, ta, 0, 32, ctx);
    ASSERT_TRUE(b->share_prefix_from(*a, 32).ok());
    b->truncate(20);  // block 1 is shared and now partial in b
    const int32_t shared = b->block_table()[1];
    EXPECT_EQ(pool->ref_count(shared), 2);
    EXPECT_EQ(b->blocks_needed(21), 1);
    std::vector<int32_t> tb(ta.begin(), ta.begin() + 20);
    tb.insert(tb.end(), other.begin(), other.begin() + 10);
    const std::vector<float> got = run(*l, *b, tb, 20, 30, ctx);
    EXPECT_NE(b->block_table()[1], shared);
    EXPECT_EQ(pool->ref_count(shared), 1);
    auto fresh = new_cache(l->config(), 64);
    const std::vector<float> want = run(*l, *fresh, tb, 0, 30, ctx);
    EXPECT_TRUE(same_bits(got, std::vector<float>(want.begin() + 20 * nv, want.end())));
    // a is intact: replaying its positions 20..31 gives the same logits
    a->truncate(20);
    const std::vector<float> replay = run(*l, *a, ta, 20, 32, ctx);
    EXPECT_TRUE(same_bits(replay, std::vector<float>(a_logits.begin() + 20 * nv, a_logits.end())));
  }
  EXPECT_EQ(pool->n_free_blocks(), 16);
}

TEST(KvCache, SharingAcrossPoolsCopiesAndRespectsTheFreeCount) {
  auto l = load({.arch = Arch::kQwen3});
  const auto nv = static_cast<size_t>(l->n_vocab());
  ForwardContext ctx(l->config(), 16, nullptr);
  const std::vector<int32_t> t = random_tokens(60, 5);
  auto a = new_cache(l->config(), 64);
  const std::vector<float> want = run(*l, *a, t, 0, 60, ctx);
  auto small = *KvPool::create(l->config(), 2, 32);
  auto b = cache_on(small, 64);
  Status s = b->share_prefix_from(*a, 50);  // copies, within the 2 blocks
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(small->n_free_blocks(), 0);
  ASSERT_TRUE(b->share_prefix_from(*a, 40).ok());  // its own blocks are reused
  const std::vector<float> got = run(*l, *b, t, 40, 60, ctx);
  EXPECT_TRUE(same_bits(got, std::vector<float>(want.begin() + 40 * nv, want.end())));
  auto c = cache_on(small, 64);
  s = c->share_prefix_from(*a, 10);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(c->size(), 0);
  EXPECT_EQ(b->size(), 60);
}

// Whole forward passes past two attention chunks (256 positions each):
// prefill and decode on 1, 2 and 3 threads, alone or batched, give the same
// bits, and the same as decoding one token at a time.
TEST(KvCache, ForwardIsBitwiseInvariantPastTwoChunks) {
  auto l = load({.arch = Arch::kQwen2, .n_ctx_train = 1024});
  const auto nv = static_cast<size_t>(l->n_vocab());
  const std::vector<int32_t> t = random_tokens(600, 6), u = random_tokens(20, 7);
  std::vector<float> want;
  for (int nth : {1, 2, 3}) {
    ThreadPool pool(nth);
    ForwardContext ctx(l->config(), 128, &pool);
    auto kv = *KvPool::create(l->config(), 32, 32);
    auto a = cache_on(kv), b = cache_on(kv);
    std::vector<float> got = run(*l, *a, t, 0, 590, ctx, 100);
    run(*l, *b, u, 0, 20, ctx);
    // decode a alone, then a together with b
    const std::vector<float> step = run(*l, *a, t, 590, 591, ctx);
    got.insert(got.end(), step.begin(), step.end());
    const std::vector<BatchEntry> batch = {{u[0], 20, b.get(), true}, {t[591], 591, a.get(), true}};
    std::vector<float> two(2 * nv);
    ASSERT_TRUE(forward(*l->model, batch, ctx, two.data()).ok());
    got.insert(got.end(), two.begin() + static_cast<ptrdiff_t>(nv), two.end());
    if (want.empty()) {
      want = got;
    } else {
      EXPECT_TRUE(same_bits(want, got)) << nth << " threads";
    }
  }
  auto c = new_cache(l->config(), 1024);
  ForwardContext one(l->config(), 1, nullptr);
  const std::vector<float> inc = run(*l, *c, t, 0, 592, one, 1);
  EXPECT_TRUE(same_bits(want, inc));
}

}  // namespace
}  // namespace r1::model::test
