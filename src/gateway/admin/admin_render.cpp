// Admin API handlers and renderers (no sockets; admin.cpp serves them).
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "gateway/config/replica_id.h"
#include "http/key.h"
#include "gateway/admin/admin.h"
#include "metrics/process.h"
#include "metrics/registry.h"

namespace r1::gateway {
namespace {

using Json = nlohmann::ordered_json;

std::vector<PoolConfig> pool_list(const AdminSources& s, const std::vector<ReplicaSnapshot>& snap) {
  if (s.control != nullptr) return s.control->pools();
  if (!s.pools.empty()) return s.pools;
  std::vector<PoolConfig> pools;
  for (const auto& r : snap) {
    bool seen = false;
    for (const auto& p : pools) seen = seen || p.name == r.version;
    if (!seen) pools.push_back(PoolConfig{r.version});
  }
  return pools;
}

Json breaker_json(const CircuitBreaker* b) {
  if (b == nullptr) return nullptr;
  const BreakerCounts c = b->counts();
  return Json{{"state", breaker_state_name(b->state())},
              {"error_rate_percent", c.error_rate_percent()},
              {"successes", c.successes},
              {"errors", c.errors},
              {"timeouts", c.timeouts},
              {"rejected_total", c.rejected_total},
              {"opened_total", c.opened_total}};
}

Json replica_json(const ReplicaSnapshot& r, const Supervisor* supervisor) {
  Json j = {{"id", r.id}, {"version", r.version}, {"pid", 0}, {"port", 0},
            {"healthy", r.healthy}, {"ejected", r.ejected}, {"outstanding", r.outstanding}};
  if (supervisor != nullptr) {
    if (auto st = supervisor->status(r.id)) {
      j["pid"] = static_cast<int64_t>(st->pid);
      j["port"] = st->port;
      j["state"] = worker_state_name(st->state);
      j["restarts"] = st->crashes;
      if (!st->last_exit.empty()) j["last_exit"] = st->last_exit;
      // crash -> replacement ready, the last time this replica crashed
      if (st->last_recovery) j["last_recovery_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(*st->last_recovery).count();
    }
  }
  return j;
}

int state_value(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed: return 0;
    case BreakerState::kHalfOpen: return 1;
    case BreakerState::kOpen: return 2;
  }
  return 0;
}

// Breaker, canary weight, health and ejection per version and replica, as
// they are at this scrape.
void routing_metrics(metrics::Registry& r, const AdminSources& s, const std::vector<ReplicaSnapshot>& snap) {
  auto& breaker = r.gauge("r1_gateway_breaker_state",
                          "Circuit breaker per version (0 closed, 1 half-open, 2 open).", {"version"});
  auto& canary_weight = r.gauge("r1_gateway_canary_weight_percent",
                                "Share of sessions sent to the canary version.", {"version"});
  const auto pools = pool_list(s, snap);
  for (const auto& p : pools) {
    if (const CircuitBreaker* b = s.router->breaker(p.name)) breaker.with({p.name}).set(state_value(b->state()));
  }
  const auto [canary, percent] = s.router->canary();
  for (const auto& p : pools) canary_weight.with({p.name}).set(p.name == canary ? percent : 0);
  auto& healthy = r.gauge("r1_gateway_replica_healthy", "Replica health (1 healthy).", {"version", "replica"});
  auto& ejected = r.gauge("r1_gateway_replica_ejected", "Replica ejected by outlier detection (1 ejected).",
                          {"version", "replica"});
  for (const auto& rep : snap) healthy.with({rep.version, rep.id}).set(rep.healthy ? 1 : 0);
  for (const auto& rep : snap) ejected.with({rep.version, rep.id}).set(rep.ejected ? 1 : 0);
}

// Restarts, crash loops and crash-to-ready times of the supervised workers.
void supervisor_metrics(metrics::Registry& r, const Supervisor& supervisor,
                        const std::vector<ReplicaSnapshot>& snap) {
  auto& restarts = r.counter("r1_gateway_replica_restarts_total",
                             "Unplanned exits (crashes, liveness kills) of the replica's worker, each followed by a restart.",
                             {"version", "replica"});
  auto& failed = r.gauge("r1_gateway_replica_failed",
                         "1 when the supervisor gave up on the replica's worker (crash loop or exec failure).",
                         {"version", "replica"});
  auto& recovery = r.gauge("r1_gateway_replica_recovery_seconds",
                           "Seconds from the replica's last crash to a replacement being ready.", {"version", "replica"});
  for (const auto& rep : snap) {
    const auto st = supervisor.status(rep.id);
    if (!st) continue;
    restarts.with({rep.version, rep.id}).inc(st->crashes);
    failed.with({rep.version, rep.id}).set(st->state == WorkerState::kFailed ? 1 : 0);
    if (st->last_recovery) {
      recovery.with({rep.version, rep.id}).set(std::chrono::duration<double>(*st->last_recovery).count());
    }
  }
}

// "127.0.0.1:PORT" of a replica Prometheus can scrape: a static endpoint,
// or a supervised worker with a live process; empty when there is none.
std::string scrape_address(const AdminSources& s, const PoolConfig& pool, const std::string& id) {
  if (!pool.endpoints.empty()) {
    const std::optional<ReplicaId> r = ReplicaId::parse(id);
    const size_t i = r ? static_cast<size_t>(r->index) : pool.endpoints.size();
    return i < pool.endpoints.size() ? pool.endpoints[i] : "";
  }
  if (s.supervisor == nullptr) return "";
  const auto st = s.supervisor->status(id);
  if (!st || st->pid <= 0 || st->port <= 0) return "";
  return "127.0.0.1:" + std::to_string(st->port);
}

}  // namespace

std::string admin_status_json(const AdminSources& s) {
  const auto snap = s.router->snapshot();
  Json pools = Json::array();
  for (const auto& p : pool_list(s, snap)) {
    int ejected = 0;
    for (const auto& r : snap) ejected += (r.version == p.name && r.ejected) ? 1 : 0;
    pools.push_back({{"name", p.name}, {"role", pool_role_name(p.role)},
                     {"breaker", breaker_json(s.router->breaker(p.name))}, {"ejected", ejected}});
  }
  Json replicas = Json::array();
  for (const auto& r : snap) replicas.push_back(replica_json(r, s.supervisor));
  Json counters = Json::object();
  if (s.metrics != nullptr) {
    const ProxyCounters c = s.metrics->counters();
    counters = {{"requests_total", c.requests_total}, {"retries_total", c.retries_total},
                {"continuations_total", c.continuations_total},
                {"retry_budget_exhausted_total", c.retry_budget_exhausted_total},
                {"no_upstream_total", c.no_upstream_total}};
  }
  const auto [canary, percent] = s.router->canary();
  Json j = {{"pools", pools}, {"replicas", replicas}, {"counters", counters}, {"stable", s.router->stable()},
            {"canary", {{"version", canary}, {"percent", percent}}}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string admin_metrics_text(const AdminSources& s) {
  std::string out = s.metrics != nullptr ? s.metrics->render() : "";
  // The families of this scrape: snapshots of state whose label sets come
  // and go (replicas, versions), so a fresh registry each time.
  metrics::Registry scrape;
  const auto snap = s.router->snapshot();
  routing_metrics(scrape, s, snap);
  if (s.supervisor != nullptr) supervisor_metrics(scrape, *s.supervisor, snap);
  if (s.control != nullptr) rollout_metrics(scrape, s.control->rollout_status());
  metrics::ProcessFamilies(scrape).update();
  return out + scrape.expose();
}

std::string admin_targets_json(const AdminSources& s) {
  const auto snap = s.router->snapshot();
  Json groups = Json::array();
  for (const auto& p : pool_list(s, snap)) {
    for (const auto& r : snap) {
      if (r.version != p.name) continue;
      const std::string address = scrape_address(s, p, r.id);
      if (address.empty()) continue;
      const std::optional<ReplicaId> id = ReplicaId::parse(r.id);
      Json labels = {{"pool", p.name},
                     {"replica", r.id},
                     {"replica_index", id ? std::to_string(id->index) : ""},
                     {"role", pool_role_name(p.role)}};
      groups.push_back({{"targets", Json::array({address})}, {"labels", labels}});
    }
  }
  return groups.dump(-1, ' ', false, Json::error_handler_t::replace);
}

AdminResponse handle_admin(const AdminSources& sources, const AdminOptions& options,
                           std::string_view method, std::string_view target,
                           std::string_view authorization) {
  return handle_admin(sources, options, method, target, authorization, "");
}

AdminResponse handle_admin(const AdminSources& sources, const AdminOptions& options,
                           std::string_view method, std::string_view target,
                           std::string_view authorization, std::string_view body) {
  if (!options.admin_key.empty() && !http::bearer_matches(authorization, options.admin_key)) {
    return {401, "application/json", R"({"error":{"message":"admin key required","type":"unauthorized"}})"};
  }
  const std::string_view path = target.substr(0, target.find('?'));
  if (sources.control != nullptr && (path.starts_with("/admin/rollout") || path == "/admin/reload")) {
    return handle_admin_control(*sources.control, method, path, body);
  }
  if (method != "GET") {
    return {405, "application/json", R"({"error":{"message":"method not allowed","type":"invalid_request"}})"};
  }
  if (path == "/admin/status") return {200, "application/json", admin_status_json(sources)};
  if (path == "/metrics") return {200, "text/plain; version=0.0.4", admin_metrics_text(sources)};
  if (path == "/admin/targets") return {200, "application/json", admin_targets_json(sources)};
  return {404, "application/json", R"({"error":{"message":"not found","type":"not_found"}})"};
}

}  // namespace r1::gateway
