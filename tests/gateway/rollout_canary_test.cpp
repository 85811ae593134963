// RolloutController, canary strategy: FakeClock + FakeRolloutActions.
#include <gtest/gtest.h>

#include <algorithm>

#include "gateway/support/fake_clock.h"
#include "gateway/rollout/rollout.h"
#include "gateway/support/rollout_fake.h"

namespace r1::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

RolloutSpec canary_spec() {
  RolloutSpec s;
  s.stable_version = "v1";
  s.stable_model_path = "/m/v1.gguf";
  s.new_version = "v2";
  s.model_path = "/m/v2.gguf";
  s.strategy = RolloutStrategy::kCanary;
  s.replicas = 2;
  s.canary_percent = 5;
  s.analysis_window = minutes(30);
  s.min_requests = 100;
  s.max_error_rate_delta = 0.01;
  s.max_p99_ratio = 1.5;
  s.ready_timeout = minutes(10);
  return s;
}

bool called(const FakeRolloutActions& a, const std::string& call) {
  auto c = a.calls();
  return std::find(c.begin(), c.end(), call) != c.end();
}

void feed(RolloutController& c, const std::string& version, int n, int errors, milliseconds latency) {
  for (int i = 0; i < n; ++i) c.record(version, i >= errors, latency);
}

class CanaryTest : public ::testing::Test {
 protected:
  // Starts, makes v2 ready and ticks into the analysis phase.
  void start_analyzing() {
    ASSERT_TRUE(ctl.start(canary_spec()).ok());
    EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kStarting);
    clock.advance(seconds(5));
    ctl.tick();
    EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kStarting);  // not ready yet
    actions.set_ready("v2");
    ctl.tick();
    ASSERT_EQ(ctl.status().state.phase, RolloutPhase::kAnalyzing);
    EXPECT_EQ(actions.canary_weight("v2"), 5);
  }
  FakeClock clock;
  FakeRolloutActions actions;
  RolloutController ctl{clock, actions};
};

TEST_F(CanaryTest, PassIsPromotedAfterTheWindow) {
  start_analyzing();
  feed(ctl, "v1", 1000, 10, milliseconds(200));
  feed(ctl, "v2", 200, 2, milliseconds(220));
  clock.advance(minutes(29));
  ctl.tick();
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kAnalyzing);  // window not over
  clock.advance(minutes(1));
  ctl.tick();
  RolloutStatus st = ctl.status();
  EXPECT_EQ(st.state.phase, RolloutPhase::kSucceeded) << st.state.message;
  EXPECT_EQ(actions.canary_weight("v2"), 100);
  EXPECT_EQ(actions.stable(), "v2");
  EXPECT_TRUE(called(actions, "drain_and_stop v1"));
  EXPECT_FALSE(called(actions, "drain_and_stop v2"));
  EXPECT_EQ(st.state.canary_stats.requests, 200);
  EXPECT_GE(st.events.size(), 3u);
}

TEST_F(CanaryTest, HigherErrorRateRollsBack) {
  start_analyzing();
  feed(ctl, "v1", 1000, 10, milliseconds(200));  // 1%
  feed(ctl, "v2", 200, 10, milliseconds(200));   // 5%: delta 4 points > 1
  clock.advance(minutes(30));
  ctl.tick();
  RolloutStatus st = ctl.status();
  EXPECT_EQ(st.state.phase, RolloutPhase::kRolledBack);
  EXPECT_NE(st.state.message.find("error rate"), std::string::npos) << st.state.message;
  EXPECT_EQ(actions.canary_weight("v2"), 0);
  EXPECT_TRUE(called(actions, "drain_and_stop v2"));
  EXPECT_FALSE(called(actions, "drain_and_stop v1"));
  EXPECT_EQ(actions.stable(), "");  // never switched
}

TEST_F(CanaryTest, HigherP99RollsBack) {
  start_analyzing();
  feed(ctl, "v1", 1000, 0, milliseconds(200));
  feed(ctl, "v2", 200, 0, milliseconds(400));  // ratio 2 > 1.5
  clock.advance(minutes(30));
  ctl.tick();
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kRolledBack);
  EXPECT_NE(ctl.status().state.message.find("p99"), std::string::npos);
}

