// PrefixCache over a small KvPool (no model): block-aligned lookup, sharing
// without copies, no duplicate nodes, LRU tail-first eviction that never
// frees a block still in use, and collisions treated as misses.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "engine/prefix_cache.h"

namespace r1::engine {
namespace {

constexpr int64_t kBs = 4;

class PrefixCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::ModelConfig c;
    c.n_layer = 1;
    c.n_head_kv = 1;
    c.head_dim = 2;
    auto p = model::KvPool::create(c, 16, kBs);
    ASSERT_TRUE(p.ok());
    pool_ = *p;
    cache_ = std::make_unique<PrefixCache>(pool_, 64);
  }

  // A cache holding tokens (K rows stamped with the position).
  std::unique_ptr<model::KvCache> filled(const std::vector<int32_t>& tokens) {
    auto c = model::KvCache::create(pool_, 64);
    EXPECT_TRUE(c.ok());
    const auto n = static_cast<int64_t>(tokens.size());
    EXPECT_TRUE((*c)->reserve(n).ok());
    for (int64_t pos = 0; pos < n; ++pos) (*c)->k(0, pos)[0] = static_cast<uint16_t>(tokens[static_cast<size_t>(pos)]);
    (*c)->set_size(n);
    return std::move(*c);
  }

  static std::vector<int32_t> seq(int32_t first, int n) {
    std::vector<int32_t> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), first);
    return v;
  }

  std::shared_ptr<model::KvPool> pool_;
  std::unique_ptr<PrefixCache> cache_;
};

TEST_F(PrefixCacheTest, LooksUpTheLongestBlockAlignedPrefix) {
  const std::vector<int32_t> a = seq(100, 10);  // two full blocks + 2
  {
    auto c = filled(a);
    cache_->insert(a, *c);
    EXPECT_EQ(cache_->n_nodes(), 2);
  }
  EXPECT_EQ(pool_->n_free_blocks(), 16 - 2);  // the partial block went back
  std::vector<int32_t> b = a;
  b[6] = 7;  // differs in the second block
  PrefixCache::Match m = cache_->lookup(b, 100);
  EXPECT_EQ(m.n_tokens, kBs);
  m = cache_->lookup(a, 100);
  ASSERT_EQ(m.n_tokens, 2 * kBs);
  EXPECT_EQ(cache_->lookup(a, 7).n_tokens, kBs);  // capped by max_tokens
  EXPECT_EQ(cache_->lookup(seq(0, 10), 100).n_tokens, 0);
  // Sharing reads the cached rows and copies nothing.
  auto fresh = model::KvCache::create(pool_, 64);
  ASSERT_TRUE((*fresh)->share_prefix_from(*m.donor, m.n_tokens).ok());
  EXPECT_EQ(pool_->n_free_blocks(), 16 - 2);
  for (int64_t pos = 0; pos < m.n_tokens; ++pos) EXPECT_EQ((*fresh)->k(0, pos)[0], a[static_cast<size_t>(pos)]);
}

TEST_F(PrefixCacheTest, ExtendingAPrefixAddsOnlyNewBlocks) {
  const std::vector<int32_t> sys = seq(1, 8);
  auto c1 = filled(sys);
  cache_->insert(sys, *c1);
  std::vector<int32_t> longer = sys;
  for (int32_t t : seq(50, 8)) longer.push_back(t);
  auto c2 = filled(longer);
  cache_->insert(longer, *c2);
  cache_->insert(longer, *c2);  // again: nothing new
  EXPECT_EQ(cache_->n_nodes(), 4);
  EXPECT_EQ(cache_->lookup(longer, 100).n_tokens, 16);
  EXPECT_EQ(cache_->lookup(sys, 100).n_tokens, 8);
}

TEST_F(PrefixCacheTest, EvictsTailFirstAndNeverABlockInUse) {
  const std::vector<int32_t> a = seq(10, 12);  // 3 blocks
  const std::vector<int32_t> b = seq(500, 8);  // 2 blocks
  {
    auto ca = filled(a);
    cache_->insert(a, *ca);
    auto cb = filled(b);
    cache_->insert(b, *cb);
  }
  EXPECT_EQ(pool_->n_free_blocks(), 16 - 5);
  cache_->lookup(a, 100);  // a is now the most recent
  // A running sequence holds b's first block.
  auto user = model::KvCache::create(pool_, 64);
  PrefixCache::Match mb = cache_->lookup(b, 4);
  ASSERT_EQ(mb.n_tokens, 4);
  ASSERT_TRUE((*user)->share_prefix_from(*mb.donor, 4).ok());
  // b's tail was not touched by the last lookup: it is the LRU block.
  EXPECT_EQ(cache_->evict(1), 1);
  EXPECT_EQ(cache_->lookup(b, 100).n_tokens, 4);
  EXPECT_EQ(cache_->lookup(a, 100).n_tokens, 12);
  EXPECT_EQ(cache_->evict(100), 3);  // all of a; b's head is in use
  EXPECT_EQ(cache_->lookup(b, 100).n_tokens, 4);
  user->reset();
  EXPECT_EQ(cache_->evict(100), 1);
  EXPECT_EQ(cache_->n_nodes(), 0);
  EXPECT_EQ(pool_->n_free_blocks(), 16);
}

TEST_F(PrefixCacheTest, DeeperBlocksAreEvictedBeforeTheirParents) {
  const std::vector<int32_t> a = seq(10, 16);  // 4 blocks, one chain
  {
    auto ca = filled(a);
    cache_->insert(a, *ca);
  }
  for (int n = 3; n >= 0; --n) {
    EXPECT_EQ(cache_->evict(1), 1);
    EXPECT_EQ(cache_->lookup(a, 100).n_tokens, n * kBs);
  }
  cache_->clear();
  EXPECT_EQ(pool_->n_free_blocks(), 16);
}

}  // namespace
}  // namespace r1::engine
