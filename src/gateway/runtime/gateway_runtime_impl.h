// Internals of GatewayRuntime shared by gateway_runtime.cpp and
// gateway_reload.cpp (include from those only).
//
// Thread contract: as GatewayRuntime (gateway_runtime.h); `mu` guards
// file_config, `outcomes_mu` the outcome queue, `reload_mu` serializes
// reloads and rollout starts.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/admin/admin.h"
#include "gateway/runtime/gateway_health.h"
#include "gateway/runtime/discovery.h"
#include "gateway/runtime/gateway_pools.h"
#include "gateway/runtime/gateway_runtime.h"
#include "gateway/policy/http_probe.h"
#include "gateway/proxy/proxy.h"
#include "gateway/runtime/rollout_actions.h"
#include "gateway/supervisor/supervisor.h"

namespace r1::gateway {

// The proxy's Router: DefaultRouter plus request timing for the rollout
// analysis, an in-flight count, and a drain switch (new picks fail).
class ObservedRouter final : public Router {
 public:
  using Sink = std::function<void(const std::string& version, bool ok, Duration latency)>;
  ObservedRouter(DefaultRouter& inner, Sink sink) : inner_(inner), sink_(std::move(sink)) {}
  Result<RouteDecision> pick(const RouteRequest& request) override;
  void release(const RouteDecision& decision, RequestOutcome outcome) override;
  void set_draining() { draining_.store(true); }
  bool draining() const { return draining_.load(); }
  int in_flight() const { return in_flight_.load(); }

 private:
  DefaultRouter& inner_;
  Sink sink_;
  std::atomic<bool> draining_ = false;
  std::atomic<int> in_flight_ = 0;
};

struct RequestRecord {
  std::string version;
  bool ok = true;
  Duration latency{0};
};

struct GatewayRuntime::Impl final : public AdminControl {
  static constexpr size_t kMaxQueuedOutcomes = 100000;

  RuntimeOptions options;
  std::string state_path;
  HttpProber prober;
  ProxyMetrics metrics;
  mutable std::mutex mu;
  GatewayConfig file_config;  // as last loaded: reload diffs against it
  std::mutex reload_mu;
  std::unique_ptr<ProcessSupervisor> supervisor;
  std::unique_ptr<SwitchableHealthChecker> health;
  std::unique_ptr<DefaultRouter> router;
  std::unique_ptr<PoolSet> pool_set;
  SystemResolver resolver;
  std::unique_ptr<DnsDiscovery> discovery;  // dns pools
  std::unique_ptr<PoolRolloutActions> actions;
  std::unique_ptr<RolloutController> rollout;
  std::unique_ptr<ObservedRouter> observed;
  std::unique_ptr<ProxyServer> proxy;
  std::unique_ptr<AdminServer> admin;
  std::mutex outcomes_mu;
  std::vector<RequestRecord> outcomes;
  std::mutex tick_mu;
  std::condition_variable tick_cv;
  bool tick_stop = false;
  std::thread ticker;
  bool stopped = false;

  ~Impl() override;
  Status start_parts(const GatewayConfig& config);
  void resume_rollout();
  void tick_main();
  void record(const std::string& version, bool ok, Duration latency);
  void shutdown();
  Status apply(GatewayConfig next);
  void apply_pools(const GatewayConfig& old, const GatewayConfig& next);
  void apply_policies(const GatewayConfig& old, const GatewayConfig& next);

  // AdminControl
  RolloutStatus rollout_status() const override { return rollout->status(); }
  Status start_rollout(const RolloutRequest& request) override;
  Status promote_rollout() override { return rollout->promote(); }
  Status abort_rollout() override { return rollout->abort(); }
  Status reload() override;
  std::vector<PoolConfig> pools() const override { return pool_set->pools(); }
};

// A rollout that had succeeded before a restart: its version replaces the
// stable pool it replaced, when the config still names that pool and model.
void apply_saved_rollout(GatewayConfig& config, const std::string& state_path);

}  // namespace r1::gateway
