// Value types of the rollout controller (rollout.h): strategy, phase, the
// spec an operator starts a rollout with, per-version analysis statistics and
// the persistent state (what rollout_state.h writes to and reads from disk).
//
// Thread contract: value types; no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace r1::gateway {

enum class RolloutStrategy { kCanary, kBlueGreen, kRolling };

enum class RolloutPhase {
  kIdle,         // no rollout yet (or after a failed state load)
  kStarting,     // canary / blue-green: new version started, waiting ready
  kAnalyzing,    // canary: weight set, collecting outcomes for the window
  kSwitched,     // blue-green: new version is stable, old kept warm
  kReplacing,    // rolling: replacing replica `replica_index`
  kRollingBack,  // rolling: restarting the old replicas already replaced
  kSucceeded,    // terminal: the new version is stable, the old one stopped
  kRolledBack,   // terminal: canary analysis failed, canary stopped
  kFailed,       // terminal: start/ready/smoke/restore failure
  kAborted,      // terminal: operator abort, old version restored
};

// Within kReplacing: the new replica starting, or the old one draining.
enum class RollingStep { kWaitReady, kDraining };

const char* rollout_strategy_name(RolloutStrategy s);  // "canary", "blue-green", "rolling"
const char* rollout_phase_name(RolloutPhase p);         // "idle", "starting", ...
const char* rolling_step_name(RollingStep s);           // "wait-ready", "draining"
std::optional<RolloutStrategy> parse_rollout_strategy(std::string_view name);
std::optional<RolloutPhase> parse_rollout_phase(std::string_view name);
std::optional<RollingStep> parse_rolling_step(std::string_view name);

// kStarting, kAnalyzing, kSwitched, kReplacing, kRollingBack.
bool rollout_active(RolloutPhase p);

struct RolloutSpec {
  std::string stable_version;     // the version serving now, e.g. "r1-7b"
  std::string stable_model_path;  // its GGUF (rolling restore restarts it)
  std::string new_version;        // the new pool's name, e.g. "r1-7b-q8"
  std::string model_path;         // the new version's GGUF
  RolloutStrategy strategy = RolloutStrategy::kCanary;
  int replicas = 1;  // new version's replicas; rolling replaces this many
  int canary_percent = 5;                                   // 1..99
  Duration analysis_window = std::chrono::minutes(30);      // canary window; blue-green bake time
  int min_requests = 100;               // per version in the window, before a decision
  double max_error_rate_delta = 0.01;   // canary - stable error rate (fraction)
  double max_p99_ratio = 1.5;           // canary p99 / stable p99
  Duration ready_timeout = std::chrono::minutes(10);
  Duration drain_timeout = std::chrono::minutes(5);  // rolling: in-flight on an old replica
};

// Outcomes of one version during canary analysis. Latencies are kept up to
// kMaxLatencySamples (then the oldest slot is overwritten, ring order).
struct VersionStats {
  static constexpr size_t kMaxLatencySamples = 10000;
  int64_t requests = 0;
  int64_t errors = 0;
  std::vector<double> latencies_ms;

  void add(bool ok, Duration latency);
  double error_rate() const;  // 0 when no requests
  double p99_ms() const;      // 0 when no samples
};

// Everything the controller needs to resume after a restart. Time points
// are not persisted (steady clock); elapsed times are.
struct RolloutState {
  RolloutPhase phase = RolloutPhase::kIdle;
  RolloutSpec spec;
  std::string message;  // why the last transition happened
  Duration phase_elapsed{0};
  // rolling
  int replica_index = 0;  // the replica being replaced
  RollingStep step = RollingStep::kWaitReady;
  Duration step_elapsed{0};
  int replaced = 0;                 // replicas fully replaced (old stopped)
  std::vector<int> restore_pending; // kRollingBack: old replicas not ready yet
  RolloutPhase restore_final = RolloutPhase::kAborted;
  // canary
  VersionStats stable_stats;
  VersionStats canary_stats;
  bool waiting_reported = false;  // "insufficient volume" logged once
};

// "<version>/<index>": the replica ids the supervisor and router use.
std::string rollout_replica_id(const std::string& version, int index);

}  // namespace r1::gateway
