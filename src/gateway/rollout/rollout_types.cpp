#include "gateway/config/replica_id.h"
#include "gateway/rollout/rollout_types.h"

#include <algorithm>
#include <cmath>

#include "core/enum_names.h"

namespace r1::gateway {
namespace {

constexpr EnumName<RolloutStrategy> kStrategies[] = {
    {RolloutStrategy::kCanary, "canary"}, {RolloutStrategy::kBlueGreen, "blue-green"},
    {RolloutStrategy::kRolling, "rolling"}};
constexpr EnumName<RolloutPhase> kPhases[] = {
    {RolloutPhase::kIdle, "idle"},           {RolloutPhase::kStarting, "starting"},
    {RolloutPhase::kAnalyzing, "analyzing"}, {RolloutPhase::kSwitched, "switched"},
    {RolloutPhase::kReplacing, "replacing"}, {RolloutPhase::kRollingBack, "rolling-back"},
    {RolloutPhase::kSucceeded, "succeeded"}, {RolloutPhase::kRolledBack, "rolled-back"},
    {RolloutPhase::kFailed, "failed"},       {RolloutPhase::kAborted, "aborted"}};
constexpr EnumName<RollingStep> kSteps[] = {{RollingStep::kWaitReady, "wait-ready"},
                                            {RollingStep::kDraining, "draining"}};

}  // namespace

const char* rollout_strategy_name(RolloutStrategy s) { return enum_name(kStrategies, s); }
const char* rollout_phase_name(RolloutPhase p) { return enum_name(kPhases, p); }
const char* rolling_step_name(RollingStep s) { return enum_name(kSteps, s); }

std::optional<RolloutStrategy> parse_rollout_strategy(std::string_view name) {
  return enum_from_name(kStrategies, name);
}
std::optional<RolloutPhase> parse_rollout_phase(std::string_view name) { return enum_from_name(kPhases, name); }
std::optional<RollingStep> parse_rolling_step(std::string_view name) { return enum_from_name(kSteps, name); }

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
