// The gateway admin API's monitoring additions: the supervisor metrics
// (restarts, crash loop) over a real ProcessSupervisor with real child
// processes, the HTTP service discovery list (GET /admin/targets) for
// supervised and static replicas behind the admin auth, and the rollout
// metrics of a real RolloutController.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "gateway/support/fake_clock.h"
#include "../server/http_client.h"
#include "gateway/admin/admin.h"
#include "gateway/support/rollout_fake.h"
#include "support/metric_text.h"
#include "support/poll_until.h"

namespace r1::gateway {
namespace {

using Json = nlohmann::json;
using server::test::http_request;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return test_support::poll_until(done, timeout, std::chrono::milliseconds(20));
}

bool has(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

// A worker stand-in that only sleeps: `sh -c 'exec sleep 60' sh --port N`.
WorkerSpec sleeper(const std::string& name) {
  return WorkerSpec{name, {"/bin/sh", "-c", "exec sleep 60", "sh"}, "--port", ""};
}

class SupervisedAdmin : public ::testing::Test {
 protected:
  SupervisedAdmin() : supervisor_(real_clock(), options()) {
    config_.pools = {PoolConfig{"v1", "/m/v1.gguf", 2}};
    router_ = make_router(config_, real_clock());
    for (const char* id : {"v1/0", "v1/1"}) {
      EXPECT_TRUE(router_->add_replica("v1", ReplicaInfo{id, "127.0.0.1", 0}).ok());
      EXPECT_TRUE(supervisor_.add(sleeper(id)).ok());
    }
    supervisor_.start();
    sources_ = AdminSources{router_.get(), &supervisor_, nullptr, config_.pools};
  }
  ~SupervisedAdmin() override { supervisor_.stop_all(); }
  static SupervisorConfig options() {
    SupervisorConfig o;
    o.backoff_base = std::chrono::milliseconds(20);
    o.backoff_max = std::chrono::milliseconds(40);
    o.crash_loop_count = 3;
    o.crash_loop_window = std::chrono::minutes(1);
    o.stop_grace = std::chrono::seconds(2);
    o.poll_interval = std::chrono::milliseconds(10);
    return o;
  }
  pid_t pid_of(const std::string& id) const {
    auto st = supervisor_.status(id);
    return st ? st->pid : 0;
  }
  // Kills the replica's process and waits for the crash to be counted.
  void crash(const std::string& id, int crashes_after) {
    ASSERT_TRUE(eventually([&] { return pid_of(id) > 0; }));
    ::kill(pid_of(id), SIGKILL);
    ASSERT_TRUE(eventually([&] { return supervisor_.status(id)->crashes == crashes_after; }));
  }
  GatewayConfig config_;
  ProcessSupervisor supervisor_;
  std::unique_ptr<DefaultRouter> router_;
  AdminSources sources_;
};

TEST_F(SupervisedAdmin, TargetsListLiveWorkersWithTheirPorts) {
  ASSERT_TRUE(eventually([&] { return pid_of("v1/0") > 0 && pid_of("v1/1") > 0; }));
  const Json groups = Json::parse(admin_targets_json(sources_));
  ASSERT_EQ(groups.size(), 2u) << groups.dump();
  for (int i = 0; i < 2; ++i) {
    const std::string id = "v1/" + std::to_string(i);
    const Json& g = groups[i];
    EXPECT_EQ(g["targets"], Json::array({"127.0.0.1:" + std::to_string(supervisor_.status(id)->port)}));
    EXPECT_EQ(g["labels"], (Json{{"pool", "v1"}, {"replica", id}, {"replica_index", std::to_string(i)},
                                 {"role", "primary"}}));
  }
}

TEST_F(SupervisedAdmin, RestartsCountAndACrashLoopMarksFailedAndLeavesTheTargets) {
  std::string text = admin_metrics_text(sources_);
  EXPECT_TRUE(has(text, "# TYPE r1_gateway_replica_restarts_total counter\n")) << text;
  EXPECT_TRUE(has(text, "r1_gateway_replica_restarts_total{version=\"v1\",replica=\"v1/0\"} 0\n")) << text;
  EXPECT_TRUE(has(text, "r1_gateway_replica_failed{version=\"v1\",replica=\"v1/0\"} 0\n"));
  crash("v1/0", 1);
  text = admin_metrics_text(sources_);
  EXPECT_TRUE(has(text, "r1_gateway_replica_restarts_total{version=\"v1\",replica=\"v1/0\"} 1\n")) << text;
  EXPECT_TRUE(has(text, "r1_gateway_replica_restarts_total{version=\"v1\",replica=\"v1/1\"} 0\n"));
  crash("v1/0", 2);
  crash("v1/0", 3);  // crash_loop_count: the supervisor gives up
  ASSERT_TRUE(eventually([&] { return supervisor_.status("v1/0")->state == WorkerState::kFailed; }));
  text = admin_metrics_text(sources_);
  EXPECT_TRUE(has(text, "r1_gateway_replica_failed{version=\"v1\",replica=\"v1/0\"} 1\n")) << text;
  EXPECT_TRUE(has(text, "r1_gateway_replica_failed{version=\"v1\",replica=\"v1/1\"} 0\n"));
  const Json groups = Json::parse(admin_targets_json(sources_));
  ASSERT_EQ(groups.size(), 1u) << groups.dump();  // no process to scrape
  EXPECT_EQ(groups[0]["labels"]["replica"], "v1/1");
}

TEST_F(SupervisedAdmin, ServedBehindTheAdminKeyAsJson) {
  AdminOptions keyed;
  keyed.admin_key = "sd-key";
  auto admin = AdminServer::start(keyed, sources_);
  ASSERT_TRUE(admin.ok()) << admin.error().message;
  const uint16_t port = (*admin)->port();
  EXPECT_EQ(http_request(port, "GET", "/admin/targets").status, 401);
  EXPECT_EQ(http_request(port, "GET", "/admin/targets", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  const auto r = http_request(port, "GET", "/admin/targets", "", {{"Authorization", "Bearer sd-key"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_TRUE(Json::parse(r.body).is_array());
  EXPECT_EQ(http_request(port, "POST", "/admin/targets", "", {{"Authorization", "Bearer sd-key"}}).status, 405);
}

TEST(AdminTargets, StaticEndpointsByIndexAndEmptyList) {
  GatewayConfig config;
  config.pools = {PoolConfig{"k8s", "", 2, PoolRole::kPrimary, {}, {"10.0.0.7:8080", "10.0.0.8:8080"}},
                  PoolConfig{"old", "", 1, PoolRole::kBackup, {}, {"10.0.1.1:9000"}}};
  auto router = make_router(config, real_clock());
  AdminSources sources{router.get(), nullptr, nullptr, config.pools};
  EXPECT_EQ(admin_targets_json(sources), "[]");  // no replica routed yet
  ASSERT_TRUE(router->add_replica("k8s", ReplicaInfo{"k8s/1", "10.0.0.8", 8080}).ok());
  ASSERT_TRUE(router->add_replica("old", ReplicaInfo{"old/0", "10.0.1.1", 9000}).ok());
  const Json groups = Json::parse(admin_targets_json(sources));
  ASSERT_EQ(groups.size(), 2u) << groups.dump();
  EXPECT_EQ(groups[0]["targets"], Json::array({"10.0.0.8:8080"}));
  EXPECT_EQ(groups[0]["labels"]["replica_index"], "1");
  EXPECT_EQ(groups[1]["targets"], Json::array({"10.0.1.1:9000"}));
  EXPECT_EQ(groups[1]["labels"]["role"], "backup");
  const AdminResponse r = handle_admin(sources, AdminOptions{}, "GET", "/admin/targets?x=1", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, admin_targets_json(sources));
}

// A dns pool (Kubernetes headless Service): the live config's endpoints are
// the discovered addresses by slot; a vacated slot ("") has nothing to scrape.
TEST(AdminTargets, DnsPoolSlotsAndVacatedSlot) {
  PoolConfig dns{"r1", "", 2};
  dns.dns = "r1serve-worker.r1serve.svc.cluster.local:8080";
  dns.endpoints = {"10.0.0.7:8080", ""};
  GatewayConfig config;
  config.pools = {dns};
  auto router = make_router(config, real_clock());
  ASSERT_TRUE(router->add_replica("r1", ReplicaInfo{"r1/0", "10.0.0.7", 8080}).ok());
  ASSERT_TRUE(router->add_replica("r1", ReplicaInfo{"r1/1", "10.0.0.9", 8080}).ok());
  const Json groups = Json::parse(admin_targets_json(AdminSources{router.get(), nullptr, nullptr, config.pools}));
  ASSERT_EQ(groups.size(), 1u) << groups.dump();
  EXPECT_EQ(groups[0]["targets"], Json::array({"10.0.0.7:8080"}));
  EXPECT_EQ(groups[0]["labels"]["replica"], "r1/0");
}

double gauge(const std::string& text, const std::string& series) {
  return test_support::metric_value(text, series);
}

TEST(RolloutMetrics, PhaseAndCanaryVerdictFollowTheController) {
  FakeClock clock;
  FakeRolloutActions actions;
  RolloutController rollout(clock, actions);
  std::string text = rollout_metrics_text(rollout.status());
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_phase{phase=\"idle\"}"), 1) << text;
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_phase{phase=\"analyzing\"}"), 0);
  RolloutSpec spec{"v1", "/m/v1.gguf", "v2", "/m/v2.gguf", RolloutStrategy::kCanary, 1, 10};
  spec.analysis_window = std::chrono::minutes(10);
  spec.min_requests = 20;
  ASSERT_TRUE(rollout.start(spec).ok());
  actions.set_ready("v2");
  rollout.tick();
  ASSERT_EQ(rollout.status().state.phase, RolloutPhase::kAnalyzing);
  clock.advance(std::chrono::seconds(30));
  for (int i = 0; i < 20; ++i) rollout.record("v1", true, std::chrono::milliseconds(100));
  for (int i = 0; i < 19; ++i) rollout.record("v2", i % 2 == 0, std::chrono::milliseconds(100));
  text = rollout_metrics_text(rollout.status());
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_phase{phase=\"analyzing\"}"), 1) << text;
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_phase{phase=\"idle\"}"), 0);
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_phase_seconds"), 30);
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_analysis_requests{role=\"canary\"}"), 19);
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_analysis_max_error_ratio_delta"), 0.01);
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_canary_failing"), 0);  // 19 < min_requests
  rollout.record("v2", true, std::chrono::milliseconds(100));
  text = rollout_metrics_text(rollout.status());
  EXPECT_NEAR(gauge(text, "r1_gateway_rollout_analysis_error_ratio{role=\"canary\"}"), 0.45, 1e-9) << text;
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_analysis_error_ratio{role=\"stable\"}"), 0);
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_canary_failing"), 1);
  clock.advance(spec.analysis_window);
  rollout.tick();  // the controller reaches the verdict the gauge foretold
  ASSERT_EQ(rollout.status().state.phase, RolloutPhase::kRolledBack);
  text = rollout_metrics_text(rollout.status());
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_phase{phase=\"rolled-back\"}"), 1);
  EXPECT_EQ(gauge(text, "r1_gateway_rollout_canary_failing"), 0);  // no longer analyzing
}

TEST(RolloutMetrics, AHealthyCanaryIsNotFailing) {
  FakeClock clock;
  FakeRolloutActions actions;
  RolloutController rollout(clock, actions);
  RolloutSpec spec{"v1", "/m/v1.gguf", "v2", "/m/v2.gguf", RolloutStrategy::kCanary, 1, 10};
  spec.min_requests = 5;
  ASSERT_TRUE(rollout.start(spec).ok());
  actions.set_ready("v2");
  rollout.tick();
  for (int i = 0; i < 10; ++i) {
    rollout.record("v1", true, std::chrono::milliseconds(100));
    rollout.record("v2", true, std::chrono::milliseconds(140));  // p99 ratio 1.4 <= 1.5
  }
  EXPECT_EQ(gauge(rollout_metrics_text(rollout.status()), "r1_gateway_rollout_canary_failing"), 0);
  rollout.record("v2", true, std::chrono::milliseconds(400));  // p99 ratio 4 > 1.5
  EXPECT_EQ(gauge(rollout_metrics_text(rollout.status()), "r1_gateway_rollout_canary_failing"), 1);
}

}  // namespace
}  // namespace r1::gateway
