// The forward pass against the double-precision reference, and the cache and
// batching properties: incremental decode == full forward, batch invariance.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/thread_pool.h"
#include "model/kv/kv_cache.h"
#include "model/transformer.h"
#include "model_util.h"

namespace r1::model::test {
namespace {

using Loaded = LoadedTiny;
std::unique_ptr<Loaded> load(const TinySpec& spec) { return load_tiny_model(spec); }

std::unique_ptr<KvCache> new_cache(const Loaded& l, int64_t n_ctx = 64) {
  auto cache = KvCache::create(l.config(), n_ctx);
  CHECK(cache.ok());
  return std::move(*cache);
}


// Runs tokens [begin, end) of a sequence as one batch; logits of every token.
std::vector<float> run(const Loaded& l, KvCache& cache, const std::vector<int32_t>& tokens, size_t begin, size_t end,
                       ForwardContext& ctx) {
  return forward_logits(l, cache, tokens, begin, end, ctx);
}

struct RefCase {
  const char* name;
  TinySpec spec;
  double min_cosine;
};

void PrintTo(const RefCase& c, std::ostream* os) { *os << c.name; }

class ForwardVsReference : public ::testing::TestWithParam<RefCase> {};

TEST_P(ForwardVsReference, LogitsMatchAtEveryPosition) {
  const RefCase& rc = GetParam();
  auto l = load(rc.spec);
  const std::vector<int32_t> tokens = random_tokens(12, 7);
  auto cache = new_cache(*l);
  ForwardContext ctx(l->config(), 16, nullptr);
  const std::vector<float> got = run(*l, *cache, tokens, 0, tokens.size(), ctx);
  const auto want = reference_forward(rc.spec, l->model->file(), tokens);
  const auto n_vocab = static_cast<size_t>(l->config().n_vocab);
  for (size_t t = 0; t < tokens.size(); ++t) {
    double spread = 0;
    for (double x : want[t]) spread = std::max(spread, std::abs(x));
    EXPECT_GT(spread, 0.5) << "degenerate logits at " << t;
    EXPECT_GT(cosine(want[t], got.data() + t * n_vocab), rc.min_cosine) << "position " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Archs, ForwardVsReference,
    ::testing::Values(RefCase{"qwen2_f32", {.arch = Arch::kQwen2}, 0.9999},
                      RefCase{"llama_f32_tied_freqs", {.arch = Arch::kLlama, .tied = true, .rope_freqs = true}, 0.9999},
                      RefCase{"llama_f32_mha", {.arch = Arch::kLlama, .n_head_kv = 4}, 0.9999},
                      RefCase{"qwen3_f32_tied", {.arch = Arch::kQwen3, .tied = true}, 0.9999},
                      RefCase{"qwen2_f16_vectors", {.arch = Arch::kQwen2, .vector_type = DType::kF16}, 0.9999},
                      RefCase{"qwen2_q8_0", {.arch = Arch::kQwen2, .weight_type = DType::kQ8_0}, 0.9995},
                      RefCase{"qwen3_q4_0", {.arch = Arch::kQwen3, .weight_type = DType::kQ4_0}, 0.999},
                      RefCase{"llama_q4_K",
                              {.arch = Arch::kLlama, .weight_type = DType::kQ4_K, .n_embd = 256, .n_ff = 256,
                               .rope_freqs = true},
                              0.999}),
    [](const ::testing::TestParamInfo<RefCase>& info) { return std::string(info.param.name); });

void expect_bitwise_equal(const float* a, const float* b, size_t n, const std::string& what) {
  EXPECT_EQ(std::memcmp(a, b, n * sizeof(float)), 0) << what;
}

TEST(Forward, IncrementalDecodeEqualsFullForward) {
  for (const TinySpec& spec : {TinySpec{.arch = Arch::kQwen2}, TinySpec{.arch = Arch::kLlama, .rope_freqs = true},
                               TinySpec{.arch = Arch::kQwen3, .weight_type = DType::kQ8_0}}) {
    auto l = load(spec);
    const auto n_vocab = static_cast<size_t>(l->config().n_vocab);
    const std::vector<int32_t> tokens = random_tokens(10, 3);
    ForwardContext ctx(l->config(), 16, nullptr);
    auto full_cache = new_cache(*l);
    const std::vector<float> full = run(*l, *full_cache, tokens, 0, tokens.size(), ctx);
    auto cache = new_cache(*l);
    std::vector<float> inc = run(*l, *cache, tokens, 0, 4, ctx);  // prefill 4
    for (size_t t = 4; t < tokens.size(); ++t) {                  // then decode one at a time
      const std::vector<float> step = run(*l, *cache, tokens, t, t + 1, ctx);
      inc.insert(inc.end(), step.begin(), step.end());
    }
    EXPECT_EQ(cache->size(), 10);
    for (size_t t = 0; t < tokens.size(); ++t) {
      expect_bitwise_equal(full.data() + t * n_vocab, inc.data() + t * n_vocab, n_vocab,
                           "position " + std::to_string(t));
    }
  }
}

TEST(Forward, ChunksAndThreadsDoNotChangeResults) {
  auto l = load({.arch = Arch::kQwen2, .weight_type = DType::kQ8_0});
  const std::vector<int32_t> tokens = random_tokens(11, 5);
  ForwardContext one(l->config(), 16, nullptr);
  auto c1 = new_cache(*l);
  const std::vector<float> want = run(*l, *c1, tokens, 0, tokens.size(), one);
  ThreadPool pool(2);
  ForwardContext chunked(l->config(), 3, &pool);  // 11 tokens in chunks of 3, on 2 threads
  auto c2 = new_cache(*l);
  const std::vector<float> got = run(*l, *c2, tokens, 0, tokens.size(), chunked);
  expect_bitwise_equal(want.data(), got.data(), want.size(), "chunked on 2 threads");
}

TEST(Forward, BatchOfTwoSequencesEqualsEachAlone) {
  auto l = load({.arch = Arch::kQwen2});
  const auto n_vocab = static_cast<size_t>(l->config().n_vocab);
  const std::vector<int32_t> a = random_tokens(7, 11), b = random_tokens(5, 12);
  ThreadPool pool(2);
  ForwardContext ctx(l->config(), 8, &pool);
  // Alone: A decodes position 6, B decodes positions 3 and 4.
  auto ca = new_cache(*l), cb = new_cache(*l);
  run(*l, *ca, a, 0, 6, ctx);
  run(*l, *cb, b, 0, 3, ctx);
  const std::vector<float> a6 = run(*l, *ca, a, 6, 7, ctx);
  const std::vector<float> b34 = run(*l, *cb, b, 3, 5, ctx);
  // Together, interleaved: {B3, A6, B4}.
  auto ca2 = new_cache(*l), cb2 = new_cache(*l);
  run(*l, *ca2, a, 0, 6, ctx);
  run(*l, *cb2, b, 0, 3, ctx);
  const std::vector<BatchEntry> batch = {{b[3], 3, cb2.get(), true}, {a[6], 6, ca2.get(), true},
                                         {b[4], 4, cb2.get(), true}};
  std::vector<float> logits(3 * n_vocab);
  ASSERT_TRUE(forward(*l->model, batch, ctx, logits.data()).ok());
  expect_bitwise_equal(logits.data(), b34.data(), n_vocab, "B pos 3");
  expect_bitwise_equal(logits.data() + n_vocab, a6.data(), n_vocab, "A pos 6");
  expect_bitwise_equal(logits.data() + 2 * n_vocab, b34.data() + n_vocab, n_vocab, "B pos 4");
  EXPECT_EQ(ca2->size(), 7);
  EXPECT_EQ(cb2->size(), 5);
}

TEST(Forward, OnlyRequestedLogitsAreWritten) {
  auto l = load({.arch = Arch::kQwen3});
  const auto n_vocab = static_cast<size_t>(l->config().n_vocab);
  const std::vector<int32_t> tokens = random_tokens(5, 9);
  ForwardContext ctx(l->config(), 8, nullptr);
  auto c1 = new_cache(*l);
  const std::vector<float> all = run(*l, *c1, tokens, 0, 5, ctx);
  auto c2 = new_cache(*l);
  std::vector<BatchEntry> batch;
  for (int32_t i = 0; i < 5; ++i) batch.push_back({tokens[i], i, c2.get(), i == 4});
  std::vector<float> last(n_vocab);
  ASSERT_TRUE(forward(*l->model, batch, ctx, last.data()).ok());
  expect_bitwise_equal(last.data(), all.data() + 4 * n_vocab, n_vocab, "last row");
  // No logits wanted at all: no output buffer needed.
  auto c3 = new_cache(*l);
  for (BatchEntry& e : batch) e = {e.token, e.pos, c3.get(), false};
  ASSERT_TRUE(forward(*l->model, batch, ctx, nullptr).ok());
  EXPECT_EQ(c3->size(), 5);
}

TEST(Forward, TruncateAndClearReplayTheSameLogits) {
  auto l = load({.arch = Arch::kLlama, .rope_freqs = true});
  const auto n_vocab = static_cast<size_t>(l->config().n_vocab);
  const std::vector<int32_t> tokens = random_tokens(8, 21);
  ForwardContext ctx(l->config(), 8, nullptr);
  auto cache = new_cache(*l);
  const std::vector<float> first = run(*l, *cache, tokens, 0, 8, ctx);
  cache->truncate(5);
  const std::vector<float> replay = run(*l, *cache, tokens, 5, 8, ctx);
  expect_bitwise_equal(first.data() + 5 * n_vocab, replay.data(), 3 * n_vocab, "after truncate");
  cache->clear();
  const std::vector<float> again = run(*l, *cache, tokens, 0, 8, ctx);
  expect_bitwise_equal(first.data(), again.data(), first.size(), "after clear");
}

TEST(Forward, ContextOverflowIsAnErrorAndTouchesNothing) {
  auto l = load({.arch = Arch::kQwen2});
  const std::vector<int32_t> tokens = random_tokens(5, 1);
  ForwardContext ctx(l->config(), 8, nullptr);
  auto cache = new_cache(*l, 4);
  std::vector<BatchEntry> batch;
  for (int32_t i = 0; i < 5; ++i) batch.push_back({tokens[i], i, cache.get(), false});
  Status s = forward(*l->model, batch, ctx, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(s.error().message.find("context full: position 4 is past the context length 4"), std::string::npos)
      << s.error().to_string();
  EXPECT_EQ(cache->size(), 0);
  batch.pop_back();
  ASSERT_TRUE(forward(*l->model, batch, ctx, nullptr).ok());
  const BatchEntry next{tokens[4], 4, cache.get(), false};
  EXPECT_EQ(forward(*l->model, std::span(&next, 1), ctx, nullptr).error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(cache->size(), 4);
}

TEST(Forward, InvalidEntriesAreErrors) {
  auto l = load({.arch = Arch::kQwen2});
  auto other = load({.arch = Arch::kQwen2, .n_layer = 3});
  ForwardContext ctx(l->config(), 8, nullptr);
  auto cache = new_cache(*l);
  auto wrong_cache = new_cache(*other);
  const std::vector<std::vector<BatchEntry>> bad = {
      {{1, 1, cache.get(), false}},                              // skips position 0
      {{1, 0, cache.get(), false}, {2, 0, cache.get(), false}},  // repeats a position
      {{64, 0, cache.get(), false}},                             // outside the vocabulary
      {{-1, 0, cache.get(), false}},
      {{1, 0, nullptr, false}},
      {{1, 0, wrong_cache.get(), false}},                        // cache of another shape
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    Status s = forward(*l->model, bad[i], ctx, nullptr);
    ASSERT_FALSE(s.ok()) << i;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << i;
    EXPECT_EQ(cache->size(), 0) << i;
  }
}

}  // namespace
}  // namespace r1::model::test
