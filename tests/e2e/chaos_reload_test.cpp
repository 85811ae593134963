// Config reload under load (real gateway, real workers, tiny models):
//  - SIGHUP with a new model for a one-replica pool: the replica is rolled
//    (surge replica with the new model, then the old one drained and
//    replaced) while ~32 requests/s flow: 0 failed requests;
//  - SIGHUP with a corrupt model: the new worker never comes up, the old
//    one is never stopped: 0 failed requests, a clear error in the log.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "chaos_load.h"
#include "chaos_util.h"
#include "serve_process.h"

namespace r1::e2e::chaos {
namespace {

std::vector<std::string> reload_worker_args() { return {"--threads", "1", "--parallel", "8", "--ctx", "512"}; }

void reload(GatewayProcess& g, const ChaosYaml& y) {
  write_file(g.config_path(), y.render());
  g.send_signal(SIGHUP);
}

size_t replica_count(const GatewayProcess& g) {
  const json s = g.status();
  return s.contains("replicas") && s["replicas"].is_array() ? s["replicas"].size() : 0;
}

void print_load(const char* name, const LoadStats& all) {
  std::printf("CHAOS %s: %lld requests, %lld failed, p50 %.1f ms, max %.1f ms\n", name,
              static_cast<long long>(all.total), static_cast<long long>(all.failed), all.p50_ms, all.max_ms);
}

// One pool "v1" of one replica of the tiny model, healthy.
class ChaosReload : public ::testing::Test {
 protected:
  void SetUp() override {
    y.pools = {{"v1", tiny_model(), 1, "primary", reload_worker_args()}};
    g = std::make_unique<GatewayProcess>(dir.file("gateway.yaml"), y.render());
    ASSERT_TRUE(g->started()) << g->log_tail();
    ASSERT_TRUE(g->wait_healthy(1, Ms(60'000))) << g->log_tail();
    old_pid = g->replica_pid("v1/0");
  }
  TempDir dir{"r1chaos_reload"};
  ChaosYaml y;
  std::unique_ptr<GatewayProcess> g;
  pid_t old_pid = 0;
};

TEST_F(ChaosReload, NewModelOnSighupRollsTheOnlyReplicaWithoutFailures) {
  GatewayProcess& g = *this->g;
  PredictLoad load(g.port(), 4, 8);  // ~32 requests/s
  poll_until([&] { return load.now_s() >= 2; }, Ms(10'000));
  y.pools[0].model = tiny_model_b();
  reload(g, y);
  // Done: v1/0 is a new process, healthy, and the surge replica is gone.
  ASSERT_TRUE(poll_until([&] {
    const pid_t p = g.replica_pid("v1/0");
    return p > 0 && p != old_pid && replica_count(g) == 1 && g.wait_healthy(1, Ms(1));
  }, Ms(60'000))) << g.status().dump() << "\n" << g.log_tail();
  const std::string log = g.log();
  EXPECT_NE(log.find("model chaos_tiny_qwen2_q8_0_b loaded"), std::string::npos) << "the new model never loaded";
  const double t = load.now_s();
  poll_until([&] { return load.now_s() >= t + 2; }, Ms(10'000));
  load.stop();
  const LoadStats all = summarize_load(load.samples());
  EXPECT_EQ(all.failed, 0) << all.first_failure << "\n" << g.log_tail();
  EXPECT_GT(summarize_load(load.between(t, 1e9)).total, 20) << "nothing served after the reload";
  print_load("reload new model", all);
}

TEST_F(ChaosReload, CorruptModelOnSighupKeepsTheOldWorker) {
  GatewayProcess& g = *this->g;
  PredictLoad load(g.port(), 4, 8);
  const std::string corrupt = dir.file("corrupt.gguf");
  write_file(corrupt, "GGUF" + std::string(4096, '\x7f'));
  y.pools[0].model = corrupt;
  reload(g, y);
  ASSERT_TRUE(g.wait_for_log("the new workers did not come up", Ms(60'000))) << g.log_tail();
  EXPECT_TRUE(poll_until([&] { return replica_count(g) == 1; }, Ms(30'000))) << g.status().dump();
  EXPECT_EQ(g.replica_pid("v1/0"), old_pid) << "the old worker was replaced";
  const double t = load.now_s();
  poll_until([&] { return load.now_s() >= t + 1; }, Ms(10'000));
  load.stop();
  const LoadStats all = summarize_load(load.samples());
  EXPECT_EQ(all.failed, 0) << all.first_failure << "\n" << g.log_tail();
  print_load("reload corrupt model", all);
}

}  // namespace
}  // namespace r1::e2e::chaos
