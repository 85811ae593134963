// PoolSet: the gateway runtime's live pools (model versions) and their
// replicas, over the router, supervisor and health checker. Used by the
// config reload (pools added, removed, resized) and by the rollout actions
// (new versions, replica-by-replica replacement).
//
// Routing changes are immediate; what waits runs on PoolSet's own "ops"
// thread, in FIFO order: adding a replica (router + supervisor, or a static
// endpoint's health target) and removing one (out of rotation at once, then
// wait until its requests in flight are 0 or supervisor.stop_grace passes,
// then stop the worker and forget it). FIFO order makes a replica re-added
// under the id it had (rolling restore, pool resize) start only after the
// old one is gone.
//
// A replica can be held out of rotation (`routable` false) while healthy:
// routable() is the predicate the wiring consults on health transitions.
//
// Thread contract: all public methods are safe from any thread. Nothing is
// called back with PoolSet's lock held.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "gateway/config/config.h"
#include "gateway/runtime/wiring.h"

namespace r1::gateway {

class PoolSet {
 public:
  // parts.routable is ignored (set it to this->routable()).
  PoolSet(const GatewayParts& parts, const Clock& clock, std::string self_exe, GatewayConfig config);
  ~PoolSet();  // stop()

  // Adds the pool's router version when new, then its replicas 0..replicas-1
  // (`routed` false: held out of rotation until set_routable). Error when
  // the pool is live already.
  Status add_pool(const PoolConfig& pool, bool routed = true);
  // Adds the router version and an empty live pool when not live yet.
  Status ensure_pool(const PoolConfig& pool);
  // Takes every replica out of rotation now; drains and stops them on the
  // ops thread. The router version stays (empty) so it can come back.
  void remove_pool(const std::string& name);
  // A live managed pool's workers onto a new model or args (and replica
  // count) without lowering its capacity, on the ops thread: one surge
  // replica with the new config first; once it is healthy each old replica
  // in turn is drained, stopped and restarted with the new config (waited
  // for until healthy); then the count is adjusted and the surge replica
  // goes. A surge replica that does not become healthy (crash loop, or not
  // within rollout.ready_timeout) is stopped and the pool keeps its old
  // workers and config; a failed replacement is restarted with the old
  // config. Replica ids stay "<pool>/0".."<pool>/<n-1>".
  Status roll_pool(const PoolConfig& next);
  // One replica "<pool>/<index>" of a live pool.
  Status add_replica(const std::string& pool, int index, bool routed);
  void remove_replica(const std::string& id);

  // A dns pool's addresses now ("IP:PORT", from DnsDiscovery): replicas for
  // new ones are added (routed once healthy), those of vanished ones are
  // drained and removed, the rest stay (see plan_slots).
  Status sync_endpoints(const std::string& pool, const std::vector<std::string>& found);

  void set_routable(const std::string& id, bool routable);
  bool routable(const std::string& id) const;

  std::vector<PoolConfig> pools() const;  // live, in the order added
  std::optional<PoolConfig> pool(const std::string& name) const;
  std::vector<std::string> replica_ids(const std::string& pool) const;
  bool replica_healthy(const std::string& id) const;  // the health checker's view
  // Non-empty when the replica's worker will not come up: the supervisor
  // gave up on it (crash loop), or it crashed kStartCrashes times without
  // ever being healthy. Says which and its last exit.
  std::string start_failure(const std::string& id) const;
  static constexpr int kStartCrashes = 3;
  int in_flight(const std::string& id) const;         // router outstanding
  // Where a replica listens (worker port or static endpoint); nullopt if unknown.
  std::optional<std::pair<std::string, int>> endpoint(const std::string& id) const;

  // Worker flags and policies for replicas added from now on.
  void set_config(const GatewayConfig& config);
  GatewayConfig config() const;

  // Blocks until the ops queue is empty and idle.
  void wait_idle();
  // Drops the queued jobs and joins the ops thread.
  void stop();

 private:
  struct Live {
    PoolConfig config;
    std::set<int> indices;
  };
  void post(std::function<void()> job);
  void ops_main();
  void add_job(const PoolConfig& pool, int index);
  void remove_job(const std::string& id, bool managed);
  void roll_job(const PoolConfig& old_config, const PoolConfig& next);
  bool start_and_wait(const PoolConfig& config, int index);  // ops thread
  void drop(const std::string& pool, int index);              // ops thread
  void set_live_config(const PoolConfig& config);
  Status add_version(const PoolConfig& pool);

  GatewayParts parts_;
  const Clock& clock_;
  const std::string self_exe_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  GatewayConfig config_;
  std::vector<std::string> order_;
  std::map<std::string, Live> live_;
  std::set<std::string> unroutable_;
  std::deque<std::function<void()>> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace r1::gateway
