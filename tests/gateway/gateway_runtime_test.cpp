// The gateway runtime's parts: config additions, PoolSet + PoolRolloutActions
// over fakes (FakeSupervisor, FakeHealthChecker) and a real DefaultRouter,
// the admin rollout routes, the outcome hook, and GatewayRuntime itself
// over static endpoints served by fake upstreams (real sockets, no workers).
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "gateway/support/fake_clock.h"
#include "../server/http_client.h"
#include "gateway/support/fakes.h"
#include "gateway/runtime/gateway_runtime.h"
#include "gateway/runtime/gateway_runtime_impl.h"
#include "proxy_fake_upstream.h"
#include "support/poll_until.h"

namespace r1::gateway {
namespace {

using server::test::http_request;
using Json = nlohmann::json;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return test_support::poll_until(done, timeout, std::chrono::milliseconds(10));
}

TEST(GatewayConfigTest, FaultFlagsNeedTestMode) {
  const std::string yaml = "pools:\n  - {name: a, model: /m.gguf, args: ['--fault-error-rate', '0.5']}\n";
  auto bad = parse_config(yaml);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("pools[0].args: fault-injection flags need test_mode", 0), 0u)
      << bad.error().message;
  EXPECT_TRUE(parse_config(yaml, ParseOptions{true}).ok());
  EXPECT_TRUE(parse_config(yaml + "test_mode: true\n").ok());
  EXPECT_FALSE(parse_config("pools:\n  - {name: a, model: /m, args: ['--test-mode']}\n").ok());
}

