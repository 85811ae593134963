// Request parsing and response rendering: pure functions, no sockets.
#include "server/api/openai_types.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "server/api/openai_render.h"

namespace r1::server {
namespace {

ParseLimits limits() {
  ParseLimits l;
  l.model_id = "r1-test";
  l.max_tokens_limit = 4096;
  return l;
}

TEST(ParseChat, AcceptsFullRequest) {
  const std::string body = R"({"model":"r1-test","messages":[
      {"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"2+2"},{"type":"text","text":"?"}]}],
    "stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":64,
    "temperature":0.6,"top_p":0.95,"top_k":40,"min_p":0.05,"presence_penalty":0.5,
    "frequency_penalty":-0.5,"seed":42,"stop":["\n\n","END"],"logit_bias":{"17":-100,"3":2.5},
    "logprobs":true,"top_logprobs":3,"reasoning_format":"none","user":"u","n":1,
    "resume_tokens":[5,6]})";
  ApiResult<ApiRequest> r = parse_chat_request(body, limits());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ApiRequest& q = r.value();
  EXPECT_TRUE(q.stream);
  EXPECT_TRUE(q.include_usage);
  const GenerationRequest& g = q.generation;
  ASSERT_EQ(g.messages.size(), 2u);
  EXPECT_EQ(g.messages[1].content, "2+2?");
  EXPECT_EQ(g.max_tokens, 64);
  EXPECT_FLOAT_EQ(*g.sampling.temperature, 0.6f);
  EXPECT_EQ(*g.sampling.top_k, 40);
  EXPECT_EQ(*g.sampling.seed, 42u);
  ASSERT_EQ(g.stop.size(), 2u);
  ASSERT_EQ(g.sampling.logit_bias.size(), 2u);
  EXPECT_TRUE(g.logprobs);
  EXPECT_EQ(g.top_logprobs, 3);
  EXPECT_FALSE(g.split_reasoning);
  EXPECT_EQ(g.resume_tokens, (std::vector<int32_t>{5, 6}));
}

TEST(ParseChat, NullMeansAbsentAndModelIsOptional) {
  ApiResult<ApiRequest> r = parse_chat_request(
      R"({"messages":[{"role":"user","content":"hi"}],"stop":null,"temperature":null})", limits());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r.value().generation.sampling.temperature.has_value());
  EXPECT_TRUE(r.value().generation.split_reasoning);
  EXPECT_EQ(r.value().generation.max_tokens, -1);
}

struct BadCase {
  const char* name;
  std::string body;
  const char* param;  // expected "param"
};

