// RolloutController, blue-green and rolling strategies.
#include <gtest/gtest.h>

#include <algorithm>

#include "gateway/support/fake_clock.h"
#include "gateway/rollout/rollout.h"
#include "gateway/support/rollout_fake.h"

namespace r1::gateway {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Calls = std::vector<std::string>;

RolloutSpec spec(RolloutStrategy strategy, int replicas) {
  RolloutSpec s;
  s.stable_version = "v1";
  s.stable_model_path = "/m/v1.gguf";
  s.new_version = "v2";
  s.model_path = "/m/v2.gguf";
  s.strategy = strategy;
  s.replicas = replicas;
  s.analysis_window = minutes(10);
  s.ready_timeout = minutes(5);
  s.drain_timeout = minutes(2);
  return s;
}

RolloutPhase phase(const RolloutController& c) { return c.status().state.phase; }

class BlueGreenTest : public ::testing::Test {
 protected:
  void switch_over() {
    ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kBlueGreen, 2)).ok());
    ctl.tick();
    EXPECT_EQ(phase(ctl), RolloutPhase::kStarting);
    actions.set_ready("v2");
    ctl.tick();
    ASSERT_EQ(phase(ctl), RolloutPhase::kSwitched);
    EXPECT_EQ(actions.calls(), (Calls{"start_version v2 /m/v2.gguf 2", "smoke_test v2", "switch_stable v2"}));
    actions.clear_calls();
  }
  FakeClock clock;
  FakeRolloutActions actions;
  RolloutController ctl{clock, actions};
};

TEST_F(BlueGreenTest, SwitchKeepsOldWarmThenStopsItAfterBake) {
  switch_over();
  clock.advance(minutes(9));
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kSwitched);
  EXPECT_TRUE(actions.calls().empty());  // v1 still warm
  clock.advance(minutes(1));
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kSucceeded);
  EXPECT_EQ(actions.calls(), (Calls{"drain_and_stop v1"}));
}

TEST_F(BlueGreenTest, AbortAfterSwitchSwitchesBackInstantly) {
  switch_over();
  clock.advance(minutes(3));
  ASSERT_TRUE(ctl.abort().ok());
  EXPECT_EQ(phase(ctl), RolloutPhase::kAborted);
  EXPECT_EQ(actions.calls(), (Calls{"switch_stable v1", "drain_and_stop v2"}));
  EXPECT_EQ(actions.stable(), "v1");
}

TEST_F(BlueGreenTest, PromoteFinishesEarly) {
  switch_over();
  ASSERT_TRUE(ctl.promote().ok());
  EXPECT_EQ(phase(ctl), RolloutPhase::kSucceeded);
  EXPECT_EQ(actions.calls(), (Calls{"drain_and_stop v1"}));
}

TEST_F(BlueGreenTest, SmokeFailureStopsNewAndNeverSwitches) {
  actions.fail_smoke("HTTP 500");
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kBlueGreen, 1)).ok());
  actions.set_ready("v2");
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kFailed);
  EXPECT_NE(ctl.status().state.message.find("HTTP 500"), std::string::npos);
  EXPECT_EQ(actions.stable(), "");
  EXPECT_EQ(actions.calls().back(), "drain_and_stop v2");
}

TEST_F(BlueGreenTest, NeverReadyFails) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kBlueGreen, 1)).ok());
  clock.advance(minutes(5));
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kFailed);
  EXPECT_EQ(actions.stable(), "");
}

TEST_F(BlueGreenTest, CrashLoopingNewVersionFailsAtOnce) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kBlueGreen, 1)).ok());
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kStarting);
  actions.fail_later("v2", "v2/0 is crash-looping (last: exit 1)");
  clock.advance(std::chrono::seconds(1));  // long before ready_timeout
  ctl.tick();
  const RolloutStatus st = ctl.status();
  EXPECT_EQ(st.state.phase, RolloutPhase::kFailed);
  EXPECT_NE(st.state.message.find("crash-looping"), std::string::npos) << st.state.message;
  EXPECT_EQ(actions.calls().back(), "drain_and_stop v2");
  EXPECT_EQ(actions.stable(), "");
}

TEST_F(BlueGreenTest, AbortWhileStarting) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kBlueGreen, 1)).ok());
  ASSERT_TRUE(ctl.abort().ok());
  EXPECT_EQ(phase(ctl), RolloutPhase::kAborted);
  EXPECT_EQ(actions.calls().back(), "drain_and_stop v2");
}

class RollingTest : public ::testing::Test {
 protected:
  // Replaces replica i (already started): ready -> drained -> stopped.
  void replace(int i) {
    const std::string n = "v2/" + std::to_string(i);
    const std::string o = "v1/" + std::to_string(i);
    actions.set_in_flight(o, 2);
    actions.set_ready(n);
    ctl.tick();  // routed, draining
    ASSERT_EQ(ctl.status().state.step, RollingStep::kDraining);
    ctl.tick();
    ASSERT_EQ(ctl.status().state.replaced, i);  // in-flight requests still running
    actions.set_in_flight(o, 0);
    ctl.tick();
  }
  FakeClock clock;
  FakeRolloutActions actions;
  RolloutController ctl{clock, actions};
};