TEST(GatewayConfigTest, EndpointsAndStateFile) {
  auto c = parse_config("pools:\n  - {name: k8s, endpoints: ['127.0.0.1:9001', '10.0.0.2:9002']}\n"
                        "rollout: {state_file: /tmp/s.json}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->pools[0].replicas, 2);
  EXPECT_TRUE(c->pools[0].model.empty());
  EXPECT_EQ(c->rollout.state_file, "/tmp/s.json");
  auto bad = parse_config("pools:\n  - {name: k8s, endpoints: ['localhost:9001']}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("pools[0].endpoints[0]:", 0), 0u) << bad.error().message;
  auto defaults = parse_config("health: {interval: 5s}\n", ParseOptions{false, false, true});
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->pools.size(), 1u);
  EXPECT_EQ(default_version_name("/m/r1-q8.gguf", {"r1-q8", "r1-q8-2"}), "r1-q8-3");
}

// PoolSet and the rollout actions over fakes and a real router.
class ActionsTest : public ::testing::Test {
 protected:
  ActionsTest() {
    config_.pools = {PoolConfig{"v1", "/m/v1.gguf", 2, PoolRole::kPrimary, {"--threads", "1"}}};
    parts_ = GatewayParts{&supervisor_, &health_, &router_, "/ready"};
    parts_.routable = [this](const std::string& id) { return pools_->routable(id); };
    pools_ = std::make_unique<PoolSet>(parts_, clock_, "/bin/r1serve", config_);
    connect_parts(parts_);
    EXPECT_TRUE(pools_->add_pool(config_.pools[0]).ok());
    pools_->wait_idle();
    healthy({"v1/0", "v1/1"});
    actions_ = std::make_unique<PoolRolloutActions>(*pools_, router_);
  }
  void healthy(const std::vector<std::string>& ids) {
    for (const auto& id : ids) health_.set_state(id, HealthState::kHealthy);
  }
  // Versions of `n` anonymous picks (released at once).
  std::map<std::string, int> picks(int n) {
    std::map<std::string, int> out;
    for (int i = 0; i < n; ++i) {
      auto d = router_.pick(RouteRequest{});
      if (!d.ok()) continue;
      ++out[d->version];
      router_.release(*d, RequestOutcome::kSuccess);
    }
    return out;
  }
  FakeClock clock_;
  GatewayConfig config_;
  FakeSupervisor supervisor_;
  FakeHealthChecker health_;
  DefaultRouter router_;
  GatewayParts parts_;
  std::unique_ptr<PoolSet> pools_;
  std::unique_ptr<PoolRolloutActions> actions_;
};

TEST_F(ActionsTest, VersionLevelStartSwitchDrain) {
  ASSERT_TRUE(actions_->start_version("v2", "/m/v2.gguf", 2).ok());
  pools_->wait_idle();
  ASSERT_TRUE(supervisor_.status("v2/1").has_value());
  EXPECT_FALSE(actions_->version_ready("v2"));
  healthy({"v2/0", "v2/1"});
  EXPECT_TRUE(actions_->version_ready("v2"));
  EXPECT_EQ(picks(20), (std::map<std::string, int>{{"v1", 20}}));  // not routed before the switch
  actions_->set_canary_weight("v2", 50);
  auto split = picks(400);
  EXPECT_GT(split["v2"], 100);
  EXPECT_GT(split["v1"], 100);
  actions_->switch_stable("v2");
  EXPECT_EQ(router_.stable(), "v2");
  EXPECT_EQ(picks(20), (std::map<std::string, int>{{"v2", 20}}));
  actions_->drain_and_stop("v1");
  pools_->wait_idle();
  EXPECT_FALSE(supervisor_.status("v1/0").has_value());
  EXPECT_FALSE(pools_->pool("v1").has_value());
  EXPECT_EQ(pools_->pools().size(), 1u);
  EXPECT_EQ(pools_->pools()[0].args, (std::vector<std::string>{"--threads", "1"}));  // inherited
}

TEST_F(ActionsTest, RollingReplicasShareTrafficByRoutableCount) {
  ASSERT_TRUE(actions_->start_replica("v2", "/m/v2.gguf", 0).ok());
  pools_->wait_idle();
  healthy({"v2/0"});
  EXPECT_TRUE(actions_->replica_ready("v2/0"));
  EXPECT_EQ(picks(20), (std::map<std::string, int>{{"v1", 20}}));  // held out until routed
  actions_->set_replica_routable("v2/0", true);
  actions_->set_replica_routable("v1/0", false);  // 1 new vs 1 old: about half each
  auto split = picks(400);
  EXPECT_GT(split["v2"], 120);
  EXPECT_GT(split["v1"], 120);
  EXPECT_EQ(actions_->in_flight("v1/0"), 0);
  actions_->stop_replica("v1/0");
  ASSERT_TRUE(actions_->start_replica("v2", "/m/v2.gguf", 1).ok());
  pools_->wait_idle();
  healthy({"v2/1"});
  actions_->set_replica_routable("v2/1", true);
  actions_->set_replica_routable("v1/1", false);  // no old replica routable: all to v2
  EXPECT_EQ(picks(20), (std::map<std::string, int>{{"v2", 20}}));
  actions_->stop_replica("v1/1");
  actions_->switch_stable("v2");
  pools_->wait_idle();
  EXPECT_TRUE(supervisor_.statuses().size() == 2u);
  EXPECT_EQ(picks(20), (std::map<std::string, int>{{"v2", 20}}));
}

TEST_F(ActionsTest, CanaryRolloutThroughTheController) {
  RolloutController rollout(clock_, *actions_);
  RolloutSpec spec{"v1", "/m/v1.gguf", "v2", "/m/v2.gguf", RolloutStrategy::kCanary, 2, 50};
  spec.analysis_window = std::chrono::seconds(10);
  spec.min_requests = 1;
  ASSERT_TRUE(rollout.start(spec).ok());
  pools_->wait_idle();
  rollout.tick();
  EXPECT_EQ(rollout.status().state.phase, RolloutPhase::kStarting);
  healthy({"v2/0", "v2/1"});
  rollout.tick();
  ASSERT_EQ(rollout.status().state.phase, RolloutPhase::kAnalyzing);
  auto split = picks(200);
  EXPECT_GT(split["v2"], 40);
  ASSERT_TRUE(rollout.promote().ok());
  EXPECT_EQ(rollout.status().state.phase, RolloutPhase::kSucceeded);
  pools_->wait_idle();
  EXPECT_EQ(router_.stable(), "v2");
  EXPECT_EQ(picks(20), (std::map<std::string, int>{{"v2", 20}}));
  EXPECT_FALSE(supervisor_.status("v1/0").has_value());
}

TEST(ObservedRouterTest, ReportsOutcomesWithLatencyButNotCancels) {
  FakeClock clock;
  GatewayConfig config;
  config.pools = {PoolConfig{"v1", "/m", 1}};
  auto router = make_router(config, clock);
  ASSERT_TRUE(router->add_replica("v1", ReplicaInfo{"v1/0", "127.0.0.1", 1}).ok());
  router->set_healthy("v1/0", true);
  std::vector<std::pair<std::string, bool>> seen;
  ObservedRouter observed(*router, [&](const std::string& v, bool ok, Duration) { seen.emplace_back(v, ok); });
  for (RequestOutcome o : {RequestOutcome::kSuccess, RequestOutcome::kServerError, RequestOutcome::kCancelled}) {
    auto d = observed.pick(RouteRequest{});
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(observed.in_flight(), 1);
    observed.release(*d, o);
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{{"v1", true}, {"v1", false}}));
  observed.set_draining();
  EXPECT_FALSE(observed.pick(RouteRequest{}).ok());
}

class FakeControl final : public AdminControl {
 public:
  RolloutStatus rollout_status() const override { return status; }
  Status start_rollout(const RolloutRequest& r) override {
    started = r;
    status.state.phase = RolloutPhase::kStarting;
    status.state.spec.new_version = r.version;
    return Status();
  }
  Status promote_rollout() override { return make_error(ErrorCode::kInvalidArgument, "cannot promote"); }
  Status abort_rollout() override { return Status(); }
  Status reload() override { return make_error(ErrorCode::kInvalidArgument, "health.interval: bad"); }
  std::vector<PoolConfig> pools() const override { return {}; }
  RolloutStatus status;
  RolloutRequest started;
};

