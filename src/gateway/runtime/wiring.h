// Wires the gateway's parts together (no HTTP proxying here):
//   supervisor kSpawned  -> health.add_target (state reset) + router.set_endpoint
//   supervisor kExited/kFailed/kStopped -> router.set_healthy(false) at once
//   health transition    -> router.set_healthy (healthy only when
//                           parts.routable(id) allows); to kHealthy also
//                           supervisor.report_ready (crash -> ready time)
//   liveness failure     -> supervisor.report_unresponsive (kill -9, respawn)
// Replica ids are "<pool>/<index>" everywhere (worker name, health target
// id, router replica id).
//
// Thread contract: connect_parts() is called once, before the supervisor
// and health checker start; the parts must outlive their callbacks.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/policy/health.h"
#include "gateway/policy/router.h"
#include "gateway/supervisor/supervisor.h"

namespace r1::gateway {

struct GatewayParts {
  Supervisor* supervisor = nullptr;
  HealthChecker* health = nullptr;
  DefaultRouter* router = nullptr;
  std::string health_path = "/ready";
  // Optional: false keeps a healthy replica out of rotation (draining,
  // rolling rollout); empty = always routable.
  std::function<bool(const std::string& replica_id)> routable;
};

void connect_parts(const GatewayParts& parts);

struct PoolWorker {
  std::string pool;
  WorkerSpec spec;  // spec.name is the replica id
};

// One worker per pool replica:
//   <binary> serve --model <model> --host 127.0.0.1 [test flags] <args...> --port <free port>
// binary = supervisor.binary, or `self_exe` when empty. The "serve" verb and
// flag names are the assumed worker CLI (the server owns it).
// Pools with static `endpoints` get no workers (see static_replicas).
std::vector<PoolWorker> pool_workers(const GatewayConfig& config, const std::string& self_exe);
// The worker of one replica of `pool` (spec.name "<pool>/<index>").
WorkerSpec worker_spec(const GatewayConfig& config, const PoolConfig& pool, int index,
                       const std::string& self_exe);

// Registers every pool replica with the router (port 0, not healthy) and the
// supervisor (spawned on its next poll).
Status add_pool_workers(const std::vector<PoolWorker>& workers, const GatewayParts& parts);

// Static upstreams of pools with `endpoints` (validated by the config):
// replica "<pool>/<index>" at that address.
struct StaticReplica {
  std::string pool;
  ReplicaInfo replica;
};
std::vector<StaticReplica> static_replicas(const PoolConfig& pool);
// Registers a static replica with the router and the health checker.
Status add_static_replica(const StaticReplica& r, const GatewayParts& parts);

}  // namespace r1::gateway
