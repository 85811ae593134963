#include <gtest/gtest.h>

#include <vector>

#include "gateway/support/fake_clock.h"
#include "gateway/support/fakes.h"
#include "gateway/policy/health.h"

namespace r1::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class HealthTest : public ::testing::Test {
 protected:
  HealthTest() : checker_(clock_, prober_, options()) {
    checker_.set_callbacks(HealthCallbacks{
        [this](const HealthTransition& t) { transitions_.push_back(t); },
        [this](const std::string& id, const ProbeResult&) { liveness_.push_back(id); }});
    checker_.add_target(HealthTarget{"w", "127.0.0.1", 1, "/ready"});
  }
  static HealthConfig options() {
    HealthConfig o;
    o.interval = seconds(1);
    o.timeout = milliseconds(100);
    o.healthy_threshold = 2;
    o.unhealthy_threshold = 3;
    o.liveness_restart_after = 3;
    o.startup_grace = seconds(10);
    return o;
  }
  // One probe round: run what is due, then move to the next interval.
  void round(const ProbeResult& r) {
    prober_.set("w", r);
    checker_.run_due();
    clock_.advance(seconds(1));
  }
  FakeClock clock_;
  FakeProber prober_;
  ActiveHealthChecker checker_;
  std::vector<HealthTransition> transitions_;
  std::vector<std::string> liveness_;
};

TEST_F(HealthTest, FirstPassMakesANewTargetHealthy) {
  EXPECT_EQ(checker_.state("w"), HealthState::kUnknown);
  round(FakeProber::http(503));  // loading
  EXPECT_EQ(checker_.state("w"), HealthState::kUnknown);
  round(FakeProber::http(200));
  EXPECT_EQ(checker_.state("w"), HealthState::kHealthy);
  ASSERT_EQ(transitions_.size(), 1u);
  EXPECT_EQ(transitions_[0].from, HealthState::kUnknown);
  EXPECT_EQ(transitions_[0].to, HealthState::kHealthy);
}

TEST_F(HealthTest, ThresholdsBothWays) {
  round(FakeProber::http(200));
  round(FakeProber::http(503));
  round(FakeProber::http(503));
  EXPECT_EQ(checker_.state("w"), HealthState::kHealthy);
  round(FakeProber::http(503));
  EXPECT_EQ(checker_.state("w"), HealthState::kUnhealthy);
  round(FakeProber::http(200));
  EXPECT_EQ(checker_.state("w"), HealthState::kUnhealthy);
  round(FakeProber::http(503));  // breaks the run of passes
  round(FakeProber::http(200));
  EXPECT_EQ(checker_.state("w"), HealthState::kUnhealthy);
  round(FakeProber::http(200));
  EXPECT_EQ(checker_.state("w"), HealthState::kHealthy);
  EXPECT_EQ(transitions_.size(), 3u);
  EXPECT_TRUE(liveness_.empty());  // 503 is alive
}

TEST_F(HealthTest, ProbesOncePerInterval) {
  prober_.set("w", FakeProber::http(200));
  EXPECT_EQ(checker_.run_due(), seconds(1));
  EXPECT_EQ(checker_.run_due(), seconds(1));
  EXPECT_EQ(prober_.probes("w"), 1);
  clock_.advance(milliseconds(400));
  EXPECT_EQ(checker_.run_due(), milliseconds(600));
  EXPECT_EQ(prober_.probes("w"), 1);
  clock_.advance(milliseconds(600));
  checker_.run_due();
  EXPECT_EQ(prober_.probes("w"), 2);
}

// A starting target (never passed) is probed every startup_interval (250 ms
// by default), so it is routed within a fraction of a second of being ready;
// after its first pass, once per interval.
TEST_F(HealthTest, StartingTargetIsProbedAtTheStartupInterval) {
  prober_.set("w", FakeProber::http(503));  // loading
  EXPECT_EQ(checker_.run_due(), milliseconds(250));
  for (int i = 0; i < 3; ++i) {
    clock_.advance(milliseconds(250));
    checker_.run_due();
  }
  EXPECT_EQ(prober_.probes("w"), 4);
  EXPECT_EQ(checker_.state("w"), HealthState::kUnknown);
  prober_.set("w", FakeProber::http(200));
  clock_.advance(milliseconds(250));
  EXPECT_EQ(checker_.run_due(), seconds(1));
  EXPECT_EQ(checker_.state("w"), HealthState::kHealthy);
  clock_.advance(milliseconds(500));
  checker_.run_due();
  EXPECT_EQ(prober_.probes("w"), 5);  // healthy: not again before the interval
  clock_.advance(milliseconds(500));
  checker_.run_due();
  EXPECT_EQ(prober_.probes("w"), 6);
}

TEST_F(HealthTest, LivenessCountsOnlyUnansweredAfterFirstAnswer) {
  round(FakeProber::refused());  // starting up: not counted
  round(FakeProber::refused());
  round(FakeProber::refused());
  EXPECT_TRUE(liveness_.empty());
  round(FakeProber::http(503));  // answered once: counting from now
  round(FakeProber::refused());
  round(FakeProber::refused());
  EXPECT_TRUE(liveness_.empty());
  round(FakeProber::refused());
  ASSERT_EQ(liveness_.size(), 1u);
  round(FakeProber::refused());
  round(FakeProber::refused());
  EXPECT_EQ(liveness_.size(), 1u);
  round(FakeProber::refused());  // every run of 3 fires once
  EXPECT_EQ(liveness_.size(), 2u);
}

TEST_F(HealthTest, LivenessCountsAfterStartupGrace) {
  for (int i = 0; i < 10; ++i) round(ProbeResult{false, 0, "timeout"});
  EXPECT_TRUE(liveness_.empty());  // t = 0..9 s, inside the 10 s grace
  for (int i = 0; i < 3; ++i) round(ProbeResult{false, 0, "timeout"});
  EXPECT_EQ(liveness_.size(), 1u);
}

TEST_F(HealthTest, ReaddingResetsState) {
  round(FakeProber::http(200));
  ASSERT_EQ(checker_.state("w"), HealthState::kHealthy);
  checker_.add_target(HealthTarget{"w", "127.0.0.1", 2, "/ready"});  // respawned on a new port
  EXPECT_EQ(checker_.state("w"), HealthState::kUnknown);
  checker_.remove_target("w");
  EXPECT_EQ(checker_.state("w"), HealthState::kUnknown);
  checker_.run_due();
  EXPECT_EQ(prober_.probes("w"), 1);
}

TEST(FakeHealthChecker, FiresTransitions) {
  FakeHealthChecker fake;
  std::vector<HealthTransition> seen;
  fake.set_callbacks(HealthCallbacks{[&](const HealthTransition& t) { seen.push_back(t); }, nullptr});
  fake.add_target(HealthTarget{"a", "127.0.0.1", 1, "/ready"});
  fake.set_state("a", HealthState::kHealthy);
  fake.set_state("a", HealthState::kHealthy);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to, HealthState::kHealthy);
}

}  // namespace
}  // namespace r1::gateway
