#include "gateway/config/replica_id.h"
#include "gateway/runtime/wiring.h"

#include "core/check.h"
#include "core/log.h"

namespace r1::gateway {
namespace {

void on_worker_event(const GatewayParts& p, const WorkerEvent& e) {
  switch (e.kind) {
    case WorkerEventKind::kSpawned: {
      Status s = p.router->set_endpoint(e.name, "127.0.0.1", e.port);
      if (!s.ok()) log::warn("gateway: {}", s.error().to_string());
      p.health->add_target(HealthTarget{e.name, "127.0.0.1", e.port, p.health_path});
      return;
    }
    case WorkerEventKind::kExited:
    case WorkerEventKind::kFailed:
    case WorkerEventKind::kStopped:
      p.router->set_healthy(e.name, false);  // don't wait for probes to notice
      p.health->remove_target(e.name);
      return;
  }
}

}  // namespace

void connect_parts(const GatewayParts& parts) {
  CHECK(parts.supervisor != nullptr && parts.health != nullptr && parts.router != nullptr);
  const GatewayParts p = parts;
  p.supervisor->set_event_callback([p](const WorkerEvent& e) { on_worker_event(p, e); });
  HealthCallbacks callbacks;
  callbacks.on_transition = [p](const HealthTransition& t) {
    const bool healthy = t.to == HealthState::kHealthy;
    p.router->set_healthy(t.id, healthy && (!p.routable || p.routable(t.id)));
    if (healthy) p.supervisor->report_ready(t.id);
    log::info("gateway: replica {} {} -> {}{}", t.id, health_state_name(t.from), health_state_name(t.to),
              t.last.error.empty() ? "" : " (" + t.last.error + ")");
  };
  callbacks.on_liveness_failure = [p](const std::string& id, const ProbeResult& last) {
    log::warn("gateway: replica {} unresponsive ({}), restarting", id, last.error);
    p.supervisor->report_unresponsive(id);
  };
  p.health->set_callbacks(std::move(callbacks));
}

WorkerSpec worker_spec(const GatewayConfig& config, const PoolConfig& pool, int index,
                       const std::string& self_exe) {
  const std::string binary = config.supervisor.binary.empty() ? self_exe : config.supervisor.binary;
  WorkerSpec spec;
  spec.name = ReplicaId{pool.name, index}.to_string();
  spec.argv = {binary, "serve", "--model", pool.model, "--host", "127.0.0.1"};
  if (config.test_mode) spec.argv.push_back("--test-mode");
  spec.argv.insert(spec.argv.end(), pool.args.begin(), pool.args.end());
  spec.port_flag = "--port";
  return spec;
}

std::vector<PoolWorker> pool_workers(const GatewayConfig& config, const std::string& self_exe) {
  std::vector<PoolWorker> out;
  for (const PoolConfig& pool : config.pools) {
    if (!pool.endpoints.empty() || !pool.dns.empty()) continue;
    for (int i = 0; i < pool.replicas; ++i) {
      out.push_back(PoolWorker{pool.name, worker_spec(config, pool, i, self_exe)});
    }
  }
  return out;
}

std::vector<StaticReplica> static_replicas(const PoolConfig& pool) {
  std::vector<StaticReplica> out;
  for (size_t i = 0; i < pool.endpoints.size(); ++i) {
    if (pool.endpoints[i].empty()) continue;  // a dns pool's vacated slot
    Result<StaticEndpoint> e = parse_endpoint(pool.endpoints[i], pool.name + ".endpoints");
    CHECK(e.ok()) << "endpoints are validated by the config: " << pool.endpoints[i];
    out.push_back(StaticReplica{pool.name, ReplicaInfo{ReplicaId{pool.name, static_cast<int>(i)}.to_string(), e->host, e->port}});
  }
  return out;
}

Status add_static_replica(const StaticReplica& r, const GatewayParts& parts) {
  R1_RETURN_IF_ERROR(parts.router->add_replica(r.pool, r.replica));
  parts.health->add_target(HealthTarget{r.replica.id, r.replica.host, r.replica.port, parts.health_path});
  return Status();
}

Status add_pool_workers(const std::vector<PoolWorker>& workers, const GatewayParts& parts) {
  for (const PoolWorker& w : workers) {
    R1_RETURN_IF_ERROR(parts.router->add_replica(w.pool, ReplicaInfo{w.spec.name, "127.0.0.1", 0}));
    R1_RETURN_IF_ERROR(parts.supervisor->add(w.spec));
  }
  return Status();
}

}  // namespace r1::gateway
