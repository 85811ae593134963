// `r1serve serve --test-mode --fault-*` end to end: the fault flags are
// refused without --test-mode (one error line, exit 2, nothing started);
// --fault-error-rate 1 answers every generation 500 "injected_fault" while
// /health and /ready stay up; --fault-latency-ms delays the response;
// --fault-hang-after 3 stops a stream after 3 chunks and never ends it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "chaos_util.h"
#include "serve_process.h"

namespace r1::e2e {
namespace {

using chaos::http_call;
using chaos::json;
using chaos::Ms;

const std::string kPredict = R"({"prompt":"hello there","max_tokens":2,"temperature":0})";

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

TEST(ServeFaults, FaultFlagsAreRefusedWithoutTestMode) {
  const std::vector<std::vector<std::string>> flags = {
      {"--fault-error-rate", "0.5"}, {"--fault-latency-ms", "10"}, {"--fault-hang-after", "3"},
      {"--fault-error-rate", "0"}};
  for (const auto& f : flags) {
    std::vector<std::string> args = {"-m", tiny_model(), "--threads", "1"};
    args.insert(args.end(), f.begin(), f.end());
    ServeProcess s(args);
    EXPECT_FALSE(s.started()) << s.log();
    EXPECT_EQ(s.wait_exit(Ms(10'000)), 2) << f[0] << ": " << s.log();
    const std::string log = s.log();
    EXPECT_EQ(count_lines(log), 1) << log;
    EXPECT_EQ(log.rfind("error: ", 0), 0u) << log;
    EXPECT_NE(log.find(f[0]), std::string::npos) << log;
    EXPECT_NE(log.find("--test-mode"), std::string::npos) << log;
  }
}

TEST(ServeFaults, TestModeWithoutFaultsServesNormally) {
  ServeProcess s({"-m", tiny_model(), "--threads", "1", "--test-mode"});
  ASSERT_TRUE(s.started()) << s.log();
  ASSERT_TRUE(s.wait_ready(Ms(30'000))) << s.log();
  for (int i = 0; i < 5; ++i) {
    const chaos::HttpReply r = http_call(s.port(), "POST", "/api/predict", kPredict, Ms(10'000));
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_NE(s.log().find("TEST MODE"), std::string::npos) << s.log();
}

TEST(ServeFaults, ErrorRateOneFailsEveryGeneration) {
  ServeProcess s({"-m", tiny_model(), "--threads", "1", "--test-mode", "--fault-error-rate", "1"});
  ASSERT_TRUE(s.started()) << s.log();
  ASSERT_TRUE(s.wait_ready(Ms(30'000))) << s.log();
  for (int i = 0; i < 20; ++i) {
    const chaos::HttpReply r = http_call(s.port(), "POST", "/api/predict", kPredict, Ms(10'000));
    ASSERT_EQ(r.status, 500) << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["error"]["code"], "injected_fault") << r.body;
  }
  const chaos::ChatStream c = chaos::chat_stream(s.port(), chaos::greedy_chat("hi", 4), Ms(10'000));
  EXPECT_EQ(c.status, 500) << c.body;
  // Only the generation routes fail.
  EXPECT_EQ(http_call(s.port(), "GET", "/health", "", Ms(5000)).status, 200);
  EXPECT_EQ(http_call(s.port(), "GET", "/ready", "", Ms(5000)).status, 200);
  EXPECT_EQ(http_call(s.port(), "GET", "/v1/models", "", Ms(5000)).status, 200);
}

// A gateway gives a new version its stable pool's worker flags:
// --fault-if-model makes only the workers of a matching model faulty.
TEST(ServeFaults, FaultIfModelAppliesOnlyToMatchingModelPaths) {
  ServeProcess other({"-m", tiny_model(), "--threads", "1", "--test-mode", "--fault-error-rate", "1",
                      "--fault-if-model", "no-such-substring"});
  ServeProcess match({"-m", tiny_model(), "--threads", "1", "--test-mode", "--fault-error-rate", "1",
                      "--fault-if-model", "tiny_qwen2"});
  ASSERT_TRUE(other.wait_ready(Ms(30'000))) << other.log();
  ASSERT_TRUE(match.wait_ready(Ms(30'000))) << match.log();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(http_call(other.port(), "POST", "/api/predict", kPredict, Ms(10'000)).status, 200);
    EXPECT_EQ(http_call(match.port(), "POST", "/api/predict", kPredict, Ms(10'000)).status, 500);
  }
}

TEST(ServeFaults, LatencyDelaysTheResponse) {
  constexpr int kLatencyMs = 400;
  ServeProcess s({"-m", tiny_model(), "--threads", "1", "--test-mode", "--fault-latency-ms",
                  std::to_string(kLatencyMs)});
  ASSERT_TRUE(s.started()) << s.log();
  ASSERT_TRUE(s.wait_ready(Ms(30'000))) << s.log();
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const chaos::HttpReply r = http_call(s.port(), "POST", "/api/predict", kPredict, Ms(10'000));
    const auto ms = std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_GE(ms, kLatencyMs);
  }
}

TEST(ServeFaults, HangAfterThreeStopsTheStreamAfterThreeChunks) {
  ServeProcess s({"-m", tiny_model(), "--threads", "1", "--test-mode", "--fault-hang-after", "3"});
  ASSERT_TRUE(s.started()) << s.log();
  ASSERT_TRUE(s.wait_ready(Ms(30'000))) << s.log();
  // 64 tokens take well under a second on the tiny model: 3 s of silence
  // after the third chunk means the stream hangs.
  const chaos::ChatStream c = chaos::chat_stream(s.port(), chaos::greedy_chat("tell me", 64), Ms(3000));
  EXPECT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.error, "timeout") << c.body;
  EXPECT_FALSE(c.done) << c.body;
  EXPECT_EQ(c.events, 3) << c.body;
  EXPECT_GE(c.chunks, 1) << c.body;
  EXPECT_TRUE(c.finish_reason.empty()) << c.body;
  // Only that response hangs: the server itself still answers.
  EXPECT_EQ(http_call(s.port(), "GET", "/ready", "", Ms(5000)).status, 200);
}

}  // namespace
}  // namespace r1::e2e
