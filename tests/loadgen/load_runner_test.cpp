// The load generator against a real HttpServer + FakeBackend on an
// ephemeral loopback port.
#include "loadgen/load_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/os/fd_limit.h"
#include "loadgen/workload.h"
#include "server/backend/fake_backend.h"
#include "server/http_server.h"
#include "server/api/openai_types.h"

namespace r1::loadgen {
namespace {

using server::FakeBackend;
using server::FakeBackendConfig;

struct Served {
  explicit Served(FakeBackendConfig fake = {}, server::ServerConfig config = {}) {
    backend = std::make_shared<FakeBackend>(std::move(fake));
    config.host = "127.0.0.1";
    config.port = 0;
    auto started = server::HttpServer::start(config, backend);
    CHECK(started.ok()) << started.error().to_string();
    http = std::move(started).value();
    port = http->port();
  }
  std::shared_ptr<FakeBackend> backend;
  std::unique_ptr<server::HttpServer> http;
  uint16_t port = 0;
};

LoadPlan plan_for(uint16_t port, LoadConfig c) {
  c.url = "http://127.0.0.1:" + std::to_string(port);
  Result<LoadPlan> plan = make_plan(c);
  CHECK(plan.ok()) << plan.error().to_string();
  return std::move(plan).value();
}

Report run(const LoadPlan& plan, int64_t* connections = nullptr, int64_t* retries = nullptr) {
  Result<LoadResult> r = run_load(plan);
  CHECK(r.ok()) << r.error().to_string();
  if (connections != nullptr) *connections = r->connections;
  if (retries != nullptr) *retries = r->stale_retries;
  return build_report(r->records, r->wall_s);
}

void expect_ordered(const Summary& s) {
  EXPECT_LE(s.min, s.p50);
  EXPECT_LE(s.p50, s.p90);
  EXPECT_LE(s.p90, s.p99);
  EXPECT_LE(s.p99, s.max);
  EXPECT_LE(s.min, s.mean);
  EXPECT_LE(s.mean, s.max);
}

LoadConfig small(int64_t n, int concurrency) {
  LoadConfig c;
  c.num_requests = n;
  c.concurrency = concurrency;
  c.prompt_len = 16;
  c.timeout_s = 10;
  return c;
}

TEST(LoadRunner, AllSucceedWithConcurrency8) {
  Served s;
  int64_t connections = 0;
  const Report r = run(plan_for(s.port, small(40, 8)), &connections);
  EXPECT_LE(connections, 8);  // keep-alive
  EXPECT_GE(connections, 1);
  EXPECT_EQ(r.total, 40);
  EXPECT_EQ(r.succeeded, 40);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(s.backend->submitted(), 40);
  EXPECT_EQ(r.output_tokens, 40 * 10);  // usage of the fake's 10-piece script
  EXPECT_EQ(r.ttft_s.count, 40);
  EXPECT_EQ(r.itl_s.count, 40 * 6);  // 7 chunks carry reasoning or content
  EXPECT_EQ(r.tpot_s.count, 40);
  for (const Summary* m : {&r.ttft_s, &r.tpot_s, &r.itl_s, &r.e2e_s}) expect_ordered(*m);
  EXPECT_LE(r.ttft_s.max, r.e2e_s.max);
  EXPECT_GT(r.requests_per_s, 0);
  EXPECT_GT(r.output_tokens_per_s, 0);
}

TEST(LoadRunner, TtftFollowsFirstTokenDelay) {
  FakeBackendConfig fake;
  fake.first_token_delay = std::chrono::milliseconds(80);
  Served s(fake);
  const Report r = run(plan_for(s.port, small(12, 4)));
  ASSERT_EQ(r.succeeded, 12);
  EXPECT_GE(r.ttft_s.min, 0.079);
  EXPECT_LE(r.ttft_s.p50, r.e2e_s.p50);  // the first token, not the whole answer (no wall-clock bound)
  EXPECT_GE(r.e2e_s.min, r.ttft_s.min);
  expect_ordered(r.ttft_s);
  expect_ordered(r.e2e_s);
}

TEST(LoadRunner, QueueFullIsHttp429) {
  Served s;
  s.backend->set_full(true);
  int64_t connections = 0;
  const Report r = run(plan_for(s.port, small(20, 4)), &connections);
  EXPECT_LE(connections, 4);  // a 429 keeps the connection
  EXPECT_EQ(r.total, 20);
  EXPECT_EQ(r.rejected, 20);  // a clean refusal, not a failure
  EXPECT_EQ(r.failed, 0);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.succeeded, 0);
  EXPECT_EQ(r.ttft_s.count, 0);
}

TEST(LoadRunner, RejectedAndFailedAreCountedApart) {
  std::vector<RequestRecord> records(6);
  records[0].ok = true;
  records[0].e2e_s = 0.5;
  records[1].error = kRejectedKind;
  records[2].error = kRejectedKind;
  records[3].error = "http_503";
  records[4].error = "timeout";
  records[5].error = "http_503";
  const Report r = build_report(records, 1.0);
  EXPECT_EQ(r.total, 6);
  EXPECT_EQ(r.succeeded, 1);
  EXPECT_EQ(r.rejected, 2);
  EXPECT_EQ(r.failed, 3);
  EXPECT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors.at("http_503"), 2);
  EXPECT_EQ(r.errors.at("timeout"), 1);
  EXPECT_EQ(r.errors.count(kRejectedKind), 0u);
  LoadConfig c = small(6, 1);
  c.url = "http://127.0.0.1:1";
  const LoadPlan plan = std::move(make_plan(c)).value();
  const nlohmann::json j = nlohmann::json::parse(report_json(r, plan));
  EXPECT_EQ(j["rejected"], 2);
  EXPECT_EQ(j["failed"], 3);
  EXPECT_NE(report_text(r, plan).find("2 rejected (429), 3 failed"), std::string::npos);
}

