// FakeRolloutActions: RolloutActions for tests. Records every call as one
// line ("start_version v2 /m.gguf 2", "set_canary_weight v2 5",
// "stop_replica v1/0", ...) so tests assert the order; readiness, in-flight
// counts, smoke and start results are set by the test.
//
// Thread contract: all methods are safe from any thread (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "gateway/rollout/rollout.h"

namespace r1::gateway {

class FakeRolloutActions final : public RolloutActions {
 public:
  // Test controls. A version or replica id is ready once set_ready(id).
  void set_ready(const std::string& id, bool ready = true);
  void set_in_flight(const std::string& replica_id, int n);
  void fail_smoke(const std::string& message);
  void fail_start(const std::string& id, const std::string& message);  // version or replica id
  // version_failure / replica_failure answer `message` for `id` from now on.
  void fail_later(const std::string& id, const std::string& message);
  std::vector<std::string> calls() const;
  void clear_calls();
  // The stable version as last switched (initially empty) and canary weights.
  std::string stable() const;
  int canary_weight(const std::string& version) const;

  Status start_version(const std::string& version, const std::string& model, int replicas) override;
  bool version_ready(const std::string& version) override;
  Status smoke_test(const std::string& version) override;
  void set_canary_weight(const std::string& version, int percent) override;
  void switch_stable(const std::string& version) override;
  void drain_and_stop(const std::string& version) override;
  Status start_replica(const std::string& version, const std::string& model, int index) override;
  bool replica_ready(const std::string& replica_id) override;
  void set_replica_routable(const std::string& replica_id, bool routable) override;
  int in_flight(const std::string& replica_id) override;
  void stop_replica(const std::string& replica_id) override;
  std::string version_failure(const std::string& version) override;
  std::string replica_failure(const std::string& replica_id) override;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
  std::set<std::string> ready_;
  std::map<std::string, int> in_flight_;
  std::map<std::string, std::string> start_errors_;
  std::map<std::string, std::string> later_errors_;
  std::map<std::string, int> weights_;
  std::string smoke_error_;
  std::string stable_;
};

}  // namespace r1::gateway
