// Replica selection across model versions (pools).
//
// pick():
//  1. Canary split: with a canary set at p%, a session whose hash
//     (hash64(session_key), deterministic across restarts) falls in the
//     lowest p% of the space goes to the canary version, others to the
//     stable version (the first primary pool added). Sticky per session for
//     a fixed p, and raising p only moves stable sessions to the canary.
//  2. The chosen version serves when it has a healthy, un-ejected replica
//     and its breaker admits the request; otherwise the next version in
//     order (canary -> stable -> backups in order added), marked fallback.
//  3. Within a version: a non-empty session key picks by rendezvous
//     (highest-random-weight) hashing over the routable replicas, so a
//     session stays on its replica while that replica is routable, and only
//     its sessions move when it fails. Without a key: least outstanding
//     requests, ties rotated round-robin.
// Replicas start not-healthy (unknown); set_healthy() comes from the health
// checker. Every pick names the version and replica that serve it; the
// caller must release() each successful pick exactly once.
//
// Thread contract: all methods are safe from any thread (one mutex; the
// breakers and outlier detectors it owns have their own and never call out).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "gateway/policy/breaker.h"
#include "gateway/config/config.h"
#include "gateway/policy/outlier.h"

namespace r1::gateway {

enum class RequestOutcome {
  kSuccess,
  kClientError,     // 4xx: the replica is fine
  kServerError,     // 5xx
  kConnectFailure,  // refused / reset before an answer
  kTimeout,         // no first token / per-token timeout
  kCancelled,       // client went away: recorded nowhere
};

struct ReplicaInfo {
  std::string id;  // unique across versions, e.g. "r1-7b/0"
  std::string host = "127.0.0.1";
  int port = 0;
};

struct RouteRequest {
  std::string session_key;  // header value or hash of the first messages; may be empty
};

struct RouteDecision {
  std::string version;
  ReplicaInfo replica;
  bool canary = false;    // served by the canary version
  bool fallback = false;  // not the version the split chose
  BreakerTicket ticket;
  uint64_t incarnation = 0;  // the replica's endpoint generation
  TimePoint picked_at{};     // set by wrappers that time requests (gateway runtime)
};

struct ReplicaSnapshot {
  std::string version;
  std::string id;
  bool healthy = false;
  bool ejected = false;
  int outstanding = 0;
};

class Router {
 public:
  virtual ~Router() = default;
  // kResourceExhausted when no version can serve (HTTP 503).
  virtual Result<RouteDecision> pick(const RouteRequest& request) = 0;
  virtual void release(const RouteDecision& decision, RequestOutcome outcome) = 0;
};

// 64-bit FNV-1a followed by a splitmix64 finalizer; stable across builds.
uint64_t stable_hash(std::string_view text);
// Whether a session key lands in the canary's `percent`% (0..100).
bool in_canary_share(std::string_view session_key, int percent);

class DefaultRouter final : public Router {
 public:
  DefaultRouter() = default;

  Status add_version(const std::string& name, PoolRole role, std::unique_ptr<CircuitBreaker> breaker,
                     std::unique_ptr<OutlierDetector> outlier);
  Status add_replica(const std::string& version, const ReplicaInfo& replica);
  Status remove_replica(const std::string& replica_id);
  // The replica was respawned on a new endpoint: not healthy until the
  // health checker says so, outstanding back to 0; releases of picks made
  // before (older incarnation) still feed the breaker but not the counts.
  Status set_endpoint(const std::string& replica_id, const std::string& host, int port);
  // From the health checker; unknown ids are ignored.
  void set_healthy(const std::string& replica_id, bool healthy);
  // Sends `percent` of sessions to `version` instead of the stable one.
  Status set_canary(const std::string& version, int percent);
  void clear_canary();
  // The canary version and its share (empty and 0 when none).
  std::pair<std::string, int> canary() const;

  Result<RouteDecision> pick(const RouteRequest& request) override;
  void release(const RouteDecision& decision, RequestOutcome outcome) override;

  // The stable version becomes `version` (role primary, first in order);
  // the others keep their order. For rollouts (switch) and state restore.
  Status set_stable(const std::string& version);
  // The version the non-canary traffic goes to; empty when none.
  std::string stable() const;
  bool has_version(const std::string& version) const;
  // New breaker and outlier policies for a version (config reload); the old
  // objects are retired, not freed, so pointers from breaker() stay valid.
  Status set_policies(const std::string& version, std::unique_ptr<CircuitBreaker> breaker,
                      std::unique_ptr<OutlierDetector> outlier);

  std::vector<ReplicaSnapshot> snapshot() const;
  // The version's breaker (for metrics and rollout analysis); null if unknown.
  const CircuitBreaker* breaker(const std::string& version) const;

 private:
  struct Replica {
    ReplicaInfo info;
    bool healthy = false;
    int outstanding = 0;
    uint64_t incarnation = 0;
  };
  struct Version {
    std::string name;
    PoolRole role = PoolRole::kPrimary;
    std::unique_ptr<CircuitBreaker> breaker;
    std::unique_ptr<OutlierDetector> outlier;
    std::vector<Replica> replicas;
  };
  Version* find_version(const std::string& name);
  Replica* find_replica(const std::string& id, Version** version);
  std::vector<Version*> version_order(bool canary) ;
  std::vector<Replica*> routable(Version& v) const;
  Replica* choose(std::vector<Replica*>& candidates, const std::string& session_key);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Version>> versions_;
  std::vector<std::unique_ptr<CircuitBreaker>> retired_breakers_;
  std::vector<std::unique_ptr<OutlierDetector>> retired_outliers_;
  std::string canary_;
  int canary_percent_ = 0;
  uint64_t round_robin_ = 0;
  uint64_t next_incarnation_ = 1;
  std::atomic<uint64_t> anonymous_ = 0;
};

// A router with one version per pool (WindowBreaker, ConsecutiveOutlierDetector
// from the config) and no replicas yet.
std::unique_ptr<DefaultRouter> make_router(const GatewayConfig& config, const Clock& clock);

}  // namespace r1::gateway
