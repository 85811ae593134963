// PoolRolloutActions: the real RolloutActions of the gateway runtime, over
// its PoolSet and router.
//  - start_version: a new pool (the stable pool's args, role primary) that
//    gets no traffic until a canary weight or a switch.
//  - version_ready: every replica of the version is healthy.
//  - smoke_test: one real POST /api/predict (2 tokens) to a replica; 200
//    passes.
//  - set_canary_weight / switch_stable: the router's canary split and
//    stable version (a switch also clears the canary).
//  - drain_and_stop: PoolSet::remove_pool (out of rotation now; the rest on
//    the ops thread, so the controller's lock is never held across a wait).
//  - replica level (rolling): new replicas start held out of rotation;
//    set_replica_routable() moves them in and out, and the traffic between
//    the new version and the stable one follows the routable replica counts
//    (a canary weight of new / (new + old)).
//
// Thread contract: all methods are safe from any thread (they call only
// thread-safe parts and never block on a worker).
#pragma once

#include <mutex>
#include <string>

#include "gateway/runtime/gateway_pools.h"
#include "gateway/rollout/rollout.h"
#include "gateway/policy/router.h"

namespace r1::gateway {

// One POST /api/predict to host:port; OK on 200. Errors say what failed.
Status smoke_request(const std::string& host, int port, Duration timeout);

class PoolRolloutActions final : public RolloutActions {
 public:
  PoolRolloutActions(PoolSet& pools, DefaultRouter& router, Duration smoke_timeout = std::chrono::seconds(30));

  Status start_version(const std::string& version, const std::string& model, int replicas) override;
  bool version_ready(const std::string& version) override;
  Status smoke_test(const std::string& version) override;
  void set_canary_weight(const std::string& version, int percent) override;
  void switch_stable(const std::string& version) override;
  void drain_and_stop(const std::string& version) override;
  Status start_replica(const std::string& version, const std::string& model, int index) override;
  bool replica_ready(const std::string& replica_id) override;
  std::string version_failure(const std::string& version) override;
  std::string replica_failure(const std::string& replica_id) override;
  void set_replica_routable(const std::string& replica_id, bool routable) override;
  int in_flight(const std::string& replica_id) override;
  void stop_replica(const std::string& replica_id) override;

 private:
  PoolConfig new_pool(const std::string& version, const std::string& model, int replicas) const;
  void rebalance(const std::string& version);
  int routable_count(const std::string& version) const;
  // The version sharing traffic with the stable one, for a replica of either.
  void rebalance_for(const std::string& replica_id);

  PoolSet& pools_;
  DefaultRouter& router_;
  const Duration smoke_timeout_;
  std::mutex mu_;
  std::string partner_;  // rolling: the new version whose replicas were started
};

}  // namespace r1::gateway
