// Passive outlier detection per replica within one pool (model version).
//
// A replica with `consecutive_5xx` 5xx answers in a row, or
// `consecutive_connect_failures` connect failures in a row, is ejected for
// base_ejection_time * n (n = its ejection count, capped at
// max_ejection_time), then returns by itself. n decays by one for every
// max_ejection_time the replica spends un-ejected.
//
// Ejection limits (the policy for 1-2 replica pools): an ejection is skipped
// (and counted in skipped_total) when it would (a) leave no un-ejected
// replica in the pool, or (b) eject more than max_ejection_percent of the
// pool, where at least one ejection is always allowed when the pool has >= 2
// replicas. So a single replica is never ejected -- the version's circuit
// breaker handles a wholly failing version -- and of two replicas at most
// one is out. Unlike Envoy there is no panic mode: routing never needs one.
//
// Thread contract: all methods are safe from any thread (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"

namespace r1::gateway {

enum class ReplicaOutcome { kSuccess, kServerError, kConnectFailure };

// The outlier detector's settings (gateway YAML `outlier:`), declared once.
struct OutlierConfig {
  int consecutive_5xx = 5;
  int consecutive_connect_failures = 3;
  Duration base_ejection_time = std::chrono::seconds(30);
  Duration max_ejection_time = std::chrono::seconds(300);
  int max_ejection_percent = 50;
};

struct OutlierCounts {
  int ejected_now = 0;
  int64_t ejections_total = 0;
  int64_t skipped_total = 0;  // ejections refused by the limits above
};

class OutlierDetector {
 public:
  virtual ~OutlierDetector() = default;
  virtual void add_replica(const std::string& id) = 0;
  virtual void remove_replica(const std::string& id) = 0;
  virtual void record(const std::string& id, ReplicaOutcome outcome) = 0;
  virtual bool is_ejected(const std::string& id) const = 0;
  virtual OutlierCounts counts() const = 0;
};

class ConsecutiveOutlierDetector final : public OutlierDetector {
 public:
  ConsecutiveOutlierDetector(const Clock& clock, OutlierConfig options);

  void add_replica(const std::string& id) override;
  void remove_replica(const std::string& id) override;
  void record(const std::string& id, ReplicaOutcome outcome) override;
  bool is_ejected(const std::string& id) const override;
  OutlierCounts counts() const override;

  // When the replica returns; TimePoint{} if not ejected.
  TimePoint ejected_until(const std::string& id) const;

 private:
  struct Replica {
    int consecutive_5xx = 0;
    int consecutive_connect = 0;
    int n_ejections = 0;
    TimePoint ejected_until{};
    TimePoint last_change{};  // un-ejection time, for decay of n_ejections
  };
  bool ejected_at(const Replica& r, TimePoint t) const { return t < r.ejected_until; }
  void decay(Replica& r, TimePoint t) const;
  int ejected_count(TimePoint t) const;
  bool may_eject(TimePoint t) const;
  void eject(Replica& r, TimePoint t);

  const Clock& clock_;
  const OutlierConfig options_;
  mutable std::mutex mu_;
  std::map<std::string, Replica> replicas_;
  int64_t ejections_total_ = 0;
  int64_t skipped_total_ = 0;
};

}  // namespace r1::gateway
