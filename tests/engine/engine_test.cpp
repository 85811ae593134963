// Session: deterministic greedy generation, KV prefix reuse equal to a fresh
// session, stop strings, cancellation, errors, and the UTF-8 hold-back.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/generate.h"
#include "tiny_model.h"

namespace r1::engine {
namespace {

class EngineTest : public test::TinyModelSuite {
 protected:
  static std::unique_ptr<Session> session(int threads = 2, int64_t n_ctx = 256) {
    SessionOptions o;
    o.n_ctx = n_ctx;
    o.n_threads = threads;
    o.max_batch = 8;  // several chunks for the prompts below
    auto s = Session::create(*model_, *tok_, o);
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }

  static std::vector<int32_t> prompt(const std::string& text) {
    return (*tok_)->encode(text, {true, true});
  }

  static GenerateRequest greedy(std::vector<int32_t> ids, int max_tokens) {
    GenerateRequest r;
    r.prompt = std::move(ids);
    r.sampling.temperature = 0;
    r.sampling.max_tokens = max_tokens;
    return r;
  }

  static GenerateStats run(Session& s, const GenerateRequest& r) {
    auto stats = s.generate(r, [](const TokenEvent&) { return true; });
    EXPECT_TRUE(stats.ok()) << stats.error().to_string();
    return stats.ok() ? *stats : GenerateStats{};
  }
};

TEST_F(EngineTest, GreedyIsDeterministicAcrossSessionsAndThreads) {
  GenerateRequest r = greedy(prompt("<｜User｜>Tell me a story.<｜Assistant｜><think>\n"), 12);
  GenerateStats a = run(*session(2), r);
  GenerateStats b = run(*session(1), r);
  ASSERT_FALSE(a.tokens.empty());
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.n_prompt, static_cast<int64_t>(r.prompt.size()));
  EXPECT_EQ(a.n_prompt_reused, 0);
  if (a.stop_reason == StopReason::kMaxTokens) {
    EXPECT_EQ(a.n_generated, 12);
  }
}

TEST_F(EngineTest, PrefixReuseMatchesFreshSession) {
  auto s = session();
  GenerateRequest first = greedy(prompt("<｜User｜>Hi there<｜Assistant｜>"), 6);
  GenerateStats t1 = run(*s, first);
  // Second turn: the history, the answer, and a new user message.
  std::vector<int32_t> ids = first.prompt;
  ids.insert(ids.end(), t1.tokens.begin(), t1.tokens.end());
  std::vector<int32_t> more = (*tok_)->encode("<｜User｜>And then?<｜Assistant｜>", {false, true});
  ids.insert(ids.end(), more.begin(), more.end());
  GenerateRequest second = greedy(ids, 8);
  GenerateStats reused = run(*s, second);
  EXPECT_GE(reused.n_prompt_reused, static_cast<int64_t>(first.prompt.size()));
  GenerateStats fresh = run(*session(), second);
  EXPECT_EQ(fresh.n_prompt_reused, 0);
  EXPECT_EQ(reused.tokens, fresh.tokens);
  // The identical prompt again: everything but the last token is reused.
  GenerateStats again = run(*s, second);
  EXPECT_EQ(again.n_prompt_reused, static_cast<int64_t>(ids.size()) - 1);
  EXPECT_EQ(again.tokens, fresh.tokens);
}

TEST_F(EngineTest, ScoreMatchesGeneration) {
  auto s = session();
  std::vector<int32_t> ids = prompt("The quick brown fox");
  auto logits = s->score(ids);
  ASSERT_TRUE(logits.ok());
  const auto n_vocab = static_cast<size_t>((*model_)->config().n_vocab);
  ASSERT_EQ(logits->size(), ids.size() * n_vocab);
  const float* last = logits->data() + (ids.size() - 1) * n_vocab;
  const int32_t argmax = static_cast<int32_t>(std::max_element(last, last + n_vocab) - last);
  GenerateStats g = run(*session(), greedy(ids, 1));
  ASSERT_EQ(g.tokens.size(), 1u);
  EXPECT_EQ(g.tokens[0], argmax);
}

TEST_F(EngineTest, StopStringCutsTheText) {
  GenerateRequest r = greedy(prompt("Once upon a time"), 16);
  GenerateStats full = run(*session(), r);
  ASSERT_GE(full.text.size(), 4u);
  const std::string stop = full.text.substr(full.text.size() / 2, 2);
  r.sampling.stop = {stop};
  GenerateStats cut = run(*session(), r);
  EXPECT_EQ(cut.stop_reason, StopReason::kStopString);
  EXPECT_EQ(cut.text, full.text.substr(0, full.text.find(stop)));
}

TEST_F(EngineTest, CallbackCanCancel) {
  auto s = session();
  int calls = 0;
  auto stats = s->generate(greedy(prompt("Count: one two"), 50), [&](const TokenEvent&) {
    return ++calls < 3;
  });
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->stop_reason, StopReason::kCancelled);
  EXPECT_EQ(stats->n_generated, 3);
}

TEST_F(EngineTest, ContextLimitAndErrors) {
  auto s = session(2, 16);
  GenerateStats g = run(*s, greedy(prompt("a b c d e f g h"), -1));
  EXPECT_EQ(g.stop_reason == StopReason::kContextFull || g.stop_reason == StopReason::kEog, true);
  auto noop = [](const TokenEvent&) { return true; };
  EXPECT_FALSE(s->generate(greedy({}, 4), noop).ok());
  EXPECT_FALSE(s->generate(greedy({1, 999999999}, 4), noop).ok());
  std::vector<int32_t> longp(40, 100);
  auto too_long = s->generate(greedy(longp, 4), noop);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::kResourceExhausted);
  GenerateRequest bad = greedy(prompt("x"), 4);
  bad.sampling.temperature = -1;
  EXPECT_FALSE(s->generate(bad, noop).ok());
}

TEST(Utf8BufferTest, HoldsIncompleteCharacters) {
  Utf8Buffer b;
  const std::string euro = "\xe2\x82\xac";  // U+20AC, 3 bytes
  EXPECT_EQ(b.push("a" + euro.substr(0, 1)), "a");
  EXPECT_EQ(b.push(euro.substr(1, 1)), "");
  EXPECT_EQ(b.push(euro.substr(2) + "b"), euro + "b");
  EXPECT_EQ(b.push("\xf0\x9f"), "");
  EXPECT_EQ(b.finish(), "\xf0\x9f");
  EXPECT_EQ(b.push("plain"), "plain");
}

}  // namespace
}  // namespace r1::engine
