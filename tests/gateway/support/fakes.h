// Fakes for each gateway interface, for tests of the parts that use them
// (the router, the future proxy, the gateway wiring).
//
// Thread contract: every fake guards its state with a mutex, so tests may
// drive them from several threads.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/policy/breaker.h"
#include "gateway/policy/health.h"
#include "gateway/policy/http_probe.h"
#include "gateway/policy/outlier.h"
#include "gateway/policy/router.h"
#include "gateway/supervisor/supervisor.h"

namespace r1::gateway {

// A breaker whose state the test sets; records what it was told.
class FakeBreaker final : public CircuitBreaker {
 public:
  void set_state(BreakerState state);
  BreakerTicket try_acquire() override;
  void record(const BreakerTicket& ticket, Outcome outcome) override;
  BreakerState state() const override;
  BreakerCounts counts() const override;
  std::vector<Outcome> recorded() const;

 private:
  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::kClosed;
  std::vector<Outcome> recorded_;
  int64_t rejected_ = 0;
};

class FakeOutlierDetector final : public OutlierDetector {
 public:
  void set_ejected(const std::string& id, bool ejected);
  void add_replica(const std::string& id) override;
  void remove_replica(const std::string& id) override;
  void record(const std::string& id, ReplicaOutcome outcome) override;
  bool is_ejected(const std::string& id) const override;
  OutlierCounts counts() const override;
  std::vector<std::pair<std::string, ReplicaOutcome>> recorded() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, bool> ejected_;
  std::vector<std::pair<std::string, ReplicaOutcome>> recorded_;
};

// Answers probes from a per-target script; the last answer repeats. With no
// script a target is refused ("connect: Connection refused").
class FakeProber final : public Prober {
 public:
  void push(const std::string& id, ProbeResult result);
  void set(const std::string& id, ProbeResult result);  // clears the script
  ProbeResult probe(const HealthTarget& target, Duration timeout) override;
  int probes(const std::string& id) const;

  static ProbeResult http(int status) { return ProbeResult{true, status, ""}; }
  static ProbeResult refused() { return ProbeResult{false, 0, "connect: Connection refused"}; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::deque<ProbeResult>> script_;
  std::map<std::string, int> probes_;
};

// States set by the test; set_state() fires on_transition like the real one.
class FakeHealthChecker final : public HealthChecker {
 public:
  void add_target(const HealthTarget& target) override;
  void remove_target(const std::string& id) override;
  HealthState state(const std::string& id) const override;
  void set_callbacks(HealthCallbacks callbacks) override;
  void set_state(const std::string& id, HealthState state);
  void fire_liveness_failure(const std::string& id);
  std::vector<HealthTarget> targets() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, HealthTarget> targets_;
  std::map<std::string, HealthState> states_;
  HealthCallbacks callbacks_;
};

// Records calls; ports are handed out from 20000 up; fire() emits an event.
class FakeSupervisor final : public Supervisor {
 public:
  Status add(const WorkerSpec& spec) override;
  Status remove(const std::string& name) override;
  void report_ready(const std::string& name) override;
  void report_unresponsive(const std::string& name) override;
  std::optional<WorkerStatus> status(const std::string& name) const override;
  std::vector<WorkerStatus> statuses() const override;
  void stop_all() override;
  void set_event_callback(std::function<void(const WorkerEvent&)> callback) override;
  void fire(const WorkerEvent& event);
  std::vector<std::string> unresponsive_reports() const;
  bool stopped() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, WorkerStatus> workers_;
  std::vector<std::string> unresponsive_;
  CallbackSlot<const WorkerEvent&> callback_;
  int next_port_ = 20000;
  bool stopped_ = false;
};

// Always routes to one fixed replica (or fails when set_unavailable()).
class FakeRouter final : public Router {
 public:
  explicit FakeRouter(RouteDecision decision) : decision_(std::move(decision)) {}
  void set_unavailable(bool unavailable);
  Result<RouteDecision> pick(const RouteRequest& request) override;
  void release(const RouteDecision& decision, RequestOutcome outcome) override;
  std::vector<RequestOutcome> released() const;

 private:
  mutable std::mutex mu_;
  RouteDecision decision_;
  bool unavailable_ = false;
  std::vector<RequestOutcome> released_;
};

}  // namespace r1::gateway
