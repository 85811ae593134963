// `r1serve serve` end to end on the tiny synthetic model: one server per
// test process (--parallel 8 --queue 64 --ctx 512), real HTTP on loopback.
// Reasoning vs content, stream == non-stream, greedy batch invariance, 64
// concurrent streams, disconnects freeing KV, bad inputs, /metrics.
#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "serve_test_util.h"

namespace r1::e2e {
namespace {

constexpr int32_t kThinkClose = 151649;  // "</think>" in the Qwen2 vocab

class ServeApi : public SharedServeTest<ServeApi> {
 public:
  static std::vector<std::string> server_args() {
    return {"-m", tiny_model(), "--parallel", "8", "--queue", "64", "--ctx", "512",
            "--threads", "2", "--http-threads", "4"};
  }
};

TEST_F(ServeApi, ReasoningStreamsAndMatchesNonStream) {
  // The R1 template pre-fills "<think>\n": without a "</think>" all is reasoning.
  const json body = chat_json("Why is the sky blue?", 24);
  const Answer plain = ask(port(), body);
  const Answer streamed = ask_stream(port(), body);
  ASSERT_EQ(plain.status, 200) << plain.body;
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_FALSE(plain.reasoning.empty());
  EXPECT_GT(streamed.reasoning_deltas, 1);
  EXPECT_EQ(streamed.reasoning, plain.reasoning);
  EXPECT_EQ(streamed.content, plain.content);
  EXPECT_EQ(plain.finish_reason, "length");
  EXPECT_EQ(streamed.finish_reason, "length");
  EXPECT_TRUE(streamed.done);
  const json usage = parse(post(port(), "/v1/chat/completions", body).body)["usage"];
  EXPECT_EQ(usage["completion_tokens"], 24);
}

TEST_F(ServeApi, ThinkCloseSplitsContent) {
  // Forcing "</think>" closes the (empty) reasoning; the later ones are text.
  const json body = chat_json("Hi", 3, {{"logit_bias", {{std::to_string(kThinkClose), 100}}}});
  const Answer plain = ask(port(), body);
  const Answer streamed = ask_stream(port(), body);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.reasoning, "");
  EXPECT_EQ(plain.content, "</think></think>");
  EXPECT_EQ(streamed.content, plain.content);
  EXPECT_EQ(streamed.reasoning_deltas, 0);
  // reasoning_format "none": the raw text, tags included, as content.
  json raw = body;
  raw["reasoning_format"] = "none";
  EXPECT_EQ(ask(port(), raw).content, "</think></think></think>");
}

TEST_F(ServeApi, CompletionsWithLogprobs) {
  const json body = {{"prompt", "Hello"}, {"max_tokens", 4}, {"temperature", 0}, {"logprobs", 2}};
  const ClientResponse r = post(port(), "/v1/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = parse(r.body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["logprobs"]["tokens"].size(), 4u);
  EXPECT_EQ(j["choices"][0]["logprobs"]["top_logprobs"][0].size(), 2u);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 2);  // BOS (the model's default) + "Hello"
}

TEST_F(ServeApi, GreedyIsBatchInvariant) {
  const json probe = chat_json("Tell me about batching.", 32);
  const Answer alone = ask(port(), probe);
  ASSERT_EQ(alone.status, 200) << alone.body;
  std::vector<Answer> answers(8);
  std::barrier sync(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      json body = i == 3 ? probe
                         : chat_json(std::string(static_cast<size_t>(1 + 7 * i), 'x') + " other", 24 + i,
                                     {{"temperature", 0.8}, {"seed", i}});
      sync.arrive_and_wait();
      answers[static_cast<size_t>(i)] = i % 2 == 0 ? ask_stream(port(), body) : ask(port(), body);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Answer& a : answers) EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(answers[3].reasoning, alone.reasoning);
  EXPECT_EQ(answers[3].content, alone.content);
}

TEST_F(ServeApi, SixtyFourConcurrentStreamsComplete) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      const Answer a = ask_stream(port(), chat_json("stream " + std::to_string(i), 8));
      if (a.status == 200 && a.done && a.finish_reason == "length") ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 64);
  EXPECT_TRUE(wait_metric(port(), "r1serve_running_sequences", 0, std::chrono::seconds(5)));
}