TEST_F(CanaryTest, InsufficientVolumeWaitsWithoutDeciding) {
  start_analyzing();
  feed(ctl, "v1", 1000, 0, milliseconds(200));
  feed(ctl, "v2", 99, 50, milliseconds(900));  // terrible, but below min_requests
  clock.advance(minutes(31));
  ctl.tick();
  ctl.tick();
  RolloutStatus st = ctl.status();
  EXPECT_EQ(st.state.phase, RolloutPhase::kAnalyzing);
  EXPECT_TRUE(st.state.waiting_reported);
  EXPECT_NE(st.events.back().message.find("insufficient volume"), std::string::npos);
  EXPECT_EQ(actions.canary_weight("v2"), 5);
  feed(ctl, "v2", 1, 1, milliseconds(900));  // the 100th: now decided (rolled back)
  ctl.tick();
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kRolledBack);
}

TEST_F(CanaryTest, OutcomesOfOtherVersionsAndPhasesAreIgnored) {
  ASSERT_TRUE(ctl.start(canary_spec()).ok());
  feed(ctl, "v2", 10, 0, milliseconds(1));  // still starting
  actions.set_ready("v2");
  ctl.tick();
  feed(ctl, "v0", 10, 0, milliseconds(1));
  EXPECT_EQ(ctl.status().state.canary_stats.requests, 0);
  EXPECT_EQ(ctl.status().state.stable_stats.requests, 0);
}

TEST_F(CanaryTest, NeverReadyFailsAndLeavesStableUntouched) {
  ASSERT_TRUE(ctl.start(canary_spec()).ok());
  clock.advance(minutes(9));
  ctl.tick();
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kStarting);
  clock.advance(minutes(1));
  ctl.tick();
  RolloutStatus st = ctl.status();
  EXPECT_EQ(st.state.phase, RolloutPhase::kFailed);
  EXPECT_NE(st.state.message.find("v2 not ready after 10m"), std::string::npos) << st.state.message;
  EXPECT_EQ(actions.calls(), (std::vector<std::string>{"start_version v2 /m/v2.gguf 2", "drain_and_stop v2"}));
  EXPECT_EQ(actions.stable(), "");
  // A new rollout may start after a terminal phase.
  EXPECT_TRUE(ctl.start(canary_spec()).ok());
}

TEST_F(CanaryTest, StartErrorsAndBadSpecs) {
  RolloutSpec bad = canary_spec();
  bad.new_version = "v1";
  EXPECT_EQ(ctl.start(bad).error().code, ErrorCode::kInvalidArgument);
  bad = canary_spec();
  bad.canary_percent = 0;
  EXPECT_EQ(ctl.start(bad).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kIdle);
  actions.fail_start("v2", "no such file");
  Status st = ctl.start(canary_spec());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kFailed);
  EXPECT_NE(ctl.status().state.message.find("no such file"), std::string::npos);
}

TEST_F(CanaryTest, SecondStartWhileActiveIsRefused) {
  start_analyzing();
  EXPECT_EQ(ctl.start(canary_spec()).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(CanaryTest, PromoteDuringAnalysisSkipsTheWindow) {
  start_analyzing();
  EXPECT_TRUE(ctl.promote().ok());
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kSucceeded);
  EXPECT_EQ(actions.stable(), "v2");
  EXPECT_FALSE(ctl.promote().ok());
}

TEST_F(CanaryTest, AbortWhileStarting) {
  ASSERT_TRUE(ctl.start(canary_spec()).ok());
  EXPECT_FALSE(ctl.promote().ok());
  EXPECT_TRUE(ctl.abort().ok());
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kAborted);
  EXPECT_TRUE(called(actions, "drain_and_stop v2"));
  EXPECT_FALSE(ctl.abort().ok());  // nothing left to abort
}

TEST_F(CanaryTest, AbortWhileAnalyzing) {
  start_analyzing();
  EXPECT_TRUE(ctl.abort().ok());
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kAborted);
  EXPECT_EQ(actions.canary_weight("v2"), 0);
  EXPECT_TRUE(called(actions, "drain_and_stop v2"));
  EXPECT_FALSE(called(actions, "drain_and_stop v1"));
}

TEST(VersionStats, P99AndErrorRate) {
  VersionStats s;
  EXPECT_EQ(s.p99_ms(), 0.0);
  EXPECT_EQ(s.error_rate(), 0.0);
  for (int i = 1; i <= 100; ++i) s.add(i != 1, milliseconds(i));
  EXPECT_DOUBLE_EQ(s.p99_ms(), 99.0);
  EXPECT_DOUBLE_EQ(s.error_rate(), 0.01);
  for (size_t i = 0; i < VersionStats::kMaxLatencySamples; ++i) s.add(true, milliseconds(1));
  EXPECT_EQ(s.latencies_ms.size(), VersionStats::kMaxLatencySamples);
}

}  // namespace
}  // namespace r1::gateway
