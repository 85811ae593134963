// Test-only fault injection (ServerConfig::faults) over real HTTP against
// the FakeBackend: injected 500s (all, and a seeded share), added latency,
// and streams that hang after N token chunks.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/fault_injection.h"
#include "test_server.h"

namespace r1::server::test {
namespace {

using std::chrono::milliseconds;

ServerConfig with_faults(const FaultConfig& faults) {
  ServerConfig c;
  c.faults = faults;
  return c;
}

FakeBackendConfig fast_fake() {
  FakeBackendConfig f;
  f.tick = std::chrono::microseconds(100);
  return f;
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

double ms_of(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

TEST(FaultInjection, ErrorRateOneFailsEveryGeneration) {
  FaultConfig f;
  f.error_rate = 1.0;
  TestServer s(fast_fake(), with_faults(f));
  for (int i = 0; i < 20; ++i) {
    const ClientResponse r =
        s.post("/v1/chat/completions", chat_body(i % 2 ? R"("stream":true)" : ""));
    EXPECT_EQ(r.status, 500) << r.body;
    EXPECT_TRUE(is_openai_error(r.body)) << r.body;
    EXPECT_EQ(parse_json(r.body)["error"]["code"], "injected_fault");
  }
  EXPECT_EQ(s.post("/v1/completions", R"({"prompt":"x"})").status, 500);
  EXPECT_EQ(s.backend->submitted(), 0);
  EXPECT_EQ(s.get("/health").status, 200);  // probes are not faulted
  EXPECT_EQ(s.get("/v1/models").status, 200);
}

TEST(FaultInjection, ErrorRateIsASeededShare) {
  FaultConfig f;
  f.error_rate = 0.1;
  f.seed = 42;
  TestServer s(fast_fake(), with_faults(f));
  Client client(s.port);
  int errors = 0;
  const int kRequests = 500;
  for (int i = 0; i < kRequests; ++i) {
    const ClientResponse r = client.request("POST", "/v1/chat/completions",
                                            chat_body(R"("max_tokens":1)"));
    ASSERT_TRUE(r.status == 200 || r.status == 500) << r.status << " " << r.body;
    errors += r.status == 500;
  }
  // Binomial(500, 0.1): mean 50, sd ~6.7.
  EXPECT_GE(errors, 25);
  EXPECT_LE(errors, 80);
  EXPECT_EQ(s.backend->submitted(), kRequests - errors);
}

TEST(FaultInjection, DrawsAreReproducibleForASeed) {
  FaultConfig f;
  f.error_rate = 0.5;
  f.seed = 7;
  FaultInjector a(f), b(f);
  int same = 0;
  for (int i = 0; i < 64; ++i) same += a.draw_error() == b.draw_error();
  EXPECT_EQ(same, 64);
}

TEST(FaultInjection, AddedLatencyDelaysTheResponseStart) {
  FaultConfig f;
  f.added_latency = milliseconds(150);
  TestServer s(fast_fake(), with_faults(f));
  EXPECT_GE(ms_of([&] { EXPECT_EQ(s.post("/v1/chat/completions", kHello).status, 200); }), 150.0);
  EXPECT_GE(ms_of([&] {
              EXPECT_EQ(s.post("/v1/chat/completions", chat_body(R"("stream":true)")).status, 200);
            }),
            150.0);
}

// Delays overlap: they do not block the server's threads. Eight delayed
// requests at once end in about one delay, not in eight one after another
// (2.8 s apart: a loaded machine does not blur the two).
TEST(FaultInjection, AddedLatenciesOverlap) {
  constexpr int kClients = 8;
  constexpr double kLatencyMs = 400;
  FaultConfig f;
  f.added_latency = milliseconds(static_cast<int>(kLatencyMs));
  TestServer s(fast_fake(), with_faults(f));
  std::vector<std::thread> clients;
  const double total = ms_of([&] {
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&] { EXPECT_EQ(s.post("/v1/chat/completions", kHello).status, 200); });
    }
    for (auto& t : clients) t.join();
  });
  EXPECT_LT(total, kClients * kLatencyMs);
  EXPECT_EQ(s.get("/health").status, 200);
}

TEST(FaultInjection, LatencyAlsoDelaysInjectedErrors) {
  FaultConfig f;
  f.error_rate = 1.0;
  f.added_latency = milliseconds(100);
  TestServer s(fast_fake(), with_faults(f));
  EXPECT_GE(ms_of([&] { EXPECT_EQ(s.post("/v1/chat/completions", kHello).status, 500); }), 100.0);
}

// Sends a chat request, waits 500 ms and returns what arrived.
std::string raw_post(const std::string& body, RawConnection* conn) {
  const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          "application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  EXPECT_TRUE(conn->send(req));
  EXPECT_EQ(conn->read_until("[DONE]", 500), "");  // never arrives
  return conn->read_until("", 0);                   // everything so far
}

TEST(FaultInjection, HangAfterTokensStopsTheStreamAfterExactlyNChunks) {
  FaultConfig f;
  f.hang_after_tokens = 3;
  TestServer s(fast_fake(), with_faults(f));
  RawConnection conn(s.port);
  const std::string got = raw_post(chat_body(R"("stream":true)"), &conn);
  EXPECT_NE(got.find("200 OK"), std::string::npos) << got;
  EXPECT_EQ(count_of(got, "data: "), 3u) << got;
  EXPECT_EQ(got.find("finish_reason\":\"stop"), std::string::npos) << got;
  conn.close();
  // Other requests are not affected by the hung one; short ones finish.
  const ClientResponse r =
      s.post("/v1/chat/completions", chat_body(R"("stream":true,"max_tokens":2)"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("[DONE]"), std::string::npos) << r.body;
}

TEST(FaultInjection, HangAfterZeroNeverAnswersANonStream) {
  FaultConfig f;
  f.hang_after_tokens = 0;
  TestServer s(fast_fake(), with_faults(f));
  RawConnection conn(s.port);
  EXPECT_EQ(raw_post(kHello, &conn), "");
  EXPECT_EQ(s.get("/health").status, 200);
}

TEST(FaultInjection, StoppingTheServerReleasesHungResponses) {
  FaultConfig f;
  f.hang_after_tokens = 2;
  auto s = std::make_unique<TestServer>(fast_fake(), with_faults(f));
  RawConnection stream_conn(s->port), plain_conn(s->port);
  EXPECT_EQ(count_of(raw_post(chat_body(R"("stream":true)"), &stream_conn), "data: "), 2u);
  EXPECT_EQ(raw_post(kHello, &plain_conn), "");
  // The client is still there: stop() ends the hung responses (no leak).
  EXPECT_LT(ms_of([&] { s.reset(); }), 2000.0);
}

}  // namespace
}  // namespace r1::server::test
