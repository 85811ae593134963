// GatewayRuntime: config reload and the saved rollout at start-up.
#include <filesystem>
#include <set>
#include <tuple>

#include "core/log.h"
#include "gateway/config/replica_id.h"
#include "gateway/runtime/gateway_runtime_impl.h"
#include "gateway/rollout/rollout_state.h"

namespace r1::gateway {
namespace {

const PoolConfig* find_pool(const GatewayConfig& c, const std::string& name) {
  for (const PoolConfig& p : c.pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool same_health(const HealthConfig& a, const HealthConfig& b) {
  return std::tie(a.interval, a.timeout, a.healthy_threshold, a.unhealthy_threshold, a.liveness_restart_after,
                  a.startup_grace, a.path) == std::tie(b.interval, b.timeout, b.healthy_threshold,
                                                       b.unhealthy_threshold, b.liveness_restart_after,
                                                       b.startup_grace, b.path);
}

bool same_breaker(const BreakerConfig& a, const BreakerConfig& b) {
  return std::tie(a.window, a.error_rate_percent, a.min_requests, a.open_duration, a.half_open_probes) ==
         std::tie(b.window, b.error_rate_percent, b.min_requests, b.open_duration, b.half_open_probes);
}

bool same_outlier(const OutlierConfig& a, const OutlierConfig& b) {
  return std::tie(a.consecutive_5xx, a.consecutive_connect_failures, a.base_ejection_time, a.max_ejection_time,
                  a.max_ejection_percent) == std::tie(b.consecutive_5xx, b.consecutive_connect_failures,
                                                      b.base_ejection_time, b.max_ejection_time,
                                                      b.max_ejection_percent);
}

bool same_restart_only(const GatewayConfig& a, const GatewayConfig& b) {
  const auto& s = a.supervisor;
  const auto& t = b.supervisor;
  return std::tie(s.binary, s.backoff_base, s.backoff_max, s.crash_loop_count, s.crash_loop_window, s.stop_grace) ==
             std::tie(t.binary, t.backoff_base, t.backoff_max, t.crash_loop_count, t.crash_loop_window, t.stop_grace);
}

bool same_workers(const PoolConfig& a, const PoolConfig& b) {
  return a.model == b.model && a.args == b.args && a.endpoints == b.endpoints && a.dns == b.dns;
}

// Workers the gateway starts (not static endpoints, not DNS-discovered).
bool managed(const PoolConfig& p) { return p.endpoints.empty() && p.dns.empty(); }

// Adds the missing indices below `replicas`, removes those at or above it.
void resize_pool(PoolSet& pools, const PoolConfig& p) {
  std::set<int> have;
  for (const std::string& id : pools.replica_ids(p.name)) {
    const std::optional<ReplicaId> r = ReplicaId::parse(id);
    if (!r) continue;
    if (r->index >= p.replicas) pools.remove_replica(id);
    else have.insert(r->index);
  }
  for (int i = 0; i < p.replicas; ++i) {
    if (have.count(i) == 0) (void)pools.add_replica(p.name, i, true);
  }
}

}  // namespace

void GatewayRuntime::Impl::apply_pools(const GatewayConfig& old, const GatewayConfig& next) {
  for (const PoolConfig& p : next.pools) {
    const PoolConfig* before = find_pool(old, p.name);
    const std::optional<PoolConfig> live = pool_set->pool(p.name);
    if (before == nullptr) {
      Status s = live ? Status(make_error(ErrorCode::kInvalidArgument, "already running")) : pool_set->add_pool(p);
      if (s.ok()) log::info("gateway: reload: pool {} added ({} replicas)", p.name, p.replicas);
      else log::warn("gateway: reload: pool {} not added: {}", p.name, s.error().message);
      continue;
    }
    if (!live) {
      log::warn("gateway: reload: pool {} was replaced by a rollout; its changes are ignored", p.name);
      continue;
    }
    if (p.role != before->role) log::warn("gateway: reload: pool {}: a role change applies at the next start", p.name);
    if (!same_workers(p, *before) && managed(p) && managed(*before)) {
      if (Status s = pool_set->roll_pool(p); !s.ok()) log::warn("gateway: reload: {}", s.error().message);
    } else if (!same_workers(p, *before)) {
      log::info("gateway: reload: pool {}: endpoints changed: replacing its replicas", p.name);
      pool_set->remove_pool(p.name);
      (void)pool_set->add_pool(p);
    } else if (p.replicas != live->replicas && p.dns.empty()) {  // a dns pool sizes itself
      log::info("gateway: reload: pool {}: {} -> {} replicas", p.name, live->replicas, p.replicas);
      resize_pool(*pool_set, p);
    }
  }
  for (const PoolConfig& p : old.pools) {
    if (find_pool(next, p.name) != nullptr || !pool_set->pool(p.name)) continue;
    log::info("gateway: reload: pool {} removed", p.name);
    pool_set->remove_pool(p.name);
  }
}

void GatewayRuntime::Impl::apply_policies(const GatewayConfig& old, const GatewayConfig& next) {
  if (!same_health(old.health, next.health)) {
    log::info("gateway: reload: new health check policy");
    health->set_options(next.health);
  }
  if (!same_breaker(old.breaker, next.breaker) || !same_outlier(old.outlier, next.outlier)) {
    log::info("gateway: reload: new breaker and outlier policies");
    for (const PoolConfig& p : pool_set->pools()) {
      (void)router->set_policies(p.name, std::make_unique<WindowBreaker>(real_clock(), next.breaker),
                                 std::make_unique<ConsecutiveOutlierDetector>(real_clock(), next.outlier));
    }
  }
  if (old.ports.listen != next.ports.listen || old.ports.admin != next.ports.admin) {
    log::warn("gateway: reload: ports are not changed by a reload (still :{} and :{})", proxy->port(), admin->port());
  }
  proxy->update_policies(next.retries, next.stream, next.queue);
  if (!same_restart_only(old, next)) {
    log::warn("gateway: reload: supervisor settings apply at the next start");
  }
}

Status GatewayRuntime::Impl::apply(GatewayConfig next) {
  std::lock_guard<std::mutex> reload_lock(reload_mu);
  next.test_mode = next.test_mode || options.test_mode;
  if (Status s = validate(next); !s.ok()) {
    log::error("gateway: reload failed, keeping the old config: {}", s.error().message);
    return s;
  }
  if (rollout_active(rollout->status().state.phase)) {
    Error e = make_error(ErrorCode::kInvalidArgument, "reload: a rollout is in progress; retry when it is done");
    log::error("gateway: {}", e.message);
    return e;
  }
  GatewayConfig old;
  {
    std::lock_guard<std::mutex> lock(mu);
    old = file_config;
  }
  GatewayConfig live = next;
  live.pools = pool_set->pools();
  pool_set->set_config(live);
  apply_pools(old, next);
  apply_policies(old, next);
  {
    std::lock_guard<std::mutex> lock(mu);
    file_config = next;
  }
  log::info("gateway: config reloaded");
  return Status();
}

void apply_saved_rollout(GatewayConfig& config, const std::string& state_path) {
  std::error_code ec;
  if (state_path.empty() || !std::filesystem::exists(state_path, ec)) return;
  Result<RolloutState> state = read_rollout_state(state_path);
  if (!state.ok() || state->phase != RolloutPhase::kSucceeded) return;
  const RolloutSpec& spec = state->spec;
  if (find_pool(config, spec.new_version) != nullptr) return;
  for (PoolConfig& p : config.pools) {
    if (p.name != spec.stable_version || p.model != spec.stable_model_path || !p.endpoints.empty()) continue;
    log::warn("gateway: serving {} ({}): rolled out before the restart (see {})", spec.new_version,
              spec.model_path, state_path);
    p.name = spec.new_version;
    p.model = spec.model_path;
  }
}

}  // namespace r1::gateway
