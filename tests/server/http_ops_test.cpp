// Operational behaviour over real HTTP on loopback: concurrency, overload
// (429), bad input (400/401/404/405/413), auth, CORS, metrics, drain and
// client disconnects.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "../support/metric_text.h"
#include "test_server.h"

namespace r1::server::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

TEST(HttpOps, SixtyFourConcurrentStreamsComplete) {
  FakeBackendConfig fake;
  fake.tick = milliseconds(2);
  TestServer ts(fake);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 64; ++i) {
    clients.emplace_back([&] {
      ClientResponse r = ts.post("/v1/chat/completions", chat_body(R"("stream":true)"));
      const std::vector<std::string> events = sse_data(r.body);
      std::string content;
      for (const std::string& e : events) {
        if (e == "[DONE]") continue;
        json j = json::parse(e, nullptr, false);
        if (!j.is_discarded() && !j["choices"].empty()) {
          content += j["choices"][0]["delta"].value("content", "");
        }
      }
      if (r.status == 200 && !events.empty() && events.back() == "[DONE]" &&
          content == "The answer is 4.") {
        ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 64);
  EXPECT_EQ(ts.backend->submitted(), 64);
  EXPECT_TRUE(ts.server->wait_idle(milliseconds(2000)));
}

// The 429's round-trip time over keep-alive is bench/http_bench
// (BM_Http429KeepAlive).
TEST(HttpOps, OverloadAnswers429) {
  TestServer ts;
  ts.backend->set_full(true);
  Client c(ts.port);
  for (int i = 0; i < 20; ++i) {
    ClientResponse r = c.request("POST", "/v1/chat/completions", kHello);
    ASSERT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(r.header("retry-after"), "1");
    ASSERT_TRUE(is_openai_error(r.body)) << r.body;
    EXPECT_EQ(parse_json(r.body)["error"]["type"], "rate_limit_error");
  }
  ts.backend->set_full(false);
  EXPECT_EQ(c.request("POST", "/v1/chat/completions", kHello).status, 200);
  EXPECT_EQ(ts.get("/ready").status, 200);  // overload is not readiness
}

struct BadHttpCase {
  const char* name;
  const char* method;
  const char* target;
  std::string body;
  int status;
};

TEST(HttpOps, BadInputsGetOpenAiErrors) {
  ServerConfig config;
  config.limits.body_limit = 4096;
  TestServer ts({}, config);
  const BadHttpCase cases[] = {
      {"invalid json", "POST", "/v1/chat/completions", "{not json", 400},
      {"wrong type", "POST", "/v1/chat/completions", chat_body(R"("temperature":"x")"), 400},
      {"unknown field", "POST", "/v1/chat/completions", chat_body(R"("bogus":1)"), 400},
      {"unknown model", "POST", "/v1/chat/completions", chat_body(R"("model":"gpt-9")"), 400},
      {"negative max_tokens", "POST", "/v1/chat/completions", chat_body(R"("max_tokens":-5)"), 400},
      {"absurd max_tokens", "POST", "/v1/chat/completions", chat_body(R"("max_tokens":1e12)"), 400},
      {"bad top_p", "POST", "/v1/chat/completions", chat_body(R"("top_p":7)"), 400},
      {"no messages", "POST", "/v1/chat/completions", "{}", 400},
      {"empty messages", "POST", "/v1/chat/completions", R"({"messages":[]})", 400},
      {"unknown role", "POST", "/v1/chat/completions",
       R"({"messages":[{"role":"robot","content":"x"}]})", 400},
      {"empty body", "POST", "/v1/chat/completions", "", 400},
      {"completion without prompt", "POST", "/v1/completions", "{}", 400},
      {"predict stream", "POST", "/api/predict", R"({"prompt":"x","stream":true})", 400},
      {"too large", "POST", "/v1/chat/completions", std::string(8000, ' ') + kHello, 413},
      {"unknown route", "GET", "/v2/nothing", "", 404},
      {"wrong method", "GET", "/v1/chat/completions", "", 405},
  };
  for (const BadHttpCase& c : cases) {
    SCOPED_TRACE(c.name);
    ClientResponse r = http_request(ts.port, c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_TRUE(is_openai_error(r.body)) << r.body;
  }
  // Still serving after all of that.
  EXPECT_EQ(ts.post("/v1/chat/completions", kHello).status, 200);
}

TEST(HttpOps, BearerApiKeys) {
  ServerConfig config;
  config.api_keys = {"key-one", "key-two"};
  TestServer ts({}, config);
  ClientResponse missing = ts.post("/v1/chat/completions", kHello);
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(is_openai_error(missing.body)) << missing.body;
  EXPECT_EQ(parse_json(missing.body)["error"]["type"], "authentication_error");
  EXPECT_EQ(ts.post("/v1/chat/completions", kHello, {{"Authorization", "Bearer nope"}}).status, 401);
  EXPECT_EQ(ts.post("/v1/chat/completions", kHello, {{"Authorization", "key-one"}}).status, 401);
  EXPECT_EQ(ts.post("/v1/chat/completions", kHello, {{"Authorization", "Bearer key-two"}}).status, 200);
  EXPECT_EQ(ts.get("/v1/models", {{"Authorization", "Bearer key-one"}}).status, 200);
  EXPECT_EQ(ts.get("/metrics").status, 401);
  EXPECT_EQ(ts.get("/health").status, 200);
  EXPECT_EQ(ts.get("/ready").status, 200);
}

TEST(HttpOps, CorsPreflightAndOrigin) {
  ServerConfig config;
  config.cors_origins = {"https://app.example"};
  config.api_keys = {"k"};
  TestServer ts({}, config);
  ClientResponse pre = http_request(ts.port, "OPTIONS", "/v1/chat/completions", "",
                                    {{"Origin", "https://app.example"},
                                     {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("access-control-allow-origin"), "https://app.example");
  EXPECT_NE(pre.header("access-control-allow-headers").find("Authorization"), std::string::npos);
  ClientResponse get = ts.get("/v1/models", {{"Origin", "https://app.example"},
                                             {"Authorization", "Bearer k"}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.header("access-control-allow-origin"), "https://app.example");
  ClientResponse other = ts.get("/v1/models", {{"Origin", "https://evil.example"},
                                               {"Authorization", "Bearer k"}});
  EXPECT_EQ(other.header("access-control-allow-origin"), "");
  ClientResponse stream = ts.post("/v1/chat/completions", chat_body(R"("stream":true)"),
                                  {{"Origin", "https://app.example"}, {"Authorization", "Bearer k"}});
  EXPECT_EQ(stream.header("access-control-allow-origin"), "https://app.example");
}

double sample(const std::string& text, const std::string& series) {
  return test_support::metric_value(text, series);
}

TEST(HttpOps, MetricsNamesAndCountersMove) {
  TestServer ts;
  ClientResponse before = ts.get("/metrics");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* name :
       {"r1serve_requests_total", "r1serve_time_to_first_token_seconds",
        "r1serve_inter_token_latency_seconds", "r1serve_request_duration_seconds",
        "r1serve_queue_depth", "r1serve_running_sequences", "r1serve_kv_cache_usage_ratio",
        "r1serve_prompt_tokens_total", "r1serve_generation_tokens_total",
        "r1serve_prefix_cache_hits_total", "r1serve_model_load_seconds",
        "r1serve_process_resident_memory_bytes", "r1serve_build_info"}) {
    EXPECT_NE(before.body.find("# TYPE " + std::string(name) + " "), std::string::npos) << name;
  }
  EXPECT_NE(before.body.find("r1serve_build_info{version=\"0.1.0\",model=\"fake-r1\"} 1"),
            std::string::npos);
  EXPECT_GT(sample(before.body, "r1serve_process_resident_memory_bytes"), 0);
  const std::string chat_ok = "r1serve_requests_total{endpoint=\"/v1/chat/completions\",code=\"200\"}";
  ASSERT_EQ(ts.post("/v1/chat/completions", kHello).status, 200);
  ASSERT_EQ(ts.post("/v1/chat/completions", chat_body(R"("stream":true)")).status, 200);
  ASSERT_EQ(ts.post("/v1/chat/completions", "{").status, 400);
  // A stream's counters are recorded when its exchange finishes, which may
  // be just after the client has read the last chunk: poll briefly.
  std::string after = ts.get("/metrics").body;
  for (int i = 0; i < 200 && sample(after, "r1serve_request_duration_seconds_count") < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    after = ts.get("/metrics").body;
  }
  EXPECT_EQ(sample(after, chat_ok), 2);
  EXPECT_EQ(sample(after, "r1serve_requests_total{endpoint=\"/v1/chat/completions\",code=\"400\"}"), 1);
  EXPECT_EQ(sample(after, "r1serve_generation_tokens_total"), 20);
  EXPECT_EQ(sample(after, "r1serve_time_to_first_token_seconds_count"), 2);
  EXPECT_EQ(sample(after, "r1serve_inter_token_latency_seconds_count"), 18);
  EXPECT_EQ(sample(after, "r1serve_request_duration_seconds_count"), 2);
  EXPECT_GT(sample(after, "r1serve_prompt_tokens_total"), 0);
  EXPECT_GE(sample(after, "r1serve_requests_total{endpoint=\"/metrics\",code=\"200\"}"), 1);
}

TEST(HttpOps, DrainMakesReady503WhileStreamFinishes) {
  FakeBackendConfig fake;
  fake.tick = milliseconds(30);  // ~300 ms per stream
  TestServer ts(fake);
  ClientResponse streamed;
  std::thread client([&] {
    streamed = ts.post("/v1/chat/completions", chat_body(R"("stream":true)"));
  });
  while (ts.server->router().in_flight() == 0) std::this_thread::sleep_for(milliseconds(2));
  ts.server->drain();
  ClientResponse ready = ts.get("/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(parse_json(ready.body)["status"], "draining");
  ClientResponse refused = ts.post("/v1/chat/completions", kHello);
  EXPECT_EQ(refused.status, 503);
  EXPECT_TRUE(is_openai_error(refused.body)) << refused.body;
  EXPECT_EQ(ts.get("/health").status, 200);
  EXPECT_TRUE(ts.server->wait_idle(milliseconds(5000)));
  client.join();
  ASSERT_EQ(streamed.status, 200);
  const std::vector<std::string> events = sse_data(streamed.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(ts.backend->cancelled(), 0);
}

std::string raw_post(const std::string& body) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(HttpOps, ClientDisconnectCancelsStream) {
  FakeBackendConfig fake;
  fake.tick = milliseconds(50);  // 10 pieces: 500 ms
  TestServer ts(fake);
  RawConnection conn(ts.port);
  ASSERT_TRUE(conn.send(raw_post(chat_body(R"("stream":true)"))));
  ASSERT_NE(conn.read_until("data: ", 2000), "");
  const auto t0 = std::chrono::steady_clock::now();
  conn.close();
  ASSERT_TRUE(ts.backend->wait_cancelled(1, milliseconds(2000)));
  std::printf("cancel observed %.1f ms after disconnect\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_TRUE(ts.server->wait_idle(milliseconds(2000)));
  EXPECT_EQ(ts.post("/v1/chat/completions", kHello).status, 200);
}

TEST(HttpOps, ClientDisconnectCancelsNonStream) {
  FakeBackendConfig fake;
  fake.tick = milliseconds(50);
  TestServer ts(fake);
  RawConnection conn(ts.port);
  ASSERT_TRUE(conn.send(raw_post(kHello)));
  while (ts.server->router().in_flight() == 0) std::this_thread::sleep_for(milliseconds(2));
  conn.close();
  ASSERT_TRUE(ts.backend->wait_cancelled(1, milliseconds(2000)));
  EXPECT_TRUE(ts.server->wait_idle(milliseconds(2000)));
}

TEST(HttpOps, ExpectContinueAndIdleTimeout) {
  ServerConfig config;
  config.limits.idle_timeout = milliseconds(150);
  TestServer ts({}, config);
  RawConnection conn(ts.port);
  const std::string body = kHello;
  ASSERT_TRUE(conn.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  ASSERT_NE(conn.read_until("HTTP/1.1 100 Continue\r\n\r\n", 2000), "");
  ASSERT_TRUE(conn.send(body));
  const std::string got = conn.read_until("The answer is 4.", 2000);
  EXPECT_NE(got.find("HTTP/1.1 200 OK"), std::string::npos) << got;
  // Then idle: the server closes the connection after idle_timeout.
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(conn.read_until("never", 3000), "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));
}

TEST(HttpOps, StopWithStreamsInFlight) {
  FakeBackendConfig fake;
  fake.tick = milliseconds(50);
  TestServer ts(fake);
  RawConnection conn(ts.port);
  ASSERT_TRUE(conn.send(raw_post(chat_body(R"("stream":true)"))));
  ASSERT_NE(conn.read_until("data: ", 2000), "");
  ts.server->stop();
  EXPECT_EQ(ts.backend->cancelled(), 1);
  EXPECT_EQ(ts.server->router().in_flight(), 0);
}

}  // namespace
}  // namespace r1::server::test
