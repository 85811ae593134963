#include "gateway/config/replica_id.h"
#include "gateway/rollout/rollout_types.h"

#include <algorithm>
#include <cmath>

namespace r1::gateway {
namespace {

template <typename E, size_t N>
std::optional<E> parse_name(std::string_view name, const E (&all)[N], const char* (*to_name)(E)) {
  for (E e : all) {
    if (name == to_name(e)) return e;
  }
  return std::nullopt;
}

constexpr RolloutStrategy kStrategies[] = {RolloutStrategy::kCanary, RolloutStrategy::kBlueGreen,
                                           RolloutStrategy::kRolling};
constexpr RolloutPhase kPhases[] = {RolloutPhase::kIdle,        RolloutPhase::kStarting,  RolloutPhase::kAnalyzing,
                                    RolloutPhase::kSwitched,    RolloutPhase::kReplacing, RolloutPhase::kRollingBack,
                                    RolloutPhase::kSucceeded,   RolloutPhase::kRolledBack, RolloutPhase::kFailed,
                                    RolloutPhase::kAborted};
constexpr RollingStep kSteps[] = {RollingStep::kWaitReady, RollingStep::kDraining};

}  // namespace

const char* rollout_strategy_name(RolloutStrategy s) {
  switch (s) {
    case RolloutStrategy::kCanary: return "canary";
    case RolloutStrategy::kBlueGreen: return "blue-green";
    case RolloutStrategy::kRolling: return "rolling";
  }
  return "?";
}

const char* rollout_phase_name(RolloutPhase p) {
  switch (p) {
    case RolloutPhase::kIdle: return "idle";
    case RolloutPhase::kStarting: return "starting";
    case RolloutPhase::kAnalyzing: return "analyzing";
    case RolloutPhase::kSwitched: return "switched";
    case RolloutPhase::kReplacing: return "replacing";
    case RolloutPhase::kRollingBack: return "rolling-back";
    case RolloutPhase::kSucceeded: return "succeeded";
    case RolloutPhase::kRolledBack: return "rolled-back";
    case RolloutPhase::kFailed: return "failed";
    case RolloutPhase::kAborted: return "aborted";
  }
  return "?";
}

const char* rolling_step_name(RollingStep s) {
  return s == RollingStep::kWaitReady ? "wait-ready" : "draining";
}

std::optional<RolloutStrategy> parse_rollout_strategy(std::string_view name) {
  return parse_name(name, kStrategies, rollout_strategy_name);
}
std::optional<RolloutPhase> parse_rollout_phase(std::string_view name) {
  return parse_name(name, kPhases, rollout_phase_name);
}
std::optional<RollingStep> parse_rolling_step(std::string_view name) {
  return parse_name(name, kSteps, rolling_step_name);
}

bool rollout_active(RolloutPhase p) {
  switch (p) {
    case RolloutPhase::kStarting:
    case RolloutPhase::kAnalyzing:
    case RolloutPhase::kSwitched:
    case RolloutPhase::kReplacing:
    case RolloutPhase::kRollingBack: return true;
    default: return false;
  }
}

void VersionStats::add(bool ok, Duration latency) {
  const double ms = static_cast<double>(latency.count());
  if (latencies_ms.size() < kMaxLatencySamples) {
    latencies_ms.push_back(ms);
  } else {
    latencies_ms[static_cast<size_t>(requests) % kMaxLatencySamples] = ms;
  }
  ++requests;
  if (!ok) ++errors;
}

double VersionStats::error_rate() const {
  return requests == 0 ? 0.0 : static_cast<double>(errors) / static_cast<double>(requests);
}

double VersionStats::p99_ms() const {
  if (latencies_ms.empty()) return 0.0;
  std::vector<double> v = latencies_ms;
  // Nearest rank: the smallest value with at least 99% of samples <= it.
  size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(v.size())));
  size_t k = std::max<size_t>(rank, 1) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::string rollout_replica_id(const std::string& version, int index) {
  return ReplicaId{version, index}.to_string();
}

}  // namespace r1::gateway
