// Scheduler determinism: a request's tokens (and logprobs, bitwise) do not
// depend on the requests sharing its batches, on prefill chunking, on
// preemption, nor on being resumed from its own first tokens.
#include <bit>
#include <thread>

#include "engine/generate.h"
#include "scheduler_fixture.h"

namespace r1::engine {
namespace {

// Submits `target` among 7 others (different prompts and lengths, started
// at different times) and returns the target's sink.
std::shared_ptr<CollectSink> run_among_others(Scheduler& s, const SchedRequest& target,
                                              std::vector<std::shared_ptr<CollectSink>>* others) {
  auto target_sink = std::make_shared<CollectSink>();
  for (int i = 0; i < 7; ++i) {
    SchedRequest r = i % 2 == 0 ? SchedulerTest::seeded(SchedulerTest::filler_prompt(i), 6 + 3 * i, 100 + i)
                                : SchedulerTest::greedy(SchedulerTest::filler_prompt(i), 4 + 5 * i);
    auto sink = std::make_shared<CollectSink>();
    EXPECT_TRUE(s.submit(r, sink).ok());
    others->push_back(sink);
    if (i == 3) {
      EXPECT_TRUE(s.submit(target, target_sink).ok());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * i));
  }
  EXPECT_TRUE(target_sink->wait());
  for (auto& o : *others) EXPECT_TRUE(o->wait());
  return target_sink;
}

void expect_same(const CollectSink& a, const CollectSink& b, const char* what) {
  EXPECT_EQ(a.tokens, b.tokens) << what;
  ASSERT_EQ(a.logprobs.size(), b.logprobs.size()) << what;
  for (size_t i = 0; i < a.logprobs.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(a.logprobs[i]), std::bit_cast<uint32_t>(b.logprobs[i])) << what << " #" << i;
  }
  EXPECT_EQ(a.text, b.text) << what;
  EXPECT_EQ(a.info.reason, b.info.reason) << what;
  EXPECT_EQ(a.info.completion_tokens, b.info.completion_tokens) << what;
}

TEST_F(SchedulerTest, GreedyAloneEqualsAmongSevenOthersAndSession) {
  const SchedRequest target = greedy(prompt("<｜User｜>Tell me a story about a fox.<｜Assistant｜><think>\n"), 16);
  auto alone_sched = make(options(1));
  auto alone = run(*alone_sched, target);
  ASSERT_FALSE(alone->failed);
  ASSERT_FALSE(alone->tokens.empty());

  auto batched_sched = make(options(8, 16));  // small budget: chunked prefill next to decodes
  std::vector<std::shared_ptr<CollectSink>> others;
  auto batched = run_among_others(*batched_sched, target, &others);
  expect_same(*alone, *batched, "greedy alone vs batched");
  EXPECT_GT(batched_sched->stats().steps, 0);

  // The single-sequence Session agrees (greedy uses the same argmax).
  SessionOptions so;
  so.n_ctx = 512;
  so.n_threads = 2;
  auto session = Session::create(*model_, *tok_, so);
  ASSERT_TRUE(session.ok());
  GenerateRequest gr{target.prompt, target.sampling};
  auto stats = (*session)->generate(gr, [](const TokenEvent&) { return true; });
  ASSERT_TRUE(stats.ok());
  std::vector<int32_t> want = stats->tokens;
  if (!want.empty() && (*tok_)->is_eog(want.back())) want.pop_back();
  EXPECT_EQ(alone->tokens, want);
  // (Texts may differ where bytes are invalid UTF-8: the scheduler's
  // StreamDecoder writes U+FFFD, Session's Utf8Buffer passes them through.)
}

TEST_F(SchedulerTest, SeededAloneEqualsAmongOthers) {
  const SchedRequest target = seeded(prompt("<｜User｜>Name three colours.<｜Assistant｜>"), 20, 4242);
  auto alone = run(*make(options(1)), target);
  ASSERT_FALSE(alone->tokens.empty());
  auto sched = make(options(8, 24));
  std::vector<std::shared_ptr<CollectSink>> others;
  auto batched = run_among_others(*sched, target, &others);
  expect_same(*alone, *batched, "seeded alone vs batched");
  // Another seed gives other tokens (the seed is used at all).
  SchedRequest other = target;
  other.sampling.seed = 7;
  auto diff = run(*sched, other);
  EXPECT_NE(diff->tokens, alone->tokens);
}

TEST_F(SchedulerTest, PrefillChunkingDoesNotChangeResults) {
  std::string long_text = "<｜User｜>";
  for (int i = 0; i < 60; ++i) long_text += " token" + std::to_string(i);
  const SchedRequest r = greedy(prompt(long_text + "<｜Assistant｜>"), 10);
  ASSERT_GT(r.prompt.size(), 100u);
  SchedulerOptions whole = options(1, 512);
  whole.prefix_cache = false;
  auto a = run(*make(whole), r);
  for (int64_t budget : {1, 7, 32, 33}) {
    SchedulerOptions o = options(1, budget);
    o.prefix_cache = false;
    auto b = run(*make(o), r);
    expect_same(*a, *b, ("step budget " + std::to_string(budget)).c_str());
  }
}