TEST_F(RollingTest, ReplacesReplicasOneByOneDrainingBeforeStop) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kRolling, 3)).ok());
  EXPECT_EQ(phase(ctl), RolloutPhase::kReplacing);
  ctl.tick();  // v2/0 not ready: nothing happens
  EXPECT_EQ(actions.calls(), (Calls{"start_replica v2/0 /m/v2.gguf"}));
  for (int i = 0; i < 3; ++i) replace(i);
  EXPECT_EQ(phase(ctl), RolloutPhase::kSucceeded);
  Calls expected;
  for (int i = 0; i < 3; ++i) {
    const std::string s = std::to_string(i);
    expected.insert(expected.end(), {"start_replica v2/" + s + " /m/v2.gguf", "route v2/" + s,
                                     "unroute v1/" + s, "stop_replica v1/" + s});
  }
  expected.push_back("switch_stable v2");
  EXPECT_EQ(actions.calls(), expected);
}

TEST_F(RollingTest, DrainTimeoutStopsAnyway) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kRolling, 1)).ok());
  actions.set_ready("v2/0");
  actions.set_in_flight("v1/0", 1);
  ctl.tick();
  clock.advance(minutes(2));
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kSucceeded);
}

TEST_F(RollingTest, AbortWhileWaitingReadyRestoresStoppedReplicas) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kRolling, 3)).ok());
  replace(0);
  actions.clear_calls();
  ASSERT_TRUE(ctl.abort().ok());  // v2/1 started, not ready
  EXPECT_EQ(phase(ctl), RolloutPhase::kRollingBack);
  EXPECT_EQ(actions.calls(), (Calls{"stop_replica v2/1", "start_replica v1/0 /m/v1.gguf"}));
  EXPECT_FALSE(ctl.abort().ok());  // already rolling back
  actions.clear_calls();
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kRollingBack);  // v1/0 not ready yet
  actions.set_ready("v1/0");
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kAborted);
  EXPECT_EQ(actions.calls(), (Calls{"route v1/0", "unroute v2/0", "stop_replica v2/0"}));
}

TEST_F(RollingTest, AbortWhileDrainingReroutesOldAtOnce) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kRolling, 2)).ok());
  actions.set_ready("v2/0");
  actions.set_in_flight("v1/0", 1);
  ctl.tick();
  actions.clear_calls();
  ASSERT_TRUE(ctl.abort().ok());
  EXPECT_EQ(phase(ctl), RolloutPhase::kAborted);  // nothing stopped yet: instant
  EXPECT_EQ(actions.calls(), (Calls{"route v1/0", "unroute v2/0", "stop_replica v2/0"}));
}

TEST_F(RollingTest, ReplicaNeverReadyFailsAndRestores) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kRolling, 2)).ok());
  replace(0);
  clock.advance(minutes(5));
  ctl.tick();  // v2/1 timed out
  EXPECT_EQ(phase(ctl), RolloutPhase::kRollingBack);
  actions.set_ready("v1/0");
  ctl.tick();
  RolloutStatus st = ctl.status();
  EXPECT_EQ(st.state.phase, RolloutPhase::kFailed);
  EXPECT_NE(st.state.message.find("v2/1 not ready after 5m"), std::string::npos) << st.state.message;
}

TEST_F(RollingTest, CrashLoopingReplicaFailsAtOnceAndRestores) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kRolling, 2)).ok());
  replace(0);
  actions.fail_later("v2/1", "v2/1 crashed 3 times without becoming ready");
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kRollingBack);
  actions.set_ready("v1/0");
  ctl.tick();
  const RolloutStatus st = ctl.status();
  EXPECT_EQ(st.state.phase, RolloutPhase::kFailed);
  EXPECT_NE(st.state.message.find("v2/1 failed to start"), std::string::npos) << st.state.message;
}

TEST_F(RollingTest, RestoreThatNeverGetsReadyFails) {
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kRolling, 2)).ok());
  replace(0);
  ASSERT_TRUE(ctl.abort().ok());
  clock.advance(minutes(5));
  ctl.tick();
  EXPECT_EQ(phase(ctl), RolloutPhase::kFailed);
  EXPECT_NE(ctl.status().state.message.find("restore incomplete: v1/0"), std::string::npos);
}

TEST_F(RollingTest, StartErrorFails) {
  actions.fail_start("v2/0", "spawn failed");
  ASSERT_TRUE(ctl.start(spec(RolloutStrategy::kRolling, 2)).ok());
  EXPECT_EQ(phase(ctl), RolloutPhase::kFailed);
  EXPECT_NE(ctl.status().state.message.find("spawn failed"), std::string::npos);
}

}  // namespace
}  // namespace r1::gateway