// 1,000 sockets in flight at once (the load generator's maximum) against an
// in-process server: both ends live here, so ~2,000 descriptors.
TEST(LoadRunner, HoldsAThousandConnections) {
  const Result<FdLimit> lim = raise_fd_limit();
  ASSERT_TRUE(lim.ok()) << lim.error().to_string();
  if (lim->soft < 2 * kMaxConcurrency + 64) GTEST_SKIP() << "open-file limit " << lim->soft;
  FakeBackendConfig fake;
  fake.max_active = 2 * kMaxConcurrency;
  fake.first_token_delay = std::chrono::milliseconds(200);  // all connect before any ends
  server::ServerConfig config;
  config.threads = 2;
  Served s(fake, config);
  int64_t connections = 0;
  LoadConfig c = small(kMaxConcurrency, kMaxConcurrency);
  c.timeout_s = 60;
  const Report r = run(plan_for(s.port, c), &connections);
  EXPECT_EQ(connections, kMaxConcurrency);
  EXPECT_EQ(r.succeeded, kMaxConcurrency);
  EXPECT_EQ(r.rejected + r.failed, 0);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(s.backend->submitted(), kMaxConcurrency);
}

// --connections: all opened (GET /health each) before the first request,
// held, and the requests spread over them: no connection is opened later.
TEST(LoadRunner, PreopenedConnectionsCarryTheRun) {
  Served s;
  LoadConfig c = small(120, 0);
  c.connections = 40;
  c.rate = 400;
  c.endpoint = "predict";
  int64_t connections = 0, retries = 0;
  const Report r = run(plan_for(s.port, c), &connections, &retries);
  EXPECT_EQ(connections, 40);
  EXPECT_EQ(retries, 0);
  EXPECT_EQ(r.succeeded, 120);
  EXPECT_EQ(s.backend->submitted(), 120);  // /health is not a generation
}

TEST(LoadRunner, PreopenAgainstAStoppedServerIsAnError) {
  uint16_t port = 0;
  {
    Served s;
    port = s.port;
    s.http->stop();
  }
  LoadConfig c = small(10, 0);
  c.connections = 5;
  const Result<LoadResult> r = run_load(plan_for(port, c));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("--connections 5"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("connect"), std::string::npos) << r.error().message;
}

TEST(LoadRunner, StoppedServerGivesConnectErrors) {
  uint16_t port = 0;
  {
    Served s;
    port = s.port;
    s.http->stop();
  }
  const SteadyClock::time_point t0 = SteadyClock::now();
  const Report r = run(plan_for(port, small(10, 2)));
  EXPECT_LT(seconds_since(t0), 5.0);
  EXPECT_EQ(r.failed, 10);
  EXPECT_EQ(r.errors.at("connect"), 10);
}

