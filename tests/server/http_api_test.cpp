// The OpenAI routes over real HTTP on loopback against the FakeBackend.
#include <gtest/gtest.h>

#include <string>

#include "test_server.h"

namespace r1::server::test {
namespace {

using nlohmann::json;

struct StreamText {
  std::string reasoning;
  std::string content;
  std::vector<json> chunks;  // every JSON event
  bool done = false;         // ended with [DONE]
};

StreamText read_stream(const std::string& body) {
  StreamText out;
  for (const std::string& data : sse_data(body)) {
    if (data == "[DONE]") {
      out.done = true;
      continue;
    }
    json j = parse_json(data);
    if (!j["choices"].empty()) {
      const json& c = j["choices"][0];
      if (c.contains("delta")) {
        out.reasoning += c["delta"].value("reasoning_content", "");
        if (c["delta"].contains("content") && c["delta"]["content"].is_string()) {
          out.content += c["delta"]["content"].get<std::string>();
        }
      } else {
        out.content += c.value("text", "");
      }
    }
    out.chunks.push_back(std::move(j));
  }
  return out;
}

TEST(HttpApi, NonStreamChat) {
  TestServer ts;
  ClientResponse r = ts.post("/v1/chat/completions", kHello);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  json j = parse_json(r.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "fake-r1");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  const json& c = j["choices"][0];
  EXPECT_EQ(c["message"]["role"], "assistant");
  EXPECT_EQ(c["message"]["content"], "The answer is 4.");
  EXPECT_EQ(c["message"]["reasoning_content"], "Let me think.");
  EXPECT_EQ(c["finish_reason"], "stop");
  EXPECT_EQ(j["usage"]["completion_tokens"], 10);
  EXPECT_EQ(j["usage"]["total_tokens"],
            j["usage"]["prompt_tokens"].get<int>() + j["usage"]["completion_tokens"].get<int>());
  EXPECT_EQ(j["timings"]["predicted_n"], 10);
  EXPECT_TRUE(j["timings"].contains("prompt_ms"));
}

TEST(HttpApi, StreamChatSeparatesReasoningAndContent) {
  TestServer ts;
  ClientResponse r = ts.post("/v1/chat/completions", chat_body(R"("stream":true)"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  StreamText s = read_stream(r.body);
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.reasoning, "Let me think.");
  EXPECT_EQ(s.content, "The answer is 4.");
  ASSERT_GE(s.chunks.size(), 3u);
  EXPECT_EQ(s.chunks.front()["object"], "chat.completion.chunk");
  EXPECT_EQ(s.chunks.front()["choices"][0]["delta"]["role"], "assistant");
  const json& last = s.chunks.back();
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(last.contains("timings"));
  EXPECT_FALSE(last.contains("usage"));  // include_usage not asked
  for (size_t i = 0; i + 1 < s.chunks.size(); ++i) {
    EXPECT_TRUE(s.chunks[i]["choices"][0]["finish_reason"].is_null());
  }
  EXPECT_EQ(r.body.substr(r.body.size() - 14), "data: [DONE]\n\n");
}

TEST(HttpApi, StreamIncludeUsage) {
  TestServer ts;
  ClientResponse r = ts.post("/v1/chat/completions",
                             chat_body(R"("stream":true,"stream_options":{"include_usage":true})"));
  ASSERT_EQ(r.status, 200) << r.body;
  StreamText s = read_stream(r.body);
  ASSERT_TRUE(s.done);
  const json& usage_chunk = s.chunks.back();
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"]["completion_tokens"], 10);
  EXPECT_GT(usage_chunk["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_EQ(s.chunks[s.chunks.size() - 2]["choices"][0]["finish_reason"], "stop");
}

TEST(HttpApi, ReasoningFormatNonePassesRawText) {
  TestServer ts;
  ClientResponse r = ts.post("/v1/chat/completions", chat_body(R"("reasoning_format":"none")"));
  ASSERT_EQ(r.status, 200) << r.body;
  json j = parse_json(r.body);
  EXPECT_EQ(j["choices"][0]["message"]["content"],
            "<think>Let me think.</think>\n\nThe answer is 4.");
  EXPECT_FALSE(j["choices"][0]["message"].contains("reasoning_content"));
  EXPECT_FALSE(ts.backend->last_request().split_reasoning);
}

TEST(HttpApi, MaxTokensGivesLengthAndSamplingPassesThrough) {
  TestServer ts;
  ClientResponse r = ts.post(
      "/v1/chat/completions",
      chat_body(R"("max_tokens":3,"temperature":0.2,"top_k":7,"seed":9,"stop":["x"],"logit_bias":{"5":-100})"));
  ASSERT_EQ(r.status, 200) << r.body;
  json j = parse_json(r.body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 3);
  const GenerationRequest g = ts.backend->last_request();
  EXPECT_EQ(g.max_tokens, 3);
  EXPECT_FLOAT_EQ(*g.sampling.temperature, 0.2f);
  EXPECT_EQ(*g.sampling.top_k, 7);
  EXPECT_EQ(*g.sampling.seed, 9u);
  EXPECT_EQ(g.stop, std::vector<std::string>{"x"});
  ASSERT_EQ(g.sampling.logit_bias.size(), 1u);
}

TEST(HttpApi, LogprobsInMessageAndDeltas) {
  TestServer ts;
  ClientResponse r = ts.post("/v1/chat/completions",
                             chat_body(R"("logprobs":true,"top_logprobs":2)"));
  ASSERT_EQ(r.status, 200) << r.body;
  json lp = parse_json(r.body)["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(lp.size(), 10u);
  EXPECT_EQ(lp[1]["token"], "Let");
  EXPECT_EQ(lp[1]["top_logprobs"].size(), 2u);
  ClientResponse s = ts.post("/v1/chat/completions",
                             chat_body(R"("logprobs":true,"stream":true)"));
  StreamText st = read_stream(s.body);
  int with_lp = 0;
  for (const json& c : st.chunks) {
    if (!c["choices"].empty() && c["choices"][0]["logprobs"].is_object()) ++with_lp;
  }
  EXPECT_EQ(with_lp, 10);
}

TEST(HttpApi, CompletionsRawTextStreamAndTokens) {
  TestServer ts;
  ClientResponse r = ts.post("/v1/completions", R"({"prompt":"2+2=","max_tokens":100})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = parse_json(r.body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"], "<think>Let me think.</think>\n\nThe answer is 4.");
  ClientResponse s = ts.post("/v1/completions", R"({"prompt":[1,2,3],"stream":true})");
  ASSERT_EQ(s.status, 200) << s.body;
  StreamText st = read_stream(s.body);
  EXPECT_TRUE(st.done);
  EXPECT_EQ(st.content, "<think>Let me think.</think>\n\nThe answer is 4.");
  EXPECT_EQ(ts.backend->last_request().prompt_tokens.size(), 3u);
}

TEST(HttpApi, PredictModelsHealthReady) {
  TestServer ts;
  ClientResponse p = ts.post("/api/predict", R"({"prompt":"2+2?","max_tokens":64})");
  ASSERT_EQ(p.status, 200) << p.body;
  json j = parse_json(p.body);
  EXPECT_EQ(j["text"], "The answer is 4.");
  EXPECT_EQ(j["reasoning"], "Let me think.");
  EXPECT_EQ(j["usage"]["completion_tokens"], 10);
  EXPECT_TRUE(j["timings"].contains("predicted_ms"));
  ClientResponse m = ts.get("/v1/models");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(parse_json(m.body)["data"][0]["id"], "fake-r1");
  EXPECT_EQ(ts.get("/health").status, 200);
  EXPECT_EQ(ts.get("/ready").status, 200);
  ts.backend->set_ready(false, "loading model");
  ClientResponse nr = ts.get("/ready");
  EXPECT_EQ(nr.status, 503);
  EXPECT_EQ(parse_json(nr.body)["reason"], "loading model");
  EXPECT_EQ(ts.get("/health").status, 200);
}

TEST(HttpApi, KeepAliveServesManyRequestsOnOneConnection) {
  TestServer ts;
  Client c(ts.port);
  for (int i = 0; i < 5; ++i) {
    ClientResponse r = c.request("POST", "/v1/chat/completions",
                                 i % 2 ? kHello : chat_body(R"("stream":true)"));
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_TRUE(c.connected());
  }
  EXPECT_EQ(c.request("GET", "/v1/models").status, 200);
}

TEST(HttpApi, PromptBeyondContextIs400) {
  FakeBackendConfig fake;
  fake.context_length = 8;
  TestServer ts(fake);
  const std::string long_text(200, 'a');
  ClientResponse r = ts.post("/v1/chat/completions",
                             R"({"messages":[{"role":"user","content":")" + long_text + "\"}]}");
  EXPECT_EQ(r.status, 400);
  ASSERT_TRUE(is_openai_error(r.body)) << r.body;
  EXPECT_EQ(parse_json(r.body)["error"]["code"], "context_length_exceeded");
}

TEST(HttpApi, DeadlineEndsGeneration) {
  FakeBackendConfig fake;
  fake.tick = std::chrono::milliseconds(20);
  ServerConfig config;
  config.request_deadline = std::chrono::milliseconds(70);
  TestServer ts(fake, config);
  ClientResponse r = ts.post("/v1/chat/completions", kHello);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = parse_json(r.body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_LT(j["usage"]["completion_tokens"].get<int>(), 10);
}

}  // namespace
}  // namespace r1::server::test