TEST(ParseChat, RejectsBadInputWithOpenAiErrors) {
  const std::string msg = R"("messages":[{"role":"user","content":"hi"}])";
  const BadCase cases[] = {
      {"invalid json", "{\"messages\": [", ""},
      {"not an object", "[1,2]", ""},
      {"too deep", "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", ""},
      {"messages missing", "{}", "messages"},
      {"messages empty", R"({"messages":[]})", "messages"},
      {"messages wrong type", R"({"messages":"hi"})", "messages"},
      {"unknown role", R"({"messages":[{"role":"wizard","content":"x"}]})", "messages[0].role"},
      {"missing content", R"({"messages":[{"role":"user"}]})", "messages[0].content"},
      {"unknown message field", R"({"messages":[{"role":"user","content":"x","tool_calls":[]}]})",
       "messages[0].tool_calls"},
      {"unknown field", ("{" + msg + R"(,"temprature":1})"), "temprature"},
      {"unknown model", ("{" + msg + R"(,"model":"gpt-4"})"), "model"},
      {"negative max_tokens", ("{" + msg + R"(,"max_tokens":-1})"), "max_tokens"},
      {"zero max_tokens", ("{" + msg + R"(,"max_tokens":0})"), "max_tokens"},
      {"absurd max_tokens", ("{" + msg + R"(,"max_tokens":100000000000})"), "max_tokens"},
      {"float max_tokens", ("{" + msg + R"(,"max_tokens":10.5})"), "max_tokens"},
      {"string temperature", ("{" + msg + R"(,"temperature":"hot"})"), "temperature"},
      {"negative temperature", ("{" + msg + R"(,"temperature":-1})"), "temperature"},
      {"top_p zero", ("{" + msg + R"(,"top_p":0})"), "top_p"},
      {"min_p > 1", ("{" + msg + R"(,"min_p":1.5})"), "min_p"},
      {"presence > 2", ("{" + msg + R"(,"presence_penalty":3})"), "presence_penalty"},
      {"stop not string", ("{" + msg + R"(,"stop":[1]})"), "stop"},
      {"stop empty string", ("{" + msg + R"(,"stop":""})"), "stop"},
      {"logit_bias key", ("{" + msg + R"(,"logit_bias":{"abc":1}})"), "logit_bias"},
      {"logit_bias value", ("{" + msg + R"(,"logit_bias":{"1":500}})"), "logit_bias"},
      {"top_logprobs alone", ("{" + msg + R"(,"top_logprobs":2})"), "top_logprobs"},
      {"top_logprobs > 20", ("{" + msg + R"(,"logprobs":true,"top_logprobs":21})"),
       "top_logprobs"},
      {"n > 1", ("{" + msg + R"(,"n":2})"), "n"},
      {"stream_options without stream", ("{" + msg + R"(,"stream_options":{}})"),
       "stream_options"},
      {"stream not bool", ("{" + msg + R"(,"stream":"yes"})"), "stream"},
      {"reasoning_format", ("{" + msg + R"(,"reasoning_format":"xml"})"),
       "reasoning_format"},
      {"resume_tokens", ("{" + msg + R"(,"resume_tokens":[-1]})"), "resume_tokens"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    ApiResult<ApiRequest> r = parse_chat_request(c.body, limits());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().http_status, 400);
    EXPECT_EQ(r.error().type, "invalid_request_error");
    EXPECT_EQ(r.error().param, c.param);
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(ParseCompletion, PromptStringOrTokens) {
  ApiResult<ApiRequest> a = parse_completion_request(R"({"prompt":"Once","max_tokens":8})", limits());
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a.value().generation.prompt_text, "Once");
  EXPECT_FALSE(a.value().generation.split_reasoning);
  ApiResult<ApiRequest> b = parse_completion_request(R"({"prompt":[1,2,3],"logprobs":2})", limits());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b.value().generation.prompt_tokens.size(), 3u);
  EXPECT_EQ(b.value().generation.top_logprobs, 2);
  EXPECT_FALSE(parse_completion_request(R"({"prompt":["a","b"]})", limits()).ok());
  EXPECT_FALSE(parse_completion_request(R"({"prompt":""})", limits()).ok());
  EXPECT_FALSE(parse_completion_request(R"({"messages":[]})", limits()).ok());
}

TEST(ParsePredict, PromptBecomesUserMessage) {
  ApiResult<ApiRequest> r = parse_predict_request(R"({"prompt":"2+2?","max_tokens":16})", limits());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r.value().generation.messages.size(), 1u);
  EXPECT_EQ(r.value().generation.messages[0].role, "user");
  EXPECT_EQ(r.value().generation.max_tokens, 16);
  EXPECT_FALSE(parse_predict_request(R"({"max_tokens":16})", limits()).ok());
}

TEST(Render, ErrorBodyShape) {
  const auto j = nlohmann::json::parse(render_error(invalid_request("top_p", "bad", "x")));
  EXPECT_EQ(j["error"]["message"], "bad");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "top_p");
  EXPECT_EQ(j["error"]["code"], "x");
  const auto k = nlohmann::json::parse(render_error(ApiError{500, "server_error", "m", "", ""}));
  EXPECT_TRUE(k["error"]["param"].is_null());
  EXPECT_TRUE(k["error"]["code"].is_null());
}

TEST(Render, InvalidUtf8IsReplacedNotThrown) {
  ResponseMeta meta{Endpoint::kChat, "chatcmpl-1", 1, "m"};
  StreamDelta d;
  d.content = "\xff\xfe ok";
  const std::string chunk = render_stream_delta(meta, d);
  ASSERT_EQ(chunk.rfind("data: ", 0), 0u);
  const auto j = nlohmann::json::parse(chunk.substr(6));
  EXPECT_NE(j["choices"][0]["delta"]["content"].get<std::string>().find("ok"), std::string::npos);
}

TEST(Render, BackendErrorsMapToStatus) {
  EXPECT_EQ(api_error_from(make_error(ErrorCode::kResourceExhausted, "full")).http_status, 429);
  EXPECT_EQ(api_error_from(make_error(ErrorCode::kOutOfRange, "long")).code,
            "context_length_exceeded");
  EXPECT_EQ(api_error_from(make_error(ErrorCode::kUnsupported, "loading")).http_status, 503);
  EXPECT_EQ(api_error_from(make_error(ErrorCode::kInternal, "x")).http_status, 500);
}

}  // namespace
}  // namespace r1::server
