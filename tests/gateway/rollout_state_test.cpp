// Rollout state persistence: JSON round trip, resume after a restart,
// corrupt and truncated files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gateway/support/fake_clock.h"
#include "gateway/rollout/rollout.h"
#include "gateway/support/rollout_fake.h"
#include "gateway/rollout/rollout_state.h"

namespace r1::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("r1_rollout_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

RolloutSpec spec() {
  RolloutSpec s;
  s.stable_version = "v1";
  s.new_version = "v2";
  s.model_path = "/m/v2.gguf";
  s.analysis_window = minutes(30);
  s.min_requests = 10;
  return s;
}

TEST(RolloutState, MidCanaryRoundTripResumesTheSamePhase) {
  const std::string path = temp_path("canary.json");
  FakeClock clock;
  FakeRolloutActions actions;
  {
    RolloutController ctl(clock, actions, path);  // autosaves every transition
    ASSERT_TRUE(ctl.start(spec()).ok());
    actions.set_ready("v2");
    ctl.tick();
    for (int i = 0; i < 20; ++i) ctl.record("v1", true, milliseconds(100));
    for (int i = 0; i < 20; ++i) ctl.record("v2", true, milliseconds(110));
    clock.advance(minutes(20));
    ASSERT_TRUE(ctl.save_state(path).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  // "Restart": a new controller and fresh actions on a later clock.
  FakeClock clock2;
  clock2.advance(minutes(600));
  FakeRolloutActions actions2;
  actions2.set_ready("v2");
  RolloutController ctl2(clock2, actions2);
  ASSERT_TRUE(ctl2.load_state(path).ok());
  RolloutStatus st = ctl2.status();
  EXPECT_EQ(st.state.phase, RolloutPhase::kAnalyzing);
  EXPECT_EQ(st.state.spec.new_version, "v2");
  EXPECT_EQ(st.state.spec.analysis_window, minutes(30));
  EXPECT_EQ(st.state.phase_elapsed, minutes(20));
  EXPECT_EQ(st.state.canary_stats.requests, 20);
  EXPECT_EQ(actions2.canary_weight("v2"), 5);  // routing re-applied
  clock2.advance(minutes(9));
  ctl2.tick();
  EXPECT_EQ(ctl2.status().state.phase, RolloutPhase::kAnalyzing);  // 29 of 30 minutes
  clock2.advance(minutes(1));
  ctl2.tick();
  EXPECT_EQ(ctl2.status().state.phase, RolloutPhase::kSucceeded);
  std::remove(path.c_str());
}

TEST(RolloutState, JsonRoundTripKeepsRollingProgress) {
  RolloutState s;
  s.phase = RolloutPhase::kRollingBack;
  s.spec = spec();
  s.spec.strategy = RolloutStrategy::kRolling;
  s.spec.replicas = 3;
  s.replica_index = 2;
  s.step = RollingStep::kDraining;
  s.replaced = 2;
  s.restore_pending = {0, 1};
  s.restore_final = RolloutPhase::kFailed;
  s.message = "why \"quoted\"";
  s.stable_stats.add(false, milliseconds(7));
  Result<RolloutState> back = parse_rollout_state(rollout_state_to_json(s), "mem");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->phase, RolloutPhase::kRollingBack);
  EXPECT_EQ(back->spec.strategy, RolloutStrategy::kRolling);
  EXPECT_EQ(back->step, RollingStep::kDraining);
  EXPECT_EQ(back->restore_pending, (std::vector<int>{0, 1}));
  EXPECT_EQ(back->restore_final, RolloutPhase::kFailed);
  EXPECT_EQ(back->message, s.message);
  EXPECT_EQ(back->stable_stats.errors, 1);
  EXPECT_EQ(back->stable_stats.latencies_ms, (std::vector<double>{7.0}));
}

TEST(RolloutState, CorruptOrTruncatedFileIsAnErrorNamingItAndLeavesIdle) {
  RolloutState s;
  s.phase = RolloutPhase::kAnalyzing;
  s.spec = spec();
  const std::string full = rollout_state_to_json(s);
  const std::string path = temp_path("corrupt.json");
  const std::vector<std::string> bad = {
      full.substr(0, full.size() / 2),  // truncated
      "not json at all",
      "[]",
      R"({"format": 1})",  // fields missing
      std::string(full).replace(full.find("analyzing"), 9, "dancing"),  // unknown phase
      std::string(full).replace(full.find("\"format\": 1"), 11, "\"format\": 9"),
  };
  for (const std::string& text : bad) {
    write_text(path, text);
    FakeClock clock;
    FakeRolloutActions actions;
    RolloutController ctl(clock, actions);
    Status st = ctl.load_state(path);
    ASSERT_FALSE(st.ok()) << text;
    EXPECT_EQ(st.error().code, ErrorCode::kCorrupt) << text;
    EXPECT_NE(st.error().message.find(path), std::string::npos) << st.error().message;
    EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kIdle);
    EXPECT_TRUE(actions.calls().empty());
  }
  std::remove(path.c_str());
}

TEST(RolloutState, MissingFileIsNotFound) {
  FakeClock clock;
  FakeRolloutActions actions;
  RolloutController ctl(clock, actions);
  const std::string path = temp_path("missing.json");
  Status st = ctl.load_state(path);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_NE(st.error().message.find(path), std::string::npos);
}

TEST(RolloutState, LoadDuringARolloutIsRefused) {
  FakeClock clock;
  FakeRolloutActions actions;
  RolloutController ctl(clock, actions);
  ASSERT_TRUE(ctl.start(spec()).ok());
  EXPECT_EQ(ctl.load_state(temp_path("x.json")).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ctl.status().state.phase, RolloutPhase::kStarting);
}

TEST(RolloutState, WriteToAMissingDirectoryIsAnIoError) {
  RolloutState s;
  Status st = write_rollout_state("/nonexistent-dir-r1/state.json", s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace r1::gateway
