// Rollout controller: replaces the serving model version with a new one by
// one of three strategies, as pure logic driven by tick() (once a second
// from the gateway) and an injected Clock. What it does to the world goes
// through RolloutActions, which the wiring implements over the supervisor
// and router (and FakeRolloutActions in tests).
//
// Canary: start_version(new) -> wait version_ready (ready_timeout: kFailed,
//   stable untouched) -> set_canary_weight(new, canary_percent) -> collect
//   record(version, ok, latency) for analysis_window -> both versions need
//   min_requests (else wait, no decision) -> pass when canary error rate -
//   stable error rate <= max_error_rate_delta and canary p99 / stable p99 <=
//   max_p99_ratio: weight 100, switch_stable(new), drain_and_stop(old),
//   kSucceeded; fail: weight 0, drain_and_stop(new), kRolledBack.
// Blue-green: start_version(new) -> wait ready -> smoke_test(new) (failure:
//   stop new, kFailed) -> switch_stable(new) (atomic) -> kSwitched with the
//   old version kept warm for analysis_window (or until promote()) ->
//   drain_and_stop(old), kSucceeded. abort() in kSwitched switches back.
// Rolling: for i in 0..replicas-1: start_replica(new, i) -> wait ready ->
//   route new/i, unroute old/i -> wait in_flight(old/i) == 0 (or
//   drain_timeout) -> stop_replica(old/i). After the last: switch_stable(new),
//   kSucceeded. abort() (or a replica failure) restores: the replica in
//   progress is undone, the old replicas already stopped are restarted
//   (kRollingBack) and, once ready, routed again while their new
//   counterparts are stopped; then kAborted (or kFailed).
//
// Every transition is an event (status().events, the last kMaxEvents) and a
// log line; with a state path every transition is also saved (atomically).
//
// Thread contract: all methods are safe from any thread (one mutex). Actions
// are called with that mutex held, so they must not call back into the
// controller.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/clock.h"
#include "gateway/rollout/rollout_types.h"

namespace r1::gateway {

class RolloutActions {
 public:
  virtual ~RolloutActions() = default;
  // Version level (canary, blue-green): spawn `replicas` workers of `model`
  // as pool `version` (not routed yet until weight/switch).
  virtual Status start_version(const std::string& version, const std::string& model, int replicas) = 0;
  virtual bool version_ready(const std::string& version) = 0;  // every replica ready
  virtual Status smoke_test(const std::string& version) = 0;   // one real request
  virtual void set_canary_weight(const std::string& version, int percent) = 0;  // 0 clears
  virtual void switch_stable(const std::string& version) = 0;  // all traffic, atomically
  virtual void drain_and_stop(const std::string& version) = 0;  // unroute, let in-flight finish, stop
  // Replica level (rolling); ids are rollout_replica_id(version, index).
  virtual Status start_replica(const std::string& version, const std::string& model, int index) = 0;
  virtual bool replica_ready(const std::string& replica_id) = 0;
  virtual void set_replica_routable(const std::string& replica_id, bool routable) = 0;
  virtual int in_flight(const std::string& replica_id) = 0;
  virtual void stop_replica(const std::string& replica_id) = 0;  // graceful
  // Why the version's (or replica's) workers cannot come up (say, a crash
  // loop on a corrupt model file); empty while there is still hope. The
  // rollout fails at once on a non-empty answer instead of waiting out
  // ready_timeout.
  virtual std::string version_failure(const std::string& /*version*/) { return {}; }
  virtual std::string replica_failure(const std::string& /*replica_id*/) { return {}; }
};

struct RolloutEvent {
  TimePoint at;
  RolloutPhase phase;
  std::string message;
};

struct RolloutStatus {
  RolloutState state;  // phase, spec, message, rolling progress, stats
  std::vector<RolloutEvent> events;
};

class RolloutController {
 public:
  static constexpr size_t kMaxEvents = 100;

  // `state_path` empty: no automatic saving.
  RolloutController(const Clock& clock, RolloutActions& actions, std::string state_path = {});

  // kInvalidArgument for a bad spec or a rollout in progress; a start
  // failure of the new version is returned and leaves kFailed.
  Status start(const RolloutSpec& spec);
  void tick();
  // Per-request outcome (from the proxy); counted only while analyzing.
  void record(const std::string& version, bool ok, Duration latency);
  // Canary: decide now as a pass. Blue-green: finish (stop the old version).
  Status promote();
  // Back to the old version from any active phase.
  Status abort();
  RolloutStatus status() const;

  Status save_state(const std::string& path) const;
  // Only while idle or terminal. A missing, corrupt or truncated file is an
  // error naming it, and the controller is left idle. On success the
  // routing of the phase is re-applied (canary weight, switched stable).
  Status load_state(const std::string& path);

 private:
  void enter(RolloutPhase phase, std::string message);
  void event(std::string message);
  void autosave();
  Duration phase_elapsed() const;
  Duration step_elapsed() const;
  void tick_starting();
  void tick_analyzing();
  void tick_switched();
  void tick_replacing();
  void tick_rolling_back();
  void finish_canary(bool pass, const std::string& reason);
  void begin_replica(int index);
  void begin_restore(RolloutPhase final_phase, std::string message);
  void reapply_routing();

  const Clock& clock_;
  RolloutActions& actions_;
  std::string state_path_;
  mutable std::mutex mu_;
  RolloutState s_;
  TimePoint phase_since_;
  TimePoint step_since_;
  std::deque<RolloutEvent> events_;
};

// Checks a spec: names, model, ranges. Errors name the field.
Status validate_rollout_spec(const RolloutSpec& spec);

}  // namespace r1::gateway
