#include "loadgen/workload.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "loadgen/load_config.h"

namespace r1::loadgen {
namespace {

TEST(Workload, SyntheticPromptIsSeededAndSized) {
  const std::string a = synthetic_prompt(50, 1, 0);
  std::istringstream words(a);
  int n = 0;
  for (std::string w; words >> w;) ++n;
  EXPECT_EQ(n, 50);
  EXPECT_EQ(a, synthetic_prompt(50, 1, 0));
  EXPECT_NE(a, synthetic_prompt(50, 1, 1));
  EXPECT_NE(a, synthetic_prompt(50, 2, 0));
}

TEST(Workload, RequestBodies) {
  BodyParams p{ApiEndpoint::kChat, "m", "hi there", 7};
  nlohmann::json chat = nlohmann::json::parse(request_body(p));
  EXPECT_EQ(chat["messages"][0]["content"], "hi there");
  EXPECT_EQ(chat["max_tokens"], 7);
  EXPECT_EQ(chat["model"], "m");
  EXPECT_EQ(chat["stream"], true);
  EXPECT_EQ(chat["stream_options"]["include_usage"], true);
  p.endpoint = ApiEndpoint::kPredict;
  p.model.clear();
  nlohmann::json predict = nlohmann::json::parse(request_body(p));
  EXPECT_EQ(predict["prompt"], "hi there");
  EXPECT_FALSE(predict.contains("stream"));
  EXPECT_FALSE(predict.contains("model"));
}

TEST(Workload, ReadChunk) {
  const auto chat = [](const char* s) { return read_chunk(ApiEndpoint::kChat, s); };
  EXPECT_FALSE(chat(R"({"choices":[{"delta":{"role":"assistant"}}]})").has_token);
  EXPECT_TRUE(chat(R"({"choices":[{"delta":{"content":"x"}}]})").has_token);
  EXPECT_TRUE(chat(R"({"choices":[{"delta":{"reasoning_content":"x"}}]})").has_token);
  EXPECT_FALSE(chat(R"({"choices":[{"delta":{"content":""}}]})").has_token);
  EXPECT_EQ(chat(R"({"choices":[],"usage":{"completion_tokens":12}})").usage_tokens, 12);
  EXPECT_TRUE(chat(R"({"error":{"message":"boom"}})").error);
  EXPECT_FALSE(chat("{not json").valid);
  EXPECT_FALSE(chat("[1]").valid);
  EXPECT_TRUE(read_chunk(ApiEndpoint::kCompletions, R"({"choices":[{"text":"y"}]})").has_token);
  const ChunkFacts done = read_completed(R"({"text":"4","usage":{"completion_tokens":3}})");
  EXPECT_TRUE(done.valid && done.has_token);
  EXPECT_EQ(done.usage_tokens, 3);
}

TEST(LoadConfig, ParseUrl) {
  Result<Url> u = parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->base_path, "");
  u = parse_url("http://localhost/prefix/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->base_path, "/prefix");
  u = parse_url("http://[::1]:9000");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  for (const char* bad : {"127.0.0.1:8080", "http://", "http://h:0", "http://h:70000",
                          "http://h:", "http://h:8x", "http://[::1", "http://u@h", "ftp://h"}) {
    EXPECT_FALSE(parse_url(bad).ok()) << bad;
  }
  EXPECT_EQ(parse_url("https://h").error().code, ErrorCode::kUnsupported);
}

TEST(LoadConfig, PlanDefaultsAndRanges) {
  Result<LoadPlan> p = make_plan(LoadConfig{});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->config.concurrency, 1);
  EXPECT_EQ(p->config.num_requests, kDefaultNumRequests);
  LoadConfig c;
  c.rate = 5;
  c.duration_s = 2;
  p = make_plan(c);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->config.concurrency, kDefaultRateConcurrency);
  EXPECT_EQ(p->config.num_requests, 0);
  c = LoadConfig{};
  c.endpoint = "embeddings";
  EXPECT_FALSE(make_plan(c).ok());
  c = LoadConfig{};
  c.timeout_s = 0;
  EXPECT_FALSE(make_plan(c).ok());
  c = LoadConfig{};
  c.concurrency = kMaxConcurrency + 1;
  EXPECT_FALSE(make_plan(c).ok());
  c = LoadConfig{};
  c.connections = 300;
  p = make_plan(c);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->config.concurrency, 300);  // one request per held connection at most
  c.concurrency = 301;
  EXPECT_FALSE(make_plan(c).ok());
  c.concurrency = 0;
  c.connections = kMaxConcurrency + 1;
  EXPECT_FALSE(make_plan(c).ok());
  c = LoadConfig{};
  c.api_key = "k\r\nX-Injected: 1";
  EXPECT_FALSE(make_plan(c).ok());
}

}  // namespace
}  // namespace r1::loadgen
