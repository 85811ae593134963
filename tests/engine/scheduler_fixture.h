// Shared fixture of the scheduler tests: a tiny synthetic qwen2 model with
// the real vocabulary, a collecting sink, and request helpers.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/scheduler.h"
#include "tiny_model.h"

namespace r1::engine {

// Records every event of one request; wait() blocks until the terminal one.
class CollectSink : public RequestSink {
 public:
  void on_token(const StreamEvent& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_FALSE(done_) << "event after the terminal one";
    if (e.token >= 0) tokens.push_back(e.token);
    if (e.logprobs) logprobs.push_back(e.logprobs->logprob);
    text += e.text;
    reasoning += e.reasoning;
    content += e.content;
    ++events;
  }
  void on_finish(const FinishInfo& i) override {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_FALSE(done_);
    info = i;
    done_ = true;
    cv_.notify_all();
  }
  void on_error(const Error& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_FALSE(done_);
    error = e;
    failed = true;
    done_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_; });
  }
  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  int n_tokens() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(tokens.size());
  }

  std::vector<int32_t> tokens;  // emitted (EOG is not)
  std::vector<float> logprobs;
  std::string text, reasoning, content;
  int events = 0;
  FinishInfo info;
  Error error;
  bool failed = false;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

class SchedulerTest : public test::TinyModelSuite {
 public:
  static SchedulerOptions options(int parallel, int64_t step_tokens = 256) {
    SchedulerOptions o;
    o.n_ctx = 512;
    o.n_parallel = parallel;
    o.n_queue = 64;
    o.step_tokens = step_tokens;
    o.n_threads = 2;
    return o;
  }
  static std::unique_ptr<Scheduler> make(const SchedulerOptions& o) {
    auto s = Scheduler::create(*model_, *tok_, o);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return s.ok() ? std::move(*s) : nullptr;
  }

  static std::vector<int32_t> prompt(const std::string& text) {
    return (*tok_)->encode(text, {true, true});
  }
  static SchedRequest greedy(std::vector<int32_t> ids, int max_tokens) {
    SchedRequest r;
    r.prompt = std::move(ids);
    r.sampling.temperature = 0;
    r.sampling.max_tokens = max_tokens;
    r.top_logprobs = 0;  // logprobs make bitwise comparisons of the logits
    return r;
  }
  static SchedRequest seeded(std::vector<int32_t> ids, int max_tokens, uint64_t seed) {
    SchedRequest r = greedy(std::move(ids), max_tokens);
    r.sampling.temperature = 1.0f;
    r.sampling.top_p = 0.95f;
    r.sampling.has_seed = true;
    r.sampling.seed = seed;
    return r;
  }

  // Submits and waits for one request.
  static std::shared_ptr<CollectSink> run(Scheduler& s, const SchedRequest& r) {
    auto sink = std::make_shared<CollectSink>();
    auto h = s.submit(r, sink);
    EXPECT_TRUE(h.ok()) << h.error().to_string();
    if (h.ok()) {
      EXPECT_TRUE(sink->wait());
    }
    return sink;
  }

  // Distinct prompts of different lengths.
  static std::vector<int32_t> filler_prompt(int i) {
    std::string text = "<｜User｜>Request " + std::to_string(i) + ":";
    for (int k = 0; k < 3 + 9 * (i % 5); ++k) text += " word" + std::to_string(k * (i + 1));
    return prompt(text + "<｜Assistant｜>");
  }
};

}  // namespace r1::engine
