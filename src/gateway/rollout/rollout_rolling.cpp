// RolloutController: the rolling strategy (replica by replica) and its
// restore path. See rollout.h.
#include <algorithm>
#include <utility>

#include "gateway/config/config.h"
#include "gateway/rollout/rollout.h"

namespace r1::gateway {

void RolloutController::begin_replica(int index) {
  const RolloutSpec& spec = s_.spec;
  s_.replica_index = index;
  s_.step = RollingStep::kWaitReady;
  step_since_ = clock_.now();
  const std::string id = rollout_replica_id(spec.new_version, index);
  Status st = actions_.start_replica(spec.new_version, spec.model_path, index);
  if (!st.ok()) {
    begin_restore(RolloutPhase::kFailed, "cannot start " + id + ": " + st.error().message);
    return;
  }
  event("started " + id + ", waiting ready");
  autosave();
}

void RolloutController::tick_replacing() {
  const RolloutSpec& spec = s_.spec;
  const int i = s_.replica_index;
  const std::string new_id = rollout_replica_id(spec.new_version, i);
  const std::string old_id = rollout_replica_id(spec.stable_version, i);
  if (s_.step == RollingStep::kWaitReady) {
    if (actions_.replica_ready(new_id)) {
      actions_.set_replica_routable(new_id, true);
      actions_.set_replica_routable(old_id, false);
      s_.step = RollingStep::kDraining;
      step_since_ = clock_.now();
      event(new_id + " ready and routed; draining " + old_id);
      autosave();
    } else if (const std::string why = actions_.replica_failure(new_id); !why.empty()) {
      begin_restore(RolloutPhase::kFailed, new_id + " failed to start: " + why);
    } else if (step_elapsed() >= spec.ready_timeout) {
      begin_restore(RolloutPhase::kFailed,
                    new_id + " not ready after " + format_duration(spec.ready_timeout));
    }
    return;
  }
  const bool drained = actions_.in_flight(old_id) == 0;
  if (!drained && step_elapsed() < spec.drain_timeout) return;
  actions_.stop_replica(old_id);
  s_.replaced = i + 1;
  event((drained ? "drained and stopped " : "drain timeout; stopped ") + old_id);
  if (s_.replaced == spec.replicas) {
    actions_.switch_stable(spec.new_version);
    enter(RolloutPhase::kSucceeded, "all " + std::to_string(spec.replicas) + " replicas replaced; " +
                                        spec.new_version + " is stable");
    return;
  }
  begin_replica(i + 1);
}

// Undoes the replica in progress at once, restarts the old replicas already
// stopped; kRollingBack until they are ready (then `final_phase`).
void RolloutController::begin_restore(RolloutPhase final_phase, std::string message) {
  const RolloutSpec& spec = s_.spec;
  const int i = s_.replica_index;
  const std::string new_id = rollout_replica_id(spec.new_version, i);
  if (s_.step == RollingStep::kDraining) {
    actions_.set_replica_routable(rollout_replica_id(spec.stable_version, i), true);
    actions_.set_replica_routable(new_id, false);
  }
  actions_.stop_replica(new_id);
  s_.restore_pending.clear();
  for (int j = 0; j < s_.replaced; ++j) {
    Status st = actions_.start_replica(spec.stable_version, spec.stable_model_path, j);
    if (!st.ok()) {
      event("cannot restart " + rollout_replica_id(spec.stable_version, j) + ": " + st.error().message);
      continue;  // its new counterpart keeps serving
    }
    s_.restore_pending.push_back(j);
  }
  if (s_.restore_pending.empty()) {
    enter(final_phase, std::move(message));
    return;
  }
  s_.restore_final = final_phase;
  step_since_ = clock_.now();
  enter(RolloutPhase::kRollingBack, std::move(message) + "; restarting " +
                                        std::to_string(s_.restore_pending.size()) + " replicas of " +
                                        spec.stable_version);
}

void RolloutController::tick_rolling_back() {
  const RolloutSpec& spec = s_.spec;
  std::vector<int> still;
  for (int j : s_.restore_pending) {
    const std::string old_id = rollout_replica_id(spec.stable_version, j);
    if (!actions_.replica_ready(old_id)) {
      still.push_back(j);
      continue;
    }
    const std::string new_id = rollout_replica_id(spec.new_version, j);
    actions_.set_replica_routable(old_id, true);
    actions_.set_replica_routable(new_id, false);
    actions_.stop_replica(new_id);
    event(old_id + " restored; stopped " + new_id);
  }
  s_.restore_pending = std::move(still);
  if (s_.restore_pending.empty()) {
    std::string why = s_.message;
    enter(s_.restore_final, why + "; restore complete");
    return;
  }
  if (step_elapsed() >= spec.ready_timeout) {
    std::string ids;
    for (int j : s_.restore_pending) ids += (ids.empty() ? "" : ", ") + rollout_replica_id(spec.stable_version, j);
    s_.restore_pending.clear();
    enter(RolloutPhase::kFailed, "restore incomplete: " + ids + " not ready after " +
                                     format_duration(spec.ready_timeout) + "; their " + spec.new_version +
                                     " replacements keep serving");
  }
}

}  // namespace r1::gateway
