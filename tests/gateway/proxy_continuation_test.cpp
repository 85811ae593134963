// Unit tests of the stream-continuation bookkeeping (no sockets).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/proxy/continuation.h"
#include "gateway/proxy/proxy_metrics.h"

namespace r1::gateway {
namespace {

const std::string kBody = R"({"messages":[{"role":"user","content":"hi"}],"stream":true})";

std::string piece(const std::string& id, const std::string& text, int token) {
  return "data: " +
         nlohmann::json{{"id", id},
                        {"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}},
                        {"r1_token_ids", {token}}}
             .dump() +
         "\n\n";
}

TEST(ContinuationTest, PrepareAddsTokenIdsAndSessionKey) {
  auto p = prepare_request("/v1/chat/completions", kBody, "");
  EXPECT_TRUE(p.resumable);
  EXPECT_FALSE(p.session_key.empty());
  EXPECT_EQ(p.session_key, prepare_request("/v1/chat/completions", kBody, "").session_key);
  EXPECT_TRUE(nlohmann::json::parse(p.upstream_body)[kIncludeTokenIdsField].get<bool>());
  EXPECT_EQ(prepare_request("/v1/chat/completions", kBody, "abc").session_key, "abc");
  EXPECT_FALSE(prepare_request("/v1/models", kBody, "").resumable);
  auto plain = prepare_request("/v1/chat/completions", "not json", "");
  EXPECT_FALSE(plain.resumable);
  EXPECT_EQ(plain.upstream_body, "not json");
}

TEST(ContinuationTest, SplitterHandlesPartialEvents) {
  SseSplitter s;
  s.feed("data: a\n");
  EXPECT_FALSE(s.next());
  s.feed("\ndata: b\r\n\r\ndata:");
  EXPECT_EQ(*s.next(), "data: a\n\n");
  EXPECT_EQ(sse_data(*s.next()), "b");
  EXPECT_FALSE(s.next());
}

TEST(ContinuationTest, TrackerStripsIdsAndBuildsResumeBody) {
  auto p = prepare_request("/v1/chat/completions", kBody, "");
  StreamTracker t(p);
  EXPECT_NE(t.on_event(piece("A", "Hel", 7)).find("Hel"), std::string::npos);
  const std::string out = t.on_event(piece("A", "lo", 8));
  EXPECT_EQ(out.find(kTokenIdsField), std::string::npos);
  EXPECT_EQ(t.text(), "Hello");
  EXPECT_EQ(t.on_event("data: {\"error\":{\"message\":\"x\"}}\n\n"), "");
  EXPECT_TRUE(t.errored());
  auto resume = nlohmann::json::parse(t.resume_body(p.upstream_body));
  EXPECT_EQ(resume[kResumeTokensField], nlohmann::json({7, 8}));

  t.begin_continuation();
  EXPECT_FALSE(t.errored());
  const std::string role = "data: {\"id\":\"B\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n";
  EXPECT_EQ(t.on_event(role), "");  // the continuation's opening chunk is dropped
  const std::string next = t.on_event(piece("B", "!", 9));
  EXPECT_NE(next.find("\"id\":\"A\""), std::string::npos);  // one id for the whole stream
  EXPECT_EQ(t.on_event("data: [DONE]\n\n"), "data: [DONE]\n\n");
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.tokens(), (std::vector<int32_t>{7, 8, 9}));
}

TEST(ContinuationTest, RetryBudget) {
  RetryConfig c;
  c.min_retries = 1;
  c.budget_percent = 50;
  RetryBudget b(c);
  EXPECT_TRUE(b.try_acquire());
  EXPECT_FALSE(b.try_acquire());
  for (int i = 0; i < 4; ++i) b.request_started();
  EXPECT_TRUE(b.try_acquire());  // 50% of 4 = 2
  EXPECT_FALSE(b.try_acquire());
  b.release();
  EXPECT_TRUE(b.try_acquire());
}

}  // namespace
}  // namespace r1::gateway
