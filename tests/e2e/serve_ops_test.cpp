// `r1serve serve` process lifecycle end to end: /health and /ready while the
// demo model is synthesized and loaded, 429 when the queue is full, SIGTERM
// draining a stream and exiting 0, and (informational) tokens/s of one
// stream vs 8 concurrent ones on the tiny model.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "serve_test_util.h"

namespace r1::e2e {
namespace {

std::string temp_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    (name + "." + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(ServeOps, HealthAndReadyWhileTheDemoModelLoads) {
  const std::string cache = temp_dir("r1serve_demo_cache");
  ServeProcess s({"--demo-preset", "tiny-qwen2", "--threads", "2"}, {"R1SERVE_CACHE=" + cache});
  ASSERT_TRUE(s.started()) << s.log();
  // Synthesizing the demo model takes seconds: /health is up, /ready not.
  EXPECT_EQ(http_request(s.port(), "GET", "/health").status, 200);
  const ClientResponse loading = http_request(s.port(), "GET", "/ready");
  EXPECT_EQ(loading.status, 503) << loading.body;
  EXPECT_EQ(parse(loading.body)["status"], "loading");
  EXPECT_FALSE(loading.header("retry-after").empty());
  ASSERT_TRUE(s.wait_ready(std::chrono::seconds(60))) << s.log();
  EXPECT_EQ(http_request(s.port(), "GET", "/health").status, 200);
  const json models = parse(http_request(s.port(), "GET", "/v1/models").body);
  EXPECT_EQ(models["data"][0]["id"], "r1-demo-random-weights");
  EXPECT_NE(s.log().find("RANDOM WEIGHTS"), std::string::npos);
  EXPECT_EQ(ask(s.port(), chat_json("Hi", 2)).status, 200);
  s.send_signal(SIGTERM);
  EXPECT_EQ(s.wait_exit(std::chrono::seconds(10)), 0) << s.log();
  std::filesystem::remove_all(cache);
}

TEST(ServeOps, QueueFullGets429WithRetryAfter) {
  ServeProcess s({"-m", tiny_model(), "--parallel", "1", "--queue", "1", "--ctx", "4096", "--threads", "2"});
  ASSERT_TRUE(s.started()) << s.log();
  ASSERT_TRUE(s.wait_ready(std::chrono::seconds(30))) << s.log();
  server::test::RawConnection running(s.port());
  ASSERT_TRUE(running.send(raw_stream_request("one", 4000)));
  ASSERT_NE(running.read_until("data:", 10'000), "");
  server::test::RawConnection waiting(s.port());
  ASSERT_TRUE(waiting.send(raw_stream_request("two", 4000)));
  ASSERT_TRUE(wait_metric(s.port(), "r1serve_queue_depth", 1, std::chrono::seconds(5)));
  const ClientResponse full = post(s.port(), "/v1/chat/completions", chat_json("three", 4));
  EXPECT_EQ(full.status, 429) << full.body;
  EXPECT_EQ(full.header("retry-after"), "1");
  EXPECT_EQ(parse(full.body)["error"]["type"], "rate_limit_error");
  // Both held requests end when their clients go away; the slot frees.
  running.close();
  waiting.close();
  EXPECT_TRUE(wait_metric(s.port(), "r1serve_running_sequences", 0, std::chrono::seconds(10)));
  EXPECT_TRUE(wait_metric(s.port(), "r1serve_queue_depth", 0, std::chrono::seconds(10)));
  EXPECT_EQ(ask(s.port(), chat_json("four", 2)).status, 200);
}

TEST(ServeOps, SigtermDrainsTheStreamAndExitsZero) {
  ServeProcess s({"-m", tiny_model(), "--threads", "2", "--grace-seconds", "30"});
  ASSERT_TRUE(s.started()) << s.log();
  ASSERT_TRUE(s.wait_ready(std::chrono::seconds(30))) << s.log();
  server::test::RawConnection stream(s.port());
  // Long enough (seconds) that the checks below run while it streams.
  ASSERT_TRUE(stream.send(raw_stream_request("Count slowly.", 1000)));
  ASSERT_NE(stream.read_until("data:", 10'000), "");
  s.send_signal(SIGTERM);
  // Draining: /ready and new generations answer 503 while the stream goes on.
  ClientResponse ready;
  for (int i = 0; i < 100 && ready.status != 503; ++i) {
    ready = http_request(s.port(), "GET", "/ready");
    if (ready.status != 503) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(ready.status, 503) << ready.body;
  const ClientResponse refused = post(s.port(), "/v1/chat/completions", chat_json("late", 2));
  EXPECT_EQ(refused.status, 503) << refused.body;
  const std::string all = stream.read_until("data: [DONE]", 60'000);
  ASSERT_NE(all, "") << s.log();
  EXPECT_NE(all.find("\"finish_reason\":\"length\""), std::string::npos);
  EXPECT_EQ(s.wait_exit(std::chrono::seconds(10)), 0) << s.log();
}

// Informational: generated tokens per second, one stream vs 8 at once.
TEST(ServeOps, ThroughputOneVsEightStreams) {
  ServeProcess s({"-m", tiny_model(), "--parallel", "8", "--ctx", "512", "--threads", "2"});
  ASSERT_TRUE(s.started()) << s.log();
  ASSERT_TRUE(s.wait_ready(std::chrono::seconds(30))) << s.log();
  constexpr int kTokens = 96;
  auto run = [&](int n) {
    const SteadyClock::time_point t0 = SteadyClock::now();
    std::atomic<int64_t> tokens{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        const ClientResponse r = post(s.port(), "/v1/chat/completions",
                                      chat_json("speed " + std::to_string(i), kTokens));
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.status == 200) tokens += parse(r.body)["usage"]["completion_tokens"].get<int64_t>();
      });
    }
    for (std::thread& t : threads) t.join();
    return static_cast<double>(tokens.load()) / seconds_since(t0);
  };
  run(1);  // warm-up
  const double one = run(1);
  const double eight = run(8);
  std::printf("[ serve throughput ] tiny-qwen2 q8_0, 2 threads: 1 stream %.0f tok/s, "
              "8 streams %.0f tok/s (x%.2f)\n", one, eight, eight / one);
  EXPECT_GT(eight, 0);
}

}  // namespace
}  // namespace r1::e2e
