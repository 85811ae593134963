#include <gtest/gtest.h>

#include "gateway/support/fake_clock.h"
#include "gateway/support/fakes.h"
#include "gateway/runtime/wiring.h"

namespace r1::gateway {
namespace {

class WiringTest : public ::testing::Test {
 protected:
  WiringTest() {
    config_.pools = {PoolConfig{"v1", "/m/a.gguf", 2, PoolRole::kPrimary, {"--threads", "4"}},
                     PoolConfig{"small", "/m/b.gguf", 1, PoolRole::kBackup, {}}};
    config_.test_mode = true;
    router_ = make_router(config_, clock_);
    parts_ = GatewayParts{&supervisor_, &health_, router_.get(), "/ready"};
    connect_parts(parts_);
  }
  void spawned(const std::string& name, int port) {
    supervisor_.fire(WorkerEvent{WorkerEventKind::kSpawned, name, 100, port, ""});
  }
  FakeClock clock_;
  GatewayConfig config_;
  FakeSupervisor supervisor_;
  FakeHealthChecker health_;
  std::unique_ptr<DefaultRouter> router_;
  GatewayParts parts_;
};

TEST_F(WiringTest, WorkerSpecsPerReplica) {
  const auto workers = pool_workers(config_, "/usr/bin/r1serve");
  ASSERT_EQ(workers.size(), 3u);
  EXPECT_EQ(workers[1].spec.name, "v1/1");
  EXPECT_EQ(workers[2].pool, "small");
  EXPECT_EQ(workers[0].spec.argv,
            (std::vector<std::string>{"/usr/bin/r1serve", "serve", "--model", "/m/a.gguf", "--host", "127.0.0.1",
                                      "--test-mode", "--threads", "4"}));
  EXPECT_EQ(workers[0].spec.port_flag, "--port");
}

TEST_F(WiringTest, LifecycleFlowsThroughTheParts) {
  ASSERT_TRUE(add_pool_workers(pool_workers(config_, "r1serve"), parts_).ok());
  EXPECT_EQ(supervisor_.statuses().size(), 3u);
  EXPECT_FALSE(router_->pick(RouteRequest{}).ok());  // nothing healthy yet
  spawned("v1/0", 7001);
  ASSERT_EQ(health_.targets().size(), 1u);
  EXPECT_EQ(health_.targets()[0].port, 7001);
  health_.set_state("v1/0", HealthState::kHealthy);
  auto d = router_->pick(RouteRequest{});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->replica.port, 7001);
  EXPECT_EQ(supervisor_.status("v1/0")->state, WorkerState::kReady);
  health_.fire_liveness_failure("v1/0");
  EXPECT_EQ(supervisor_.unresponsive_reports(), std::vector<std::string>{"v1/0"});
  supervisor_.fire(WorkerEvent{WorkerEventKind::kExited, "v1/0", 100, 7001, "signal 9"});
  EXPECT_FALSE(router_->pick(RouteRequest{}).ok());  // out of rotation before any probe
  EXPECT_TRUE(health_.targets().empty());
  spawned("v1/0", 7002);  // the replacement, on a new port
  router_->release(*d, RequestOutcome::kConnectFailure);  // the old pick drains harmlessly
  health_.set_state("v1/0", HealthState::kHealthy);
  auto again = router_->pick(RouteRequest{});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->replica.port, 7002);
  EXPECT_EQ(router_->snapshot()[0].outstanding, 1);
}

}  // namespace
}  // namespace r1::gateway
