// Proxy integration tests: real loopback sockets, fake upstream workers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "../server/http_client.h"
#include "gateway/admin/admin.h"
#include "gateway/proxy/continuation.h"
#include "gateway/policy/http_probe.h"
#include "gateway/proxy/proxy.h"
#include "proxy_fake_upstream.h"

namespace r1::gateway {
namespace {

using server::test::http_request;
using server::test::RawConnection;
using test::FakeUpstream;
using test::FakeUpstreamScript;

const std::string kFull = "Hello, world!";
const std::string kStreamBody =
    R"({"messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":16})";

struct Harness {
  GatewayConfig config;
  std::unique_ptr<DefaultRouter> router;
  ProxyMetrics metrics;
  std::unique_ptr<ProxyServer> proxy;

  explicit Harness(std::vector<std::pair<std::string, PoolRole>> versions) {
    for (const auto& [name, role] : versions) config.pools.push_back(PoolConfig{name, "m.gguf", 1, role});
    config.breaker.min_requests = 2;
    config.breaker.error_rate_percent = 10;
    config.retries.max_attempts = 2;
    config.stream.per_token_timeout = std::chrono::milliseconds(300);
    router = make_router(config, real_clock());
  }
  void add(const std::string& version, const std::string& id, int port) {
    ASSERT_TRUE(router->add_replica(version, ReplicaInfo{id, "127.0.0.1", port}).ok());
    ASSERT_TRUE(router->set_endpoint(id, "127.0.0.1", port).ok());
    router->set_healthy(id, true);
  }
  uint16_t start() {
    auto p = ProxyServer::start(proxy_options_for_test(), *router, metrics);
    EXPECT_TRUE(p.ok());
    proxy = std::move(p).value();
    return proxy->port();
  }
  ProxyOptions proxy_options_for_test() {
    ProxyOptions o = proxy_options(config);
    o.port = 0;
    o.connect_timeout = std::chrono::milliseconds(500);
    o.response_timeout = std::chrono::seconds(5);
    return o;
  }
};

// The concatenated delta text of an SSE body; fails on r1_token_ids.
std::string stream_text(const std::string& body, int* chunks) {
  std::string text;
  SseSplitter s;
  s.feed(body);
  while (auto ev = s.next()) {
    const std::string data = sse_data(*ev);
    if (data == "[DONE]" || data.empty()) continue;
    auto j = nlohmann::json::parse(data);
    EXPECT_FALSE(j.contains("r1_token_ids"));
    EXPECT_FALSE(j.contains("error")) << data;
    const auto& delta = j["choices"][0]["delta"];
    if (delta.contains("content")) text += delta["content"].get<std::string>();
    ++*chunks;
  }
  return text;
}

// Streams kStreamBody through the proxy; the client must get all of kFull.
void expect_full_stream(Harness& h, std::string* body = nullptr) {
  auto r = http_request(h.start(), "POST", "/v1/chat/completions", kStreamBody);
  ASSERT_EQ(r.status, 200) << r.body;
  int chunks = 0;
  EXPECT_EQ(stream_text(r.body, &chunks), kFull) << r.body;
  if (body != nullptr) *body = r.body;
}

TEST(ProxyTest, NonStreamRelayWithVersionHeader) {
  FakeUpstream up(FakeUpstreamScript{});
  Harness h({{"v1", PoolRole::kPrimary}});
  h.add("v1", "v1/0", up.port());
  const uint16_t port = h.start();
  for (int i = 0; i < 3; ++i) {  // keep-alive pooling: one upstream connection serves all
    auto r = http_request(port, "POST", "/v1/chat/completions", R"({"messages":[]})",
                          {{"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header(kVersionHeader), "v1");
    EXPECT_NE(r.body.find(kFull), std::string::npos);
  }
  EXPECT_EQ(up.requests(), 3);
  EXPECT_EQ(h.router->snapshot()[0].outstanding, 0);
}

TEST(ProxyTest, SseIsRelayedUnbuffered) {
  FakeUpstreamScript script;
  script.hold_after_first = true;
  FakeUpstream up(script);
  Harness h({{"v1", PoolRole::kPrimary}});
  h.add("v1", "v1/0", up.port());
  RawConnection conn(h.start());
  ASSERT_TRUE(conn.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: " + std::to_string(kStreamBody.size()) + "\r\n\r\n" + kStreamBody));
  const std::string first = conn.read_until("Hel", 3000);  // upstream still holding
  ASSERT_FALSE(first.empty());
  EXPECT_NE(first.find("x-r1serve-model-version: v1"), std::string::npos);
  EXPECT_EQ(first.find("r1_token_ids"), std::string::npos);
  up.release();
  EXPECT_FALSE(conn.read_until("[DONE]", 3000).empty());
}

TEST(ProxyTest, ConnectRefusedIsRetriedOnAnotherReplica) {
  FakeUpstream up(FakeUpstreamScript{});
  Harness h({{"v1", PoolRole::kPrimary}});
  h.add("v1", "v1/0", find_free_port());  // nothing listens there
  h.add("v1", "v1/1", up.port());
  const uint16_t port = h.start();
  for (int i = 0; i < 4; ++i) {
    auto r = http_request(port, "POST", "/v1/chat/completions", "{}", {{"x-session-id", "s" + std::to_string(i)}});
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_GE(h.metrics.counters().retries_total, 1);
  EXPECT_EQ(up.requests(), 4);
}

void expect_continuation(bool hang) {
  FakeUpstreamScript script;
  script.break_after = 2;
  script.hang = hang;
  FakeUpstream a(script), b(script);  // whichever serves first breaks once
  Harness h({{"v1", PoolRole::kPrimary}});
  h.add("v1", "v1/0", a.port());
  h.add("v1", "v1/1", b.port());
  std::string client_body;
  expect_full_stream(h, &client_body);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_EQ(h.metrics.counters().continuations_total, 1);
  ASSERT_EQ(a.requests() + b.requests(), 2);
  std::vector<std::string> all = a.bodies();
  for (const auto& x : b.bodies()) all.push_back(x);
  int with_resume = 0;
  for (const auto& body : all) {
    auto j = nlohmann::json::parse(body);
    EXPECT_TRUE(j.value(kIncludeTokenIdsField, false));
    if (j.contains(kResumeTokensField)) {
      ++with_resume;
      EXPECT_EQ(j[kResumeTokensField], nlohmann::json({100, 101}));
    }
  }
  EXPECT_EQ(with_resume, 1);
  EXPECT_EQ(client_body.find("chatcmpl-" + std::to_string(a.port())) != std::string::npos &&
                client_body.find("chatcmpl-" + std::to_string(b.port())) != std::string::npos,
            false);  // one stream id throughout
}

TEST(ProxyTest, StreamClosedMidwayContinuesOnAnotherReplica) { expect_continuation(false); }
TEST(ProxyTest, StreamHangingPastPerTokenTimeoutContinues) { expect_continuation(true); }

// A first token slower than the per-token timeout (queueing, prefill) is
// waited for up to the first-token timeout, not treated as a hang.
TEST(ProxyTest, SlowFirstTokenWaitsForTheFirstTokenTimeout) {
  FakeUpstreamScript script;
  script.first_piece_delay_ms = 900;  // 3 x per_token_timeout
  FakeUpstream a(script);
  Harness h({{"v1", PoolRole::kPrimary}});
  h.config.stream.first_token_timeout = std::chrono::seconds(5);
  h.add("v1", "v1/0", a.port());
  expect_full_stream(h);
  EXPECT_EQ(h.metrics.counters().continuations_total, 0);
  EXPECT_EQ(a.requests(), 1);
}

// A worker that never produces its first token is continued elsewhere once
// the first-token timeout passes.
TEST(ProxyTest, NoFirstTokenPastTheFirstTokenTimeoutContinues) {
  FakeUpstreamScript script;
  script.break_after = 0;
  script.hang = true;
  FakeUpstream a(script);  // hangs on its first stream only
  Harness h({{"v1", PoolRole::kPrimary}});
  h.config.stream.first_token_timeout = std::chrono::milliseconds(600);
  h.add("v1", "v1/0", a.port());  // the only replica: the continuation retries it
  const auto t0 = std::chrono::steady_clock::now();
  expect_full_stream(h);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(h.metrics.counters().continuations_total, 1);
  EXPECT_EQ(a.requests(), 2);
  EXPECT_GE(waited, 0.6);  // the first-token timeout, not the 300 ms per-token one
}

TEST(ProxyTest, ServerErrorsOpenTheBreakerAndTheBackupServes) {
  FakeUpstreamScript bad;
  bad.status = 500;
  FakeUpstream primary(bad), backup(FakeUpstreamScript{});
  Harness h({{"v1", PoolRole::kPrimary}, {"v0", PoolRole::kBackup}});
  h.config.retries.max_attempts = 1;
  h.add("v1", "v1/0", primary.port());
  h.add("v0", "v0/0", backup.port());
  const uint16_t port = h.start();
  std::vector<std::string> versions;
  for (int i = 0; i < 6; ++i) {
    auto r = http_request(port, "POST", "/v1/chat/completions", "{}");
    versions.push_back(r.header(kVersionHeader));
    if (r.status == 200) break;
    EXPECT_EQ(r.status, 500);
  }
  EXPECT_EQ(versions.front(), "v1");
  EXPECT_EQ(versions.back(), "v0");
  EXPECT_EQ(h.router->breaker("v1")->state(), BreakerState::kOpen);
}

TEST(ProxyTest, AdminStatusAndMetrics) {
  Harness h({{"v1", PoolRole::kPrimary}});
  h.add("v1", "v1/0", 12345);
  h.metrics.count_continuation();
  AdminSources sources{h.router.get(), nullptr, &h.metrics, h.config.pools};
  auto admin = AdminServer::start(AdminOptions{}, sources);
  ASSERT_TRUE(admin.ok());
  auto r = http_request((*admin)->port(), "GET", "/admin/status");
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["pools"][0]["name"], "v1");
  EXPECT_EQ(j["pools"][0]["breaker"]["state"], "closed");
  EXPECT_EQ(j["replicas"][0]["id"], "v1/0");
  EXPECT_EQ(j["replicas"][0]["healthy"], true);
  EXPECT_TRUE(j["replicas"][0].contains("pid"));
  EXPECT_TRUE(j["replicas"][0].contains("port"));
  EXPECT_EQ(j["counters"]["continuations_total"], 1);
  auto m = http_request((*admin)->port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("r1_gateway_breaker_state{version=\"v1\"} 0"), std::string::npos);
  EXPECT_NE(m.body.find("r1_gateway_continuations_total 1"), std::string::npos);
  EXPECT_NE(m.body.find("r1_gateway_added_latency_seconds_bucket"), std::string::npos);

  AdminOptions keyed;
  keyed.admin_key = "k";
  EXPECT_EQ(handle_admin(sources, keyed, "GET", "/admin/status", "").status, 401);
  EXPECT_EQ(handle_admin(sources, keyed, "GET", "/admin/status", "Bearer k").status, 200);
  AdminOptions open_wide;
  open_wide.host = "0.0.0.0";
  EXPECT_FALSE(AdminServer::start(open_wide, sources).ok());
}

// --- the wait queue: requests held while no replica can take them ---

const std::string kPlain = R"({"messages":[]})";

TEST(ProxyQueueTest, NoReadyReplicaHoldsTheRequestUntilOneIsReady) {
  FakeUpstream up(FakeUpstreamScript{});
  Harness h({{"v1", PoolRole::kPrimary}});
  h.add("v1", "v1/0", up.port());
  h.router->set_healthy("v1/0", false);  // starting: not ready yet
  const uint16_t port = h.start();
  std::thread ready([&] {
    for (int i = 0; i < 500 && h.metrics.counters().waiting == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    h.router->set_healthy("v1/0", true);
  });
  auto r = http_request(port, "POST", "/v1/chat/completions", kPlain);
  ready.join();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(kFull), std::string::npos);
  EXPECT_EQ(h.metrics.counters().queued_total, 1);
  EXPECT_EQ(h.metrics.counters().no_upstream_total, 0);
  EXPECT_EQ(h.metrics.counters().waiting, 0);
}

TEST(ProxyQueueTest, NoReplicaWithinTheQueueTimeoutIs503WithRetryAfter) {
  Harness h({{"v1", PoolRole::kPrimary}});
  h.config.queue.timeout = std::chrono::milliseconds(300);
  h.add("v1", "v1/0", 1);
  h.router->set_healthy("v1/0", false);
  auto r = http_request(h.start(), "POST", "/v1/chat/completions", kPlain);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_NE(r.body.find("queue.timeout (300ms; no replica ready)"), std::string::npos) << r.body;
  EXPECT_EQ(h.metrics.counters().queue_timeouts_total, 1);
  EXPECT_EQ(h.metrics.counters().no_upstream_total, 1);
  EXPECT_EQ(h.metrics.response_counts(), (std::map<int, int64_t>{{503, 1}}));
}

TEST(ProxyQueueTest, QueueDisabledAnswers503AtOnce) {
  Harness h({{"v1", PoolRole::kPrimary}});
  h.config.queue.max_waiting = 0;
  auto r = http_request(h.start(), "POST", "/v1/chat/completions", kPlain);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_EQ(h.metrics.counters().queued_total, 0);
}

TEST(ProxyQueueTest, FullQueueRefusesNewcomersAtOnce) {
  Harness h({{"v1", PoolRole::kPrimary}});
  h.config.queue.max_waiting = 1;
  h.config.queue.timeout = std::chrono::seconds(1);
  const uint16_t port = h.start();
  std::thread first([&] { EXPECT_EQ(http_request(port, "POST", "/v1/chat/completions", kPlain).status, 503); });
  for (int i = 0; i < 1000 && h.metrics.counters().waiting == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(h.metrics.counters().waiting, 1);
  auto r = http_request(port, "POST", "/v1/chat/completions", kPlain);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("gateway queue full (1 waiting)"), std::string::npos) << r.body;
  EXPECT_EQ(h.metrics.counters().waiting, 1);  // the first one still waits for its timeout
  first.join();
}

// A worker whose own queue is full answers 429: the gateway holds the
// request and sends it again when a request finishes or the head polls; the
// client never sees the 429, and a 429 does not count against the replica.
TEST(ProxyQueueTest, WorkerBusy429IsHeldAndSentAgain) {
  FakeUpstreamScript script;
  script.busy_first = 3;
  FakeUpstream up(script);
  Harness h({{"v1", PoolRole::kPrimary}});
  h.add("v1", "v1/0", up.port());
  auto r = http_request(h.start(), "POST", "/v1/chat/completions", kPlain);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(up.requests(), 4);
  EXPECT_EQ(h.metrics.counters().queued_total, 1);
  EXPECT_EQ(h.metrics.counters().retries_total, 0);
  EXPECT_EQ(h.router->breaker("v1")->state(), BreakerState::kClosed);
  expect_full_stream(h);  // the replica serves streams as before
  EXPECT_EQ(h.metrics.response_counts(), (std::map<int, int64_t>{{200, 2}}));  // the 429s never reached the client
}

TEST(ProxyQueueTest, WorkerBusyWithTheQueueDisabledPassesThe429On) {
  FakeUpstreamScript script;
  script.busy_first = 1;
  FakeUpstream up(script);
  Harness h({{"v1", PoolRole::kPrimary}});
  h.config.queue.max_waiting = 0;
  h.add("v1", "v1/0", up.port());
  auto r = http_request(h.start(), "POST", "/v1/chat/completions", kPlain);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_EQ(up.requests(), 1);
}

// The gateway's own probes are answered by the gateway, never relayed, and
// do not count as client responses.
TEST(ProxyTest, OwnHealthAndReadinessProbes) {
  FakeUpstream up(FakeUpstreamScript{});
  Harness h({{"v1", PoolRole::kPrimary}});
  h.add("v1", "v1/0", up.port());
  h.router->set_healthy("v1/0", false);  // no worker ready: the gateway itself still is
  std::atomic<bool> draining = false;
  ProxyOptions o = h.proxy_options_for_test();
  o.draining = [&] { return draining.load(); };
  auto p = ProxyServer::start(o, *h.router, h.metrics);
  ASSERT_TRUE(p.ok());
  const uint16_t port = (*p)->port();
  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
  auto ready = http_request(port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.header(kVersionHeader), "gateway");
  draining = true;
  EXPECT_EQ(http_request(port, "GET", "/readyz").status, 503);
  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
  EXPECT_EQ(up.requests(), 0);
  EXPECT_TRUE(h.metrics.response_counts().empty());
  EXPECT_EQ(h.metrics.counters().requests_total, 0);
}

}  // namespace
}  // namespace r1::gateway