TEST_F(ServeApi, DisconnectFreesKv) {
  const double generated_before = metric(scrape(port()), "r1serve_generation_tokens_total");
  server::test::RawConnection conn(port());
  ASSERT_TRUE(conn.send(raw_stream_request("Write a long story.", 480)));
  ASSERT_NE(conn.read_until("reasoning_content", 10'000), "");
  // The stats are published after the step that sent the first token.
  EXPECT_TRUE(wait_metric(port(), "r1serve_running_sequences", 1, std::chrono::seconds(5)));
  EXPECT_GT(metric(scrape(port()), "r1serve_kv_cache_usage_ratio"), 0);
  conn.close();
  EXPECT_TRUE(wait_metric(port(), "r1serve_running_sequences", 0, std::chrono::seconds(5)));
  EXPECT_TRUE(wait_metric(port(), "r1serve_kv_cache_usage_ratio", 0, std::chrono::seconds(5)));
  // Cancelled early: far fewer than 480 tokens were generated.
  EXPECT_LT(metric(scrape(port()), "r1serve_generation_tokens_total") - generated_before, 480);
}

void expect_api_error(const ClientResponse& r, int status, const std::string& code = "") {
  EXPECT_EQ(r.status, status) << r.body;
  const json j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(!j.is_discarded() && j.contains("error")) << r.body;
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_TRUE(j["error"]["type"].is_string());
  if (!code.empty()) {
    EXPECT_EQ(j["error"]["code"], code) << r.body;
  }
}

TEST_F(ServeApi, BadInputsGetOpenAiErrors) {
  const uint16_t p = port();
  expect_api_error(http_request(p, "POST", "/v1/chat/completions", "{not json"), 400);
  expect_api_error(post(p, "/v1/chat/completions", {{"messages", 5}}), 400);
  expect_api_error(post(p, "/v1/chat/completions", chat_json("Hi", 1, {{"temperature", "hot"}})), 400);
  expect_api_error(post(p, "/v1/chat/completions", chat_json("Hi", 1'000'000'000)), 400);
  std::string words;
  for (int i = 0; i < 600; ++i) words += " word";
  expect_api_error(post(p, "/v1/chat/completions", chat_json(words, 4)), 400, "context_length_exceeded");
  expect_api_error(post(p, "/v1/completions", {{"prompt", words}, {"max_tokens", 4}}), 400,
                   "context_length_exceeded");
  const ClientResponse big = post(p, "/v1/chat/completions", chat_json(std::string(2 << 20, 'a'), 4));
  EXPECT_EQ(big.status, 413);
  // Still serving.
  EXPECT_EQ(ask(p, chat_json("Hi", 2)).status, 200);
}

TEST_F(ServeApi, MetricsNamesAndCounters) {
  const std::string before = scrape(port());
  for (const char* name :
       {"r1serve_requests_total", "r1serve_time_to_first_token_seconds_bucket",
        "r1serve_inter_token_latency_seconds_bucket", "r1serve_request_duration_seconds_bucket",
        "r1serve_queue_depth", "r1serve_running_sequences", "r1serve_kv_cache_usage_ratio",
        "r1serve_prompt_tokens_total", "r1serve_generation_tokens_total",
        "r1serve_prefix_cache_hits_total", "r1serve_model_load_seconds",
        "r1serve_process_resident_memory_bytes", "r1serve_build_info", "r1serve_engine_steps_total",
        "r1serve_engine_forward_seconds_total", "r1serve_engine_busy_seconds_total"}) {
    EXPECT_NE(before.find(name), std::string::npos) << name;
  }
  EXPECT_GT(metric(before, "r1serve_model_load_seconds"), 0);
  // A long shared prompt: the second request reuses its cached blocks.
  std::string shared;
  for (int i = 0; i < 80; ++i) shared += " lorem " + std::to_string(i);
  const json body = chat_json(shared, 5);
  ASSERT_EQ(ask(port(), body).status, 200);
  ASSERT_EQ(ask(port(), body).status, 200);
  const std::string after = scrape(port());
  EXPECT_EQ(metric(after, "r1serve_generation_tokens_total") -
                metric(before, "r1serve_generation_tokens_total"), 10);
  EXPECT_GT(metric(after, "r1serve_prompt_tokens_total"), metric(before, "r1serve_prompt_tokens_total"));
  EXPECT_EQ(metric(after, "r1serve_prefix_cache_hits_total") -
                metric(before, "r1serve_prefix_cache_hits_total"), 1);
  EXPECT_NE(after.find("r1serve_requests_total{endpoint=\"/v1/chat/completions\",code=\"200\"}"),
            std::string::npos);
  // Engine time: prefill steps (the first token of each request), then the
  // 4 + 4 further tokens in decode-only steps; forward time within busy time.
  // The engine publishes its step totals just after the step whose events
  // ended the request: the last one may land a moment after the answer.
  const std::string decode_key = "r1serve_engine_steps_total{kind=\"decode\"}";
  std::string engine = scrape(port());
  for (int i = 0; i < 100 && metric(engine, decode_key) - metric(before, decode_key) < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    engine = scrape(port());
  }
  const auto moved = [&](const std::string& name) { return metric(engine, name) - metric(before, name); };
  const double decode_steps = moved(decode_key);
  EXPECT_EQ(decode_steps, 8);
  EXPECT_GE(moved("r1serve_engine_steps_total{kind=\"prefill\"}"), 2);
  for (const std::string kind : {"decode", "prefill"}) {
    const std::string labels = "{kind=\"" + kind + "\"}";
    EXPECT_GT(moved("r1serve_engine_forward_seconds_total" + labels), 0) << kind;
    EXPECT_GE(moved("r1serve_engine_busy_seconds_total" + labels),
              moved("r1serve_engine_forward_seconds_total" + labels)) << kind;
  }
}

}  // namespace
}  // namespace r1::e2e
