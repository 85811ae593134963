#include "gateway/rollout/rollout.h"

#include <algorithm>
#include <utility>

#include "core/log.h"
#include "gateway/config/config.h"
#include "gateway/rollout/rollout_state.h"

namespace r1::gateway {
namespace {

Error invalid(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

struct Verdict {
  enum Kind { kWait, kPass, kFail } kind = kWait;
  std::string reason;
};

// The canary analysis, once the window has passed.
Verdict analyze(const RolloutSpec& spec, const VersionStats& stable, const VersionStats& canary) {
  if (stable.requests < spec.min_requests || canary.requests < spec.min_requests) {
    return {Verdict::kWait, "insufficient volume: stable " + std::to_string(stable.requests) + ", canary " +
                                std::to_string(canary.requests) + " requests (need " +
                                std::to_string(spec.min_requests) + " each)"};
  }
  const double delta = canary.error_rate() - stable.error_rate();
  const double ratio = canary.p99_ms() / std::max(stable.p99_ms(), 1.0);
  const std::string numbers = "error rate " + std::to_string(canary.error_rate()) + " vs " +
                              std::to_string(stable.error_rate()) + ", p99 " + std::to_string(canary.p99_ms()) +
                              "ms vs " + std::to_string(stable.p99_ms()) + "ms";
  if (delta > spec.max_error_rate_delta) return {Verdict::kFail, "canary error rate too high: " + numbers};
  if (ratio > spec.max_p99_ratio) return {Verdict::kFail, "canary p99 too high: " + numbers};
  return {Verdict::kPass, "canary analysis passed: " + numbers};
}

}  // namespace

Status validate_rollout_spec(const RolloutSpec& spec) {
  if (spec.stable_version.empty()) return invalid("rollout: stable_version is empty");
  if (spec.new_version.empty()) return invalid("rollout: new_version is empty");
  if (spec.new_version == spec.stable_version) return invalid("rollout: new_version equals stable_version");
  if (spec.model_path.empty()) return invalid("rollout: model_path is empty");
  if (spec.replicas < 1) return invalid("rollout: replicas must be >= 1");
  if (spec.canary_percent < 1 || spec.canary_percent > 99) return invalid("rollout: canary_percent must be 1..99");
  if (spec.analysis_window <= Duration(0)) return invalid("rollout: analysis_window must be > 0");
  if (spec.ready_timeout <= Duration(0)) return invalid("rollout: ready_timeout must be > 0");
  if (spec.min_requests < 0) return invalid("rollout: min_requests must be >= 0");
  if (spec.max_error_rate_delta < 0) return invalid("rollout: max_error_rate_delta must be >= 0");
  if (spec.max_p99_ratio <= 0) return invalid("rollout: max_p99_ratio must be > 0");
  return {};
}

RolloutController::RolloutController(const Clock& clock, RolloutActions& actions, std::string state_path)
    : clock_(clock), actions_(actions), state_path_(std::move(state_path)),
      phase_since_(clock.now()), step_since_(clock.now()) {}

void RolloutController::event(std::string message) {
  events_.push_back({clock_.now(), s_.phase, message});
  while (events_.size() > kMaxEvents) events_.pop_front();
  log::info("rollout {} -> {} [{}]: {}", s_.spec.new_version, rollout_phase_name(s_.phase),
            rollout_strategy_name(s_.spec.strategy), message);
}

void RolloutController::enter(RolloutPhase phase, std::string message) {
  s_.phase = phase;
  s_.message = message;
  phase_since_ = clock_.now();
  event(std::move(message));
  autosave();
}

void RolloutController::autosave() {
  if (state_path_.empty()) return;
  RolloutState copy = s_;
  copy.phase_elapsed = phase_elapsed();
  copy.step_elapsed = step_elapsed();
  Status st = write_rollout_state(state_path_, copy);
  if (!st.ok()) log::warn("rollout: cannot save state: {}", st.error().to_string());
}

Duration RolloutController::phase_elapsed() const {
  return std::chrono::duration_cast<Duration>(clock_.now() - phase_since_);
}
Duration RolloutController::step_elapsed() const {
  return std::chrono::duration_cast<Duration>(clock_.now() - step_since_);
}

Status RolloutController::start(const RolloutSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rollout_active(s_.phase)) {
    return invalid("rollout: " + s_.spec.new_version + " already in progress (" + rollout_phase_name(s_.phase) + ")");
  }
  R1_RETURN_IF_ERROR(validate_rollout_spec(spec));
  s_ = RolloutState{};
  s_.spec = spec;
  if (spec.strategy == RolloutStrategy::kRolling) {
    enter(RolloutPhase::kReplacing, "replacing " + std::to_string(spec.replicas) + " replicas of " +
                                        spec.stable_version + " with " + spec.new_version);
    begin_replica(0);
    return {};
  }
  Status st = actions_.start_version(spec.new_version, spec.model_path, spec.replicas);
  if (!st.ok()) {
    enter(RolloutPhase::kFailed, "cannot start " + spec.new_version + ": " + st.error().message +
                                     "; " + spec.stable_version + " still serving");
    return st;
  }
  enter(RolloutPhase::kStarting, "started " + spec.new_version + " (" + spec.model_path + "), waiting ready");
  return {};
}

void RolloutController::tick() {
  std::lock_guard<std::mutex> lock(mu_);
  switch (s_.phase) {
    case RolloutPhase::kStarting: tick_starting(); break;
    case RolloutPhase::kAnalyzing: tick_analyzing(); break;
    case RolloutPhase::kSwitched: tick_switched(); break;
    case RolloutPhase::kReplacing: tick_replacing(); break;
    case RolloutPhase::kRollingBack: tick_rolling_back(); break;
    default: break;
  }
}

void RolloutController::tick_starting() {
  const RolloutSpec& spec = s_.spec;
  if (actions_.version_ready(spec.new_version)) {
    if (spec.strategy == RolloutStrategy::kCanary) {
      s_.stable_stats = {};
      s_.canary_stats = {};
      actions_.set_canary_weight(spec.new_version, spec.canary_percent);
      enter(RolloutPhase::kAnalyzing, spec.new_version + " ready; canary at " +
                                          std::to_string(spec.canary_percent) + "% for " +
                                          format_duration(spec.analysis_window));
      return;
    }
    Status smoke = actions_.smoke_test(spec.new_version);
    if (!smoke.ok()) {
      actions_.drain_and_stop(spec.new_version);
      enter(RolloutPhase::kFailed, "smoke test of " + spec.new_version + " failed: " + smoke.error().message +
                                       "; " + spec.stable_version + " still serving");
      return;
    }
    actions_.switch_stable(spec.new_version);
    enter(RolloutPhase::kSwitched, "switched to " + spec.new_version + "; " + spec.stable_version +
                                       " kept warm for rollback");
    return;
  }
  if (const std::string why = actions_.version_failure(spec.new_version); !why.empty()) {
    actions_.drain_and_stop(spec.new_version);
    enter(RolloutPhase::kFailed, spec.new_version + " failed to start: " + why + "; stopped it, " +
                                     spec.stable_version + " still serving");
    return;
  }
  if (phase_elapsed() >= spec.ready_timeout) {
    actions_.drain_and_stop(spec.new_version);
    enter(RolloutPhase::kFailed, spec.new_version + " not ready after " + format_duration(spec.ready_timeout) +
                                     "; stopped it, " + spec.stable_version + " still serving");
  }
}

void RolloutController::tick_analyzing() {
  if (phase_elapsed() < s_.spec.analysis_window) return;
  Verdict v = analyze(s_.spec, s_.stable_stats, s_.canary_stats);
  if (v.kind == Verdict::kWait) {
    if (!s_.waiting_reported) {
      s_.waiting_reported = true;
      event("no decision yet: " + v.reason);
    }
    return;
  }
  finish_canary(v.kind == Verdict::kPass, v.reason);
}

void RolloutController::finish_canary(bool pass, const std::string& reason) {
  const RolloutSpec& spec = s_.spec;
  if (pass) {
    actions_.set_canary_weight(spec.new_version, 100);
    actions_.switch_stable(spec.new_version);
    actions_.drain_and_stop(spec.stable_version);
    enter(RolloutPhase::kSucceeded, reason + "; " + spec.new_version + " promoted, " + spec.stable_version +
                                        " drained");
  } else {
    actions_.set_canary_weight(spec.new_version, 0);
    actions_.drain_and_stop(spec.new_version);
    enter(RolloutPhase::kRolledBack, reason + "; rolled back to " + spec.stable_version);
  }
}

void RolloutController::tick_switched() {
  if (phase_elapsed() < s_.spec.analysis_window) return;
  actions_.drain_and_stop(s_.spec.stable_version);
  enter(RolloutPhase::kSucceeded, "bake time over; stopped " + s_.spec.stable_version);
}

void RolloutController::record(const std::string& version, bool ok, Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  if (s_.phase != RolloutPhase::kAnalyzing) return;
  if (version == s_.spec.stable_version) s_.stable_stats.add(ok, latency);
  else if (version == s_.spec.new_version) s_.canary_stats.add(ok, latency);
}

Status RolloutController::promote() {
  std::lock_guard<std::mutex> lock(mu_);
  if (s_.phase == RolloutPhase::kAnalyzing) {
    finish_canary(true, "promoted by operator");
    return {};
  }
  if (s_.phase == RolloutPhase::kSwitched) {
    actions_.drain_and_stop(s_.spec.stable_version);
    enter(RolloutPhase::kSucceeded, "promoted by operator; stopped " + s_.spec.stable_version);
    return {};
  }
  return invalid(std::string("rollout: cannot promote in phase ") + rollout_phase_name(s_.phase));
}

Status RolloutController::abort() {
  std::lock_guard<std::mutex> lock(mu_);
  const RolloutSpec& spec = s_.spec;
  switch (s_.phase) {
    case RolloutPhase::kStarting:
      actions_.drain_and_stop(spec.new_version);
      break;
    case RolloutPhase::kAnalyzing:
      actions_.set_canary_weight(spec.new_version, 0);
      actions_.drain_and_stop(spec.new_version);
      break;
    case RolloutPhase::kSwitched:
      actions_.switch_stable(spec.stable_version);
      actions_.drain_and_stop(spec.new_version);
      break;
    case RolloutPhase::kReplacing:
      begin_restore(RolloutPhase::kAborted, "aborted by operator; " + spec.stable_version + " restored");
      return {};
    default:
      return invalid(std::string("rollout: nothing to abort in phase ") + rollout_phase_name(s_.phase));
  }
  enter(RolloutPhase::kAborted, "aborted by operator; " + spec.stable_version + " serving");
  return {};
}

RolloutStatus RolloutController::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  RolloutStatus out;
  out.state = s_;
  out.state.phase_elapsed = phase_elapsed();
  out.state.step_elapsed = step_elapsed();
  out.events.assign(events_.begin(), events_.end());
  return out;
}

Status RolloutController::save_state(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  RolloutState copy = s_;
  copy.phase_elapsed = phase_elapsed();
  copy.step_elapsed = step_elapsed();
  return write_rollout_state(path, copy);
}

Status RolloutController::load_state(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rollout_active(s_.phase)) return invalid("rollout: cannot load " + path + " during a rollout");
  Result<RolloutState> loaded = read_rollout_state(path);
  if (!loaded.ok()) {
    s_ = RolloutState{};
    log::error("rollout: {}; starting idle", loaded.error().to_string());
    return loaded.error();
  }
  s_ = std::move(loaded).value();
  const TimePoint now = clock_.now();
  phase_since_ = now - s_.phase_elapsed;
  step_since_ = now - s_.step_elapsed;
  reapply_routing();
  event("resumed from " + path);
  return {};
}

void RolloutController::reapply_routing() {
  if (s_.phase == RolloutPhase::kAnalyzing) actions_.set_canary_weight(s_.spec.new_version, s_.spec.canary_percent);
  if (s_.phase == RolloutPhase::kSwitched) actions_.switch_stable(s_.spec.new_version);
}

}  // namespace r1::gateway