TEST(AdminRolloutTest, Routes) {
  FakeControl control;
  auto post = [&](std::string_view path, std::string_view body) {
    return handle_admin_control(control, "POST", path, body);
  };
  AdminResponse r = post("/admin/rollout", R"({"model":"/m.gguf","strategy":"blue-green","canary_percent":200})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("canary_percent"), std::string::npos) << r.body;
  EXPECT_EQ(post("/admin/rollout", R"({"strategy":"canary"})").status, 400);
  EXPECT_NE(post("/admin/rollout", R"({"model":"/m","colour":1})").body.find("colour"), std::string::npos);
  r = post("/admin/rollout", R"({"model":"/m.gguf","strategy":"rolling","analysis_window":"30m","version":"b"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(control.started.strategy, RolloutStrategy::kRolling);
  EXPECT_EQ(control.started.analysis_window, std::chrono::minutes(30));
  const Json j = Json::parse(r.body);
  EXPECT_EQ(j["phase"], "starting");
  EXPECT_EQ(j["version"], "b");
  for (const char* key : {"strategy", "model", "canary_percent", "message", "events"}) EXPECT_TRUE(j.contains(key));
  EXPECT_EQ(post("/admin/rollout", R"({"model":"/m.gguf"})").status, 409);  // in progress
  EXPECT_EQ(post("/admin/rollout/promote", "").status, 409);
  EXPECT_EQ(post("/admin/rollout/abort", "").status, 200);
  EXPECT_EQ(handle_admin_control(control, "GET", "/admin/rollout", "").status, 200);
  r = post("/admin/reload", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("health.interval"), std::string::npos);
}

GatewayConfig static_config(int port_a, int port_b) {
  GatewayConfig c;
  c.pools = {PoolConfig{"ext", "", 1, PoolRole::kPrimary, {}, {"127.0.0.1:" + std::to_string(port_a)}}};
  c.ports = PortsConfig{0, 0};
  c.health.interval = std::chrono::milliseconds(100);
  c.health.timeout = std::chrono::milliseconds(80);
  c.supervisor.stop_grace = std::chrono::seconds(2);
  if (port_b != 0) {
    c.pools.push_back(PoolConfig{"spare", "", 1, PoolRole::kBackup, {}, {"127.0.0.1:" + std::to_string(port_b)}});
  }
  return c;
}

int healthy_replicas(uint16_t admin_port) {
  const auto r = http_request(admin_port, "GET", "/admin/status");
  if (r.status != 200) return -1;
  int n = 0;
  const Json status = Json::parse(r.body);
  for (const auto& rep : status["replicas"]) n += rep["healthy"].get<bool>() ? 1 : 0;
  return n;
}

TEST(GatewayRuntimeTest, StaticEndpointsProxyReloadAndStop) {
  test::FakeUpstream a(test::FakeUpstreamScript{}), b(test::FakeUpstreamScript{});
  RuntimeOptions options;
  options.tick_interval = std::chrono::milliseconds(50);
  auto rt = GatewayRuntime::start(static_config(a.port(), 0), options);
  ASSERT_TRUE(rt.ok()) << rt.error().message;
  GatewayRuntime& gw = **rt;
  ASSERT_TRUE(eventually([&] { return healthy_replicas(gw.admin_port()) == 1; }))
      << http_request(gw.admin_port(), "GET", "/admin/status").body;
  auto r = http_request(gw.proxy_port(), "POST", "/v1/chat/completions", R"({"messages":[]})",
                        {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-r1serve-model-version"), "ext");
  // Reload: a backup pool appears; an invalid config changes nothing.
  ASSERT_TRUE(gw.reload(static_config(a.port(), b.port())).ok());
  ASSERT_TRUE(eventually([&] { return healthy_replicas(gw.admin_port()) == 2; }));
  GatewayConfig bad = static_config(a.port(), 0);
  bad.pools[0].args = {"--fault-latency-ms", "5"};
  Status s = gw.reload(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("pools[0].args"), std::string::npos);
  EXPECT_EQ(gw.control().pools().size(), 2u);
  ASSERT_TRUE(gw.reload(static_config(a.port(), 0)).ok());
  ASSERT_TRUE(eventually([&] { return gw.control().pools().size() == 1u && healthy_replicas(gw.admin_port()) == 1; }));
  const uint16_t port = gw.proxy_port();
  gw.stop();
  EXPECT_EQ(http_request(port, "GET", "/v1/models").status, -1);  // listener closed
}

TEST(GatewayRuntimeTest, BadConfigIsRefusedAtStart) {
  GatewayConfig c = static_config(1, 0);
  c.health.timeout = std::chrono::seconds(5);
  auto rt = GatewayRuntime::start(c, RuntimeOptions{});
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.error().message.rfind("health.timeout", 0), 0u) << rt.error().message;
}

}  // namespace
}  // namespace r1::gateway