TEST_F(SchedulerTest, ResumeContinuesExactly) {
  for (bool sampled : {false, true}) {
    const std::vector<int32_t> ids = prompt("<｜User｜>Count to ten, slowly.<｜Assistant｜><think>\n");
    SchedRequest full = sampled ? seeded(ids, 14, 99) : greedy(ids, 14);
    full.split_reasoning = true;
    full.starts_in_reasoning = true;
    auto sched = make(options(2));
    auto whole = run(*sched, full);
    ASSERT_GE(whole->tokens.size(), 6u) << "the model ended early";
    SchedRequest resumed = full;
    resumed.resume_tokens.assign(whole->tokens.begin(), whole->tokens.begin() + 5);
    auto rest = run(*sched, resumed);
    std::vector<int32_t> joined = resumed.resume_tokens;
    joined.insert(joined.end(), rest->tokens.begin(), rest->tokens.end());
    EXPECT_EQ(joined, whole->tokens) << (sampled ? "seeded" : "greedy");
    EXPECT_EQ(rest->info.completion_tokens, whole->info.completion_tokens);
    EXPECT_EQ(rest->info.prompt_tokens, whole->info.prompt_tokens);
    EXPECT_EQ(rest->info.predicted_n, whole->info.predicted_n - 5);
    // The text of the continuation is the tail of the whole text.
    ASSERT_LE(rest->text.size(), whole->text.size());
    EXPECT_EQ(whole->text.substr(whole->text.size() - rest->text.size()), rest->text);
  }
}

// Records the order in which requests finish.
class OrderSink : public CollectSink {
 public:
  explicit OrderSink(std::atomic<int>* clock) : clock_(clock) {}
  void on_finish(const FinishInfo& i) override {
    order = clock_->fetch_add(1);
    CollectSink::on_finish(i);
  }
  int order = -1;

 private:
  std::atomic<int>* clock_;
};

// One slot, busy: a continuation submitted after a new request is admitted
// first (its client is mid-stream); new requests stay FIFO among themselves.
TEST_F(SchedulerTest, ContinuationsQueueAheadOfNewRequests) {
  auto sched = make(options(1));
  const std::vector<int32_t> ids = prompt("<｜User｜>Count to ten.<｜Assistant｜>");
  auto whole = run(*sched, greedy(ids, 6));
  ASSERT_GE(whole->tokens.size(), 3u);
  auto busy = std::make_shared<CollectSink>();
  auto h = sched->submit(greedy(filler_prompt(2), -1), busy);
  ASSERT_TRUE(h.ok());
  while (busy->n_tokens() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::atomic<int> clock{0};
  auto first_new = std::make_shared<OrderSink>(&clock);
  auto second_new = std::make_shared<OrderSink>(&clock);
  auto resumed_sink = std::make_shared<OrderSink>(&clock);
  SchedRequest resumed = greedy(ids, 6);
  resumed.resume_tokens.assign(whole->tokens.begin(), whole->tokens.begin() + 2);
  ASSERT_TRUE(sched->submit(greedy(filler_prompt(3), 3), first_new).ok());
  ASSERT_TRUE(sched->submit(greedy(filler_prompt(4), 3), second_new).ok());
  ASSERT_TRUE(sched->submit(resumed, resumed_sink).ok());
  EXPECT_EQ(sched->stats().queue_depth, 3);
  sched->cancel(*h);
  for (auto* s : {first_new.get(), second_new.get(), resumed_sink.get()}) ASSERT_TRUE(s->wait());
  EXPECT_EQ(resumed_sink->order, 0);
  EXPECT_EQ(first_new->order, 1);
  EXPECT_EQ(second_new->order, 2);
  std::vector<int32_t> joined = resumed.resume_tokens;
  joined.insert(joined.end(), resumed_sink->tokens.begin(), resumed_sink->tokens.end());
  EXPECT_EQ(joined, whole->tokens);  // and still exact
}

TEST_F(SchedulerTest, ResumeThatAlreadyEndsFinishesAtOnce) {
  auto sched = make(options(1));
  SchedRequest r = greedy(prompt("Hello"), 3);
  r.resume_tokens = {100, 200, 300};
  auto sink = run(*sched, r);
  EXPECT_EQ(sink->info.reason, FinishReason::kMaxTokens);
  EXPECT_EQ(sink->info.completion_tokens, 3);
  EXPECT_EQ(sink->info.predicted_n, 0);
  EXPECT_TRUE(sink->tokens.empty());
}

TEST_F(SchedulerTest, PreemptedSequencesRecomputeExactly) {
  // A pool of 12 blocks of 16 positions for 4 slots: decode growth forces
  // waiting and preemption; every output equals the request run alone.
  SchedulerOptions tight = options(4, 32);
  tight.n_ctx = 160;
  tight.block_size = 16;
  tight.kv_positions = 12 * 16;
  auto sched = make(tight);
  std::vector<SchedRequest> reqs;
  std::vector<std::shared_ptr<CollectSink>> sinks;
  for (int i = 0; i < 8; ++i) {
    reqs.push_back(i % 2 ? seeded(filler_prompt(i), 32, 500 + i) : greedy(filler_prompt(i), 32));
    sinks.push_back(std::make_shared<CollectSink>());
    ASSERT_TRUE(sched->submit(reqs.back(), sinks.back()).ok());
  }
  for (auto& s : sinks) ASSERT_TRUE(s->wait());
  const SchedulerStats st = sched->stats();
  EXPECT_GT(st.preemptions, 0) << "the budget was meant to force preemption";
  SchedulerOptions roomy = options(1);
  roomy.n_ctx = tight.n_ctx;  // the same context end
  roomy.prefix_cache = false;
  auto alone_sched = make(roomy);
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_FALSE(sinks[i]->failed) << sinks[i]->error.to_string();
    auto alone = run(*alone_sched, reqs[i]);
    expect_same(*alone, *sinks[i], ("request " + std::to_string(i)).c_str());
  }
}

}  // namespace
}  // namespace r1::engine
