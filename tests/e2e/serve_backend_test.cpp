// server::EngineBackend in process on the tiny synthetic model: readiness
// before attach(), request validation (sampling, context, queue), resume
// tokens continuing a greedy run exactly, cancellation, and the field
// mappings.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "gguf/gguf.h"
#include "serve_process.h"
#include "server/backend/engine_backend.h"

namespace r1::e2e {
namespace {

using server::EngineBackend;
using server::GenerationRequest;

// Collects one request's events.
class Collect final : public server::StreamSink {
 public:
  void on_token(const server::TokenEvent& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.token >= 0) ids.push_back(e.token);
    text += e.text;
  }
  void on_finish(const server::FinishEvent& f) override {
    std::lock_guard<std::mutex> lock(mu_);
    finish = f;
    done = true;
    cv_.notify_all();
  }
  void on_error(const Error&) override {
    std::lock_guard<std::mutex> lock(mu_);
    failed = done = true;
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return done; });
  }

  std::vector<int32_t> ids;
  std::string text;
  server::FinishEvent finish;
  bool done = false;
  bool failed = false;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

server::EngineSetup tiny_setup(int n_parallel, int n_queue) {
  auto file = gguf::File::open(tiny_model());
  CHECK(file.ok()) << file.error().to_string();
  server::EngineSetup s;
  auto model = model::Model::load(*file);
  CHECK(model.ok()) << model.error().to_string();
  auto tok = tokenizer::Tokenizer::from_gguf(**file);
  CHECK(tok.ok()) << tok.error().to_string();
  s.model = *model;
  s.tokenizer = std::shared_ptr<const tokenizer::Tokenizer>(std::move(*tok));
  s.template_options.bos_token = s.tokenizer->token_text(s.tokenizer->bos_id());
  s.scheduler.n_ctx = 256;
  s.scheduler.n_parallel = n_parallel;
  s.scheduler.n_queue = n_queue;
  s.scheduler.n_threads = 2;
  return s;
}

GenerationRequest greedy(const std::string& user, int max_tokens) {
  GenerationRequest r;
  r.messages = {{"user", user, ""}};
  r.max_tokens = max_tokens;
  r.sampling.temperature = 0.0f;
  return r;
}

TEST(ServeBackend, NotReadyUntilAttached) {
  EngineBackend b("m");
  EXPECT_FALSE(b.ready().ready);
  EXPECT_EQ(b.ready().reason, "loading model");
  auto r = b.submit(greedy("Hi", 2), std::make_shared<Collect>());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(b.stats().running_sequences, 0);
  ASSERT_TRUE(b.attach(tiny_setup(2, 4)).ok());
  EXPECT_TRUE(b.ready().ready);
  EXPECT_EQ(b.n_ctx(), 256);
}

TEST(ServeBackend, RejectsBadRequests) {
  EngineBackend b("m");
  ASSERT_TRUE(b.attach(tiny_setup(1, 0)).ok());
  GenerationRequest hot = greedy("Hi", 2);
  hot.sampling.temperature = -1.0f;
  auto r = b.submit(hot, std::make_shared<Collect>());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  std::string words;
  for (int i = 0; i < 300; ++i) words += " word";
  r = b.submit(greedy(words, 2), std::make_shared<Collect>());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kOutOfRange);  // -> context_length_exceeded
  GenerationRequest unknown_role = greedy("Hi", 2);
  unknown_role.messages[0].role = "wizard";
  r = b.submit(unknown_role, std::make_shared<Collect>());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  r = b.submit(greedy("Hi", 2), std::make_shared<Collect>());  // --queue 0
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);  // -> 429
}

TEST(ServeBackend, ResumeTokensContinueExactly) {
  EngineBackend b("m");
  ASSERT_TRUE(b.attach(tiny_setup(2, 4)).ok());
  auto full = std::make_shared<Collect>();
  ASSERT_TRUE(b.submit(greedy("Continue me", 12), full).ok());
  ASSERT_TRUE(full->wait());
  ASSERT_EQ(full->ids.size(), 12u);
  EXPECT_EQ(full->finish.reason, server::FinishReason::kLength);
  EXPECT_EQ(full->finish.usage.completion_tokens, 12);
  GenerationRequest rest = greedy("Continue me", 12);
  rest.resume_tokens.assign(full->ids.begin(), full->ids.begin() + 5);
  auto cont = std::make_shared<Collect>();
  ASSERT_TRUE(b.submit(rest, cont).ok());
  ASSERT_TRUE(cont->wait());
  EXPECT_EQ(cont->ids, std::vector<int32_t>(full->ids.begin() + 5, full->ids.end()));
  EXPECT_EQ(cont->finish.usage.completion_tokens, 12);
}

TEST(ServeBackend, CancelEndsTheRequest) {
  EngineBackend b("m");
  ASSERT_TRUE(b.attach(tiny_setup(2, 4)).ok());
  auto sink = std::make_shared<Collect>();
  auto h = b.submit(greedy("Go on forever", 200), sink);
  ASSERT_TRUE(h.ok());
  b.cancel(*h);
  b.cancel(*h);  // idempotent
  ASSERT_TRUE(sink->wait());
  EXPECT_EQ(sink->finish.reason, server::FinishReason::kCancelled);
  EXPECT_LT(sink->ids.size(), 200u);
}

TEST(ServeBackend, FieldMappings) {
  using EF = engine::FinishReason;
  using SF = server::FinishReason;
  EXPECT_EQ(server::finish_reason_from_engine(EF::kEog), SF::kStop);
  EXPECT_EQ(server::finish_reason_from_engine(EF::kStopString), SF::kStop);
  EXPECT_EQ(server::finish_reason_from_engine(EF::kMaxTokens), SF::kLength);
  EXPECT_EQ(server::finish_reason_from_engine(EF::kContextFull), SF::kLength);
  GenerationRequest r = greedy("Hi", 7);
  r.sampling = {};
  r.sampling.top_k = 5;
  r.sampling.seed = 9;
  r.stop = {"\n\n"};
  sampling::SamplingParams defaults;  // R1: temp 0.6, top_p 0.95
  auto p = server::sampling_from_request(r, defaults, 1000);
  ASSERT_TRUE(p.ok());
  EXPECT_FLOAT_EQ(p->temperature, 0.6f);
  EXPECT_FLOAT_EQ(p->top_p, 0.95f);
  EXPECT_EQ(p->top_k, 5);
  EXPECT_TRUE(p->has_seed);
  EXPECT_EQ(p->seed, 9u);
  EXPECT_EQ(p->max_tokens, 7);
  EXPECT_EQ(p->stop, r.stop);
  r.sampling.logit_bias = {{5000, 1.0f}};  // outside the vocabulary
  EXPECT_FALSE(server::sampling_from_request(r, defaults, 1000).ok());
}

}  // namespace
}  // namespace r1::e2e