TEST(LoadRunner, TimeoutIsCounted) {
  FakeBackendConfig fake;
  fake.first_token_delay = std::chrono::seconds(5);
  Served s(fake);
  LoadConfig c = small(4, 2);
  c.timeout_s = 0.2;
  const SteadyClock::time_point t0 = SteadyClock::now();
  const Report r = run(plan_for(s.port, c));
  EXPECT_LT(seconds_since(t0), 3.0);
  EXPECT_EQ(r.errors.at("timeout"), 4);
}

TEST(LoadRunner, CompletionsAndPredict) {
  Served s;
  LoadConfig c = small(10, 3);
  c.endpoint = "completions";
  Report r = run(plan_for(s.port, c));
  EXPECT_EQ(r.succeeded, 10);
  EXPECT_EQ(r.ttft_s.count, 10);
  c.endpoint = "predict";
  r = run(plan_for(s.port, c));
  EXPECT_EQ(r.succeeded, 10);
  EXPECT_EQ(r.output_tokens, 100);
  EXPECT_EQ(r.ttft_s.count, 0);  // not streamed
  EXPECT_EQ(r.e2e_s.count, 10);
}

TEST(LoadRunner, PoissonRateWithCap) {
  Served s;
  LoadConfig c = small(30, 4);
  c.rate = 300;
  c.seed = 7;
  const Report r = run(plan_for(s.port, c));
  EXPECT_EQ(r.succeeded, 30);
  EXPECT_EQ(s.backend->submitted(), 30);
}

TEST(LoadRunner, DurationBoundsTheRun) {
  Served s;
  LoadConfig c = small(0, 2);
  c.duration_s = 0.3;
  const SteadyClock::time_point t0 = SteadyClock::now();
  const Report r = run(plan_for(s.port, c));
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_GT(r.succeeded, 2);
  EXPECT_EQ(r.failed, 0);
}

TEST(LoadRunner, StaleKeepAliveIsRetried) {
  server::ServerConfig config;
  config.limits.idle_timeout = std::chrono::milliseconds(20);  // closes idle connections
  Served s({}, config);
  LoadConfig c = small(4, 1);
  c.rate = 8;  // ~125 ms between arrivals: the kept-alive connection goes stale
  c.seed = 3;
  int64_t connections = 0;
  int64_t retries = 0;
  const Report r = run(plan_for(s.port, c), &connections, &retries);
  EXPECT_EQ(r.succeeded, 4);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_GT(connections, 1);
  EXPECT_GT(retries, 0);
}

TEST(LoadRunner, ApiKey) {
  server::ServerConfig config;
  config.api_keys = {"sekret"};
  Served s({}, config);
  LoadConfig c = small(3, 1);
  Report r = run(plan_for(s.port, c));
  EXPECT_EQ(r.errors.at("http_401"), 3);
  c.api_key = "sekret";
  r = run(plan_for(s.port, c));
  EXPECT_EQ(r.succeeded, 3);
}

TEST(LoadRunner, JsonReportHasKeys) {
  Served s;
  const LoadPlan plan = plan_for(s.port, small(5, 2));
  const nlohmann::json j = nlohmann::json::parse(report_json(run(plan), plan), nullptr, false);
  ASSERT_TRUE(j.is_object());
  for (const char* key : {"url", "endpoint", "concurrency", "rate", "duration_s", "total",
                          "succeeded", "rejected", "failed", "connections", "output_tokens",
                          "requests_per_s",
                          "output_tokens_per_s", "ttft_ms", "tpot_ms", "itl_ms", "e2el_ms",
                          "errors"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  for (const char* m : {"ttft_ms", "tpot_ms", "itl_ms", "e2el_ms"}) {
    for (const char* k : {"mean", "p50", "p90", "p99", "count"}) EXPECT_TRUE(j[m].contains(k));
  }
  EXPECT_EQ(j["succeeded"], 5);
  EXPECT_TRUE(j["errors"].empty());
}

TEST(LoadRunner, BodiesAreValidServerRequests) {
  server::ParseLimits limits;
  limits.model_id = "fake-r1";
  BodyParams p{ApiEndpoint::kChat, "fake-r1", synthetic_prompt(8, 1, 2), 16};
  EXPECT_TRUE(server::parse_chat_request(request_body(p), limits).ok());
  p.endpoint = ApiEndpoint::kCompletions;
  EXPECT_TRUE(server::parse_completion_request(request_body(p), limits).ok());
  p.endpoint = ApiEndpoint::kPredict;
  p.model.clear();
  EXPECT_TRUE(server::parse_predict_request(request_body(p), limits).ok());
}

}  // namespace
}  // namespace r1::loadgen
