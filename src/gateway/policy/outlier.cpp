#include "gateway/policy/outlier.h"

#include <algorithm>

#include "core/check.h"

namespace r1::gateway {

ConsecutiveOutlierDetector::ConsecutiveOutlierDetector(const Clock& clock, OutlierConfig options)
    : clock_(clock), options_(options) {
  CHECK(options_.consecutive_5xx >= 1);
  CHECK(options_.consecutive_connect_failures >= 1);
  CHECK(options_.base_ejection_time.count() > 0);
  CHECK(options_.max_ejection_time >= options_.base_ejection_time);
}

void ConsecutiveOutlierDetector::add_replica(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  replicas_.emplace(id, Replica{});
}

void ConsecutiveOutlierDetector::remove_replica(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  replicas_.erase(id);
}

void ConsecutiveOutlierDetector::decay(Replica& r, TimePoint t) const {
  if (r.n_ejections == 0 || ejected_at(r, t)) return;
  const TimePoint since = std::max(r.last_change, r.ejected_until);
  const int64_t steps = (t - since) / options_.max_ejection_time;
  if (steps <= 0) return;
  r.n_ejections = static_cast<int>(std::max<int64_t>(0, r.n_ejections - steps));
  r.last_change = since + steps * options_.max_ejection_time;
}

int ConsecutiveOutlierDetector::ejected_count(TimePoint t) const {
  int n = 0;
  for (const auto& [id, r] : replicas_) n += ejected_at(r, t) ? 1 : 0;
  return n;
}

bool ConsecutiveOutlierDetector::may_eject(TimePoint t) const {
  const int total = static_cast<int>(replicas_.size());
  const int after = ejected_count(t) + 1;
  if (after >= total) return false;  // never the last un-ejected replica
  const int limit = std::max(1, total * options_.max_ejection_percent / 100);
  return after <= limit;
}

void ConsecutiveOutlierDetector::eject(Replica& r, TimePoint t) {
  r.consecutive_5xx = 0;
  r.consecutive_connect = 0;
  if (!may_eject(t)) {
    ++skipped_total_;
    return;
  }
  ++r.n_ejections;
  const Duration d = std::min(options_.base_ejection_time * r.n_ejections, options_.max_ejection_time);
  r.ejected_until = t + d;
  r.last_change = r.ejected_until;
  ++ejections_total_;
}

void ConsecutiveOutlierDetector::record(const std::string& id, ReplicaOutcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(id);
  if (it == replicas_.end()) return;  // removed while a request was in flight
  Replica& r = it->second;
  const TimePoint t = clock_.now();
  decay(r, t);
  if (ejected_at(r, t)) return;  // late answers from before the ejection
  switch (outcome) {
    case ReplicaOutcome::kSuccess:
      r.consecutive_5xx = 0;
      r.consecutive_connect = 0;
      return;
    case ReplicaOutcome::kServerError:
      if (++r.consecutive_5xx >= options_.consecutive_5xx) eject(r, t);
      return;
    case ReplicaOutcome::kConnectFailure:
      if (++r.consecutive_connect >= options_.consecutive_connect_failures) eject(r, t);
      return;
  }
}

bool ConsecutiveOutlierDetector::is_ejected(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(id);
  return it != replicas_.end() && ejected_at(it->second, clock_.now());
}

TimePoint ConsecutiveOutlierDetector::ejected_until(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(id);
  if (it == replicas_.end() || !ejected_at(it->second, clock_.now())) return TimePoint{};
  return it->second.ejected_until;
}

OutlierCounts ConsecutiveOutlierDetector::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return OutlierCounts{ejected_count(clock_.now()), ejections_total_, skipped_total_};
}

}  // namespace r1::gateway
