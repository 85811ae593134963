// The KV-cache gauges of a real `r1serve serve` process (tiny synthetic
// model): r1serve_kv_cache_usage_ratio counts the blocks referenced by live
// sequences, blocks they share with the prefix cache included;
// r1serve_kv_cache_cached_blocks counts those kept only by the prefix cache;
// r1serve_kv_cache_blocks_total is the pool. One server per test process.
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "../e2e/serve_test_util.h"

namespace r1::e2e {
namespace {

constexpr int64_t kBlock = 32;  // KvPool::kDefaultBlockSize

class ServeKvMetrics : public SharedServeTest<ServeKvMetrics> {
 public:
  static std::vector<std::string> server_args() {
    return {"-m", tiny_model(), "--parallel", "2", "--queue", "8", "--ctx", "512",
            "--threads", "2", "--http-threads", "2"};
  }
};

struct KvGauges {
  double usage = -1;
  double cached = -1;
  double total = -1;
  double running = -1;
  int64_t live_blocks() const { return std::llround(usage * total); }
};

KvGauges kv_gauges(uint16_t port) {
  const std::string text = scrape(port);
  return {metric(text, "r1serve_kv_cache_usage_ratio"), metric(text, "r1serve_kv_cache_cached_blocks"),
          metric(text, "r1serve_kv_cache_blocks_total"), metric(text, "r1serve_running_sequences")};
}

// Polls /metrics until `done` holds (the scheduler publishes its stats after
// the step that answered, so they can lag the response a little); the last
// gauges seen.
template <typename Pred>
KvGauges wait_gauges(uint16_t port, Pred done) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  KvGauges g = kv_gauges(port);
  while (!done(g) && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    g = kv_gauges(port);
  }
  return g;
}

std::string long_prompt() {
  std::string text;
  for (int i = 0; i < 60; ++i) text += " lorem " + std::to_string(i);
  return text;
}

TEST_F(ServeKvMetrics, IdleServerUsesNothing) {
  const KvGauges g = kv_gauges(port());
  // --parallel 2 x --ctx 512 positions in blocks of 32.
  EXPECT_EQ(g.total, 2 * 512 / kBlock);
  EXPECT_EQ(g.usage, 0);
  EXPECT_EQ(g.cached, 0);
}

TEST_F(ServeKvMetrics, LiveBlocksSharedWithThePrefixCacheCountAsUsed) {
  // 1. A finished request leaves its prompt's full blocks in the prefix
  //    cache: reclaimable, so not "used".
  const json first = chat_json(long_prompt(), 1);
  const ClientResponse r = post(port(), "/v1/chat/completions", first);
  ASSERT_EQ(r.status, 200) << r.body;
  const int64_t prompt_tokens = parse(r.body)["usage"]["prompt_tokens"].get<int64_t>();
  ASSERT_GE(prompt_tokens, 3 * kBlock);
  const int64_t full_blocks = prompt_tokens / kBlock;
  KvGauges g = wait_gauges(port(), [&](const KvGauges& k) { return k.cached >= full_blocks; });
  EXPECT_GE(g.cached, static_cast<double>(full_blocks));
  EXPECT_EQ(g.usage, 0);

  // 2. The same prompt, streamed: it shares those blocks with the cache and
  //    adds its own. All of them are used while it runs.
  const int max_tokens = static_cast<int>(500 - prompt_tokens);
  server::test::RawConnection conn(port());
  ASSERT_TRUE(conn.send(raw_stream_request(long_prompt(), max_tokens)));
  ASSERT_NE(conn.read_until("reasoning_content", 10'000), "");
  g = wait_gauges(port(), [](const KvGauges& k) { return k.running == 1; });
  ASSERT_EQ(g.running, 1) << "the stream ended before its gauges were seen";
  EXPECT_GT(g.usage, 0);
  EXPECT_GE(g.live_blocks(), full_blocks + 1);  // the shared prompt blocks + its own
  EXPECT_LE(g.live_blocks() + static_cast<int64_t>(g.cached), static_cast<int64_t>(g.total));

  // 3. Disconnected: nothing is used, the prompt's blocks stay cached.
  conn.close();
  g = wait_gauges(port(), [](const KvGauges& k) { return k.running == 0 && k.usage == 0; });
  EXPECT_EQ(g.running, 0);
  EXPECT_EQ(g.usage, 0);
  EXPECT_GE(g.cached, static_cast<double>(full_blocks));
  EXPECT_LE(g.cached, g.total);
}

}  // namespace
}  // namespace r1::e2e
