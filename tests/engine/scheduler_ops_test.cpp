// Scheduler operations: many concurrent requests, the queue bound, cancel,
// the prefix cache, KV exhaustion, deadlines, errors, and throughput
// (informational).
#include <cstdio>
#include <thread>

#include "core/clock.h"
#include "scheduler_fixture.h"

namespace r1::engine {
namespace {

using std::chrono::milliseconds;

// Waits until the engine has published a state satisfying pred.
template <typename Pred>
bool eventually(const Scheduler& s, Pred pred, milliseconds timeout = milliseconds(5000)) {
  const auto end = SteadyClock::now() + timeout;
  while (SteadyClock::now() < end) {
    if (pred(s.stats())) return true;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return pred(s.stats());
}

TEST_F(SchedulerTest, TwentyConcurrentRequestsCompleteWithCorrectUsage) {
  SchedulerOptions o = options(4, 32);
  auto sched = make(o);
  std::vector<std::shared_ptr<CollectSink>> sinks;
  std::vector<std::thread> clients;
  std::mutex mu;
  for (int i = 0; i < 20; ++i) {
    clients.emplace_back([&, i] {
      auto sink = std::make_shared<CollectSink>();
      SchedRequest r = i % 3 ? greedy(filler_prompt(i), 3 + i % 7) : seeded(filler_prompt(i), 3 + i % 7, i);
      r.top_logprobs = i % 4 == 0 ? 3 : -1;
      ASSERT_TRUE(sched->submit(r, sink).ok());
      ASSERT_TRUE(sink->wait());
      EXPECT_FALSE(sink->failed);
      EXPECT_EQ(sink->info.prompt_tokens, static_cast<int64_t>(r.prompt.size()));
      const int64_t n = static_cast<int64_t>(sink->tokens.size()) + (sink->info.reason == FinishReason::kEog);
      EXPECT_EQ(sink->info.completion_tokens, n);
      EXPECT_EQ(sink->info.predicted_n, n);
      if (sink->info.reason == FinishReason::kMaxTokens) {
        EXPECT_EQ(n, 3 + i % 7);
      }
      EXPECT_EQ(sink->info.prompt_n + sink->info.cached_tokens, static_cast<int64_t>(r.prompt.size()));
      EXPECT_EQ(sink->logprobs.size(), r.top_logprobs >= 0 ? sink->tokens.size() : 0u);
      std::lock_guard<std::mutex> lock(mu);
      sinks.push_back(sink);
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(sinks.size(), 20u);
  ASSERT_TRUE(sched->drain(milliseconds(5000)));
  const SchedulerStats st = sched->stats();
  EXPECT_EQ(st.requests_finished, 20);
  EXPECT_EQ(st.queue_depth, 0);
  EXPECT_EQ(st.running_sequences, 0);
  EXPECT_GT(st.prompt_tokens, 0);
  EXPECT_GT(st.generated_tokens, 0);
  // Draining: new work is refused.
  auto late = sched->submit(greedy(prompt("late"), 2), std::make_shared<CollectSink>());
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kUnsupported);
}

TEST_F(SchedulerTest, FullQueueIsRejectedImmediately) {
  SchedulerOptions o = options(1);
  o.n_queue = 2;
  auto sched = make(o);
  std::vector<uint64_t> accepted;
  int rejected = 0;
  for (int i = 0; i < 8; ++i) {
    auto h = sched->submit(greedy(filler_prompt(i), 400), std::make_shared<CollectSink>());
    if (h.ok()) {
      accepted.push_back(*h);
    } else {
      EXPECT_EQ(h.error().code, ErrorCode::kResourceExhausted) << h.error().to_string();
      ++rejected;
    }
  }
  EXPECT_LE(accepted.size(), 3u);  // one running, two waiting
  EXPECT_GE(rejected, 5);
  for (uint64_t h : accepted) sched->cancel(h);
  EXPECT_TRUE(sched->drain(milliseconds(5000)));
}

TEST_F(SchedulerTest, CancelEndsWithinAStepAndFreesBlocks) {
  SchedulerOptions o = options(2);
  o.prefix_cache = false;  // so every block returns to the free list
  auto sched = make(o);
  const int64_t total = sched->kv_pool().n_blocks();
  auto sink = std::make_shared<CollectSink>();
  auto other = std::make_shared<CollectSink>();
  auto h = sched->submit(greedy(filler_prompt(4), -1), sink);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(sched->submit(greedy(filler_prompt(1), 6), other).ok());
  while (sink->n_tokens() < 5 && !sink->done()) std::this_thread::sleep_for(milliseconds(1));
  EXPECT_LT(sched->kv_pool().n_free_blocks(), total);
  const auto t0 = SteadyClock::now();
  sched->cancel(*h);
  sched->cancel(*h);  // idempotent
  ASSERT_TRUE(sink->wait());
  const double ms = seconds_since(t0) * 1000;
  EXPECT_EQ(sink->info.reason, FinishReason::kCancelled);
  ASSERT_TRUE(other->wait());
  EXPECT_TRUE(eventually(*sched, [&](const SchedulerStats& s) { return s.kv_free_blocks == total; }));
  EXPECT_EQ(sched->kv_pool().n_free_blocks(), total);
  std::printf("[ cancel ] finished %.2f ms after cancel()\n", ms);
  sched->cancel(987654);  // unknown handles are ignored
}

TEST_F(SchedulerTest, PrefixCacheReusesASharedSystemPrompt) {
  std::string system = "<｜begin▁of▁sentence｜>You are a careful assistant. Rules:";
  for (int i = 0; i < 40; ++i) system += " rule" + std::to_string(i) + " applies;";
  auto ask = [&](const std::string& q) { return greedy((*tok_)->encode(system + "<｜User｜>" + q + "<｜Assistant｜>", {false, true}), 8); };
  const SchedRequest a = ask("What is two plus two?");
  ASSERT_GT(a.prompt.size(), 200u);
  SchedulerOptions cold_opt = options(2);
  cold_opt.prefix_cache = false;
  auto cold = run(*make(cold_opt), a);

  auto sched = make(options(2));
  auto first = run(*sched, ask("Name a prime number."));
  EXPECT_EQ(first->info.cached_tokens, 0);
  auto warm = run(*sched, a);
  EXPECT_GT(warm->info.cached_tokens, 160);
  EXPECT_EQ(warm->info.prompt_n + warm->info.cached_tokens, static_cast<int64_t>(a.prompt.size()));
  EXPECT_GT(sched->stats().prefix_hit_tokens, 0);
  EXPECT_GT(sched->stats().prefix_cache_blocks, 0);
  EXPECT_EQ(warm->tokens, cold->tokens);
  EXPECT_EQ(warm->logprobs, cold->logprobs);
  // The identical request again: everything but the last block-aligned
  // remainder is reused, and the answer is the same.
  auto again = run(*sched, a);
  EXPECT_GE(again->info.cached_tokens, warm->info.cached_tokens);
  EXPECT_EQ(again->tokens, cold->tokens);
  std::printf("[ prefix ] prompt %zu tokens, reused %lld then %lld\n", a.prompt.size(),
              static_cast<long long>(warm->info.cached_tokens), static_cast<long long>(again->info.cached_tokens));
}

TEST_F(SchedulerTest, KvExhaustionMakesRequestsWaitNotFail) {
  SchedulerOptions o = options(6, 64);
  o.n_ctx = 256;
  o.kv_positions = 10 * 32;  // 10 blocks: about two long requests at a time
  auto sched = make(o);
  std::vector<std::shared_ptr<CollectSink>> sinks;
  for (int i = 0; i < 8; ++i) {
    std::string text = "<｜User｜>Long request " + std::to_string(i) + ":";
    for (int k = 0; k < 30; ++k) text += " item" + std::to_string(k + i);
    sinks.push_back(std::make_shared<CollectSink>());
    ASSERT_TRUE(sched->submit(greedy(prompt(text), 40), sinks.back()).ok());
  }
  for (auto& s : sinks) {
    ASSERT_TRUE(s->wait());
    EXPECT_FALSE(s->failed) << s->error.to_string();
    EXPECT_TRUE(s->info.reason == FinishReason::kMaxTokens || s->info.reason == FinishReason::kEog);
  }
  EXPECT_TRUE(eventually(*sched, [](const SchedulerStats& s) { return s.requests_finished == 8; }));
  EXPECT_GT(sched->stats().steps, 40);
}

TEST_F(SchedulerTest, DeadlineEndsRunningAndQueuedRequests) {
  SchedulerOptions o = options(1);
  o.n_ctx = 4096;
  auto sched = make(o);
  SchedRequest r = greedy(filler_prompt(2), -1);
  r.deadline = SteadyClock::now() + milliseconds(300);
  auto running = std::make_shared<CollectSink>();
  ASSERT_TRUE(sched->submit(r, running).ok());
  SchedRequest q = greedy(filler_prompt(3), 5);
  q.deadline = SteadyClock::now() + milliseconds(20);  // expires while waiting
  auto queued = std::make_shared<CollectSink>();
  ASSERT_TRUE(sched->submit(q, queued).ok());
  ASSERT_TRUE(running->wait());
  ASSERT_TRUE(queued->wait());
  EXPECT_EQ(running->info.reason, FinishReason::kDeadline);
  EXPECT_GT(running->info.completion_tokens, 0);
  EXPECT_EQ(queued->info.reason, FinishReason::kDeadline);
  EXPECT_EQ(queued->info.completion_tokens, 0);
}

TEST_F(SchedulerTest, InvalidRequestsAreRejected) {
  SchedulerOptions o = options(1);
  o.n_ctx = 64;
  auto sched = make(o);
  auto sink = std::make_shared<CollectSink>();
  auto expect_code = [&](SchedRequest r, ErrorCode code) {
    auto h = sched->submit(std::move(r), sink);
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error().code, code) << h.error().to_string();
  };
  expect_code(greedy({}, 4), ErrorCode::kInvalidArgument);
  expect_code(greedy(std::vector<int32_t>(65, 100), 4), ErrorCode::kInvalidArgument);
  expect_code(greedy({1, -3}, 4), ErrorCode::kInvalidArgument);
  SchedRequest bad = greedy({1, 2}, 4);
  bad.sampling.temperature = -1;
  expect_code(bad, ErrorCode::kInvalidArgument);
  SchedRequest resume = greedy(std::vector<int32_t>(60, 100), 10);
  resume.resume_tokens.assign(5, 100);
  expect_code(resume, ErrorCode::kInvalidArgument);
  EXPECT_EQ(sink->events, 0);
  o.kv_positions = 32;  // below one context
  EXPECT_FALSE(Scheduler::create(*model_, *tok_, o).ok());
}

TEST_F(SchedulerTest, StopStringAndReasoningSplit) {
  auto sched = make(options(2));
  SchedRequest r = greedy(prompt("<｜User｜>Once upon a time<｜Assistant｜>"), 16);
  auto full = run(*sched, r);
  ASSERT_GE(full->text.size(), 4u);
  const std::string stop = full->text.substr(full->text.size() / 2, 2);
  r.sampling.stop = {stop};
  r.split_reasoning = true;
  r.starts_in_reasoning = true;
  auto cut = run(*sched, r);
  EXPECT_EQ(cut->info.reason, FinishReason::kStopString);
  EXPECT_EQ(cut->text, full->text.substr(0, full->text.find(stop)));
  const tokenizer::ReasoningSplit want = tokenizer::split_reasoning(cut->text, true);
  EXPECT_EQ(cut->reasoning, want.reasoning);
  EXPECT_EQ(cut->content, want.content);
}

TEST_F(SchedulerTest, ThroughputAtOneFourAndEightSequences) {
  for (int n : {1, 4, 8}) {
    auto sched = make(options(n));
    std::vector<std::shared_ptr<CollectSink>> sinks;
    const auto t0 = SteadyClock::now();
    for (int i = 0; i < n; ++i) {
      sinks.push_back(std::make_shared<CollectSink>());
      ASSERT_TRUE(sched->submit(greedy(filler_prompt(i), 32), sinks.back()).ok());
    }
    int64_t generated = 0;
    for (auto& s : sinks) {
      ASSERT_TRUE(s->wait());
      generated += s->info.completion_tokens;
    }
    const double secs = seconds_since(t0);
    const SchedulerStats st = sched->stats();
    std::printf("[ throughput ] %d concurrent: %lld tokens in %.3f s = %.1f tok/s (%lld steps, %.1f ms forward"
                " + %.1f ms sampling per step)\n",
                n, static_cast<long long>(generated), secs, static_cast<double>(generated) / secs,
                static_cast<long long>(st.steps), 1000 * st.forward_seconds / static_cast<double>(st.steps),
                1000 * st.sample_seconds / static_cast<double>(st.steps));
  }
}

}  // namespace
}  // namespace r1::engine
