#include "gateway/policy/health.h"

#include <algorithm>
#include <vector>

#include "core/enum_names.h"
#include "core/check.h"

namespace r1::gateway {

constexpr EnumName<HealthState> kHealthStates[] = {
    {HealthState::kUnknown, "unknown"}, {HealthState::kHealthy, "healthy"}, {HealthState::kUnhealthy, "unhealthy"}};

const char* health_state_name(HealthState state) { return enum_name(kHealthStates, state); }

namespace {
// The startup probe never runs slower than the steady one.
HealthConfig effective(HealthConfig c) {
  c.startup_interval = std::min(c.startup_interval, c.interval);
  return c;
}
}  // namespace

ActiveHealthChecker::ActiveHealthChecker(const Clock& clock, Prober& prober, HealthConfig options)
    : clock_(clock), prober_(prober), options_(effective(options)) {
  CHECK(options_.interval.count() > 0 && options_.startup_interval.count() > 0);
  CHECK(options_.healthy_threshold >= 1 && options_.unhealthy_threshold >= 1);
  CHECK(options_.liveness_restart_after >= 1);
}

ActiveHealthChecker::~ActiveHealthChecker() { stop(); }

void ActiveHealthChecker::add_target(const HealthTarget& target) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry e;
    e.target = target;
    e.generation = next_generation_++;
    e.added_at = clock_.now();
    e.next_probe = e.added_at;  // first probe right away
    entries_[target.id] = e;
  }
  thread_.wake();  // a new target is due now
}

void ActiveHealthChecker::remove_target(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(id);
}

HealthState ActiveHealthChecker::state(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? HealthState::kUnknown : it->second.state;
}

void ActiveHealthChecker::set_callbacks(HealthCallbacks callbacks) {
  std::lock_guard<std::mutex> lock(mu_);
  callbacks_ = std::move(callbacks);
}

ActiveHealthChecker::Fired ActiveHealthChecker::apply(Entry& e, const ProbeResult& r, TimePoint t) const {
  Fired fired;
  fired.id = e.target.id;
  const HealthState before = e.state;
  if (r.ready()) {
    e.ever_passed = true;
    ++e.passes;
    e.failures = 0;
    const bool up = before == HealthState::kUnknown ||
                    (before == HealthState::kUnhealthy && e.passes >= options_.healthy_threshold);
    if (up) e.state = HealthState::kHealthy;
  } else {
    ++e.failures;
    e.passes = 0;
    // A starting target stays kUnknown however often it fails (loading).
    if (before != HealthState::kUnhealthy && !starting(e, t) && e.failures >= options_.unhealthy_threshold) {
      e.state = HealthState::kUnhealthy;
    }
  }
  if (e.state != before) fired.transition = HealthTransition{e.target.id, before, e.state, r};
  e.ever_answered = e.ever_answered || r.answered;
  const bool counting = e.ever_answered || t - e.added_at >= options_.startup_grace;
  if (r.answered) {
    e.unanswered = 0;
  } else if (counting && ++e.unanswered >= options_.liveness_restart_after) {
    e.unanswered = 0;
    fired.liveness = r;
  }
  return fired;
}

bool ActiveHealthChecker::starting(const Entry& e, TimePoint t) const {
  return !e.ever_passed && t - e.added_at < options_.startup_grace;
}

Duration ActiveHealthChecker::run_due() {
  std::vector<Due> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const TimePoint t = clock_.now();
    for (auto& [id, e] : entries_) {
      if (e.next_probe > t) continue;
      due.push_back(Due{e.target, e.generation, t});
      e.next_probe = t + (starting(e, t) ? options_.startup_interval : options_.interval);
    }
  }
  for (const Due& d : due) {
    const ProbeResult r = prober_.probe(d.target, options_.timeout);
    Fired fired;
    HealthCallbacks callbacks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(d.target.id);
      if (it == entries_.end() || it->second.generation != d.generation) continue;  // replaced
      Entry& e = it->second;
      fired = apply(e, r, clock_.now());
      // Out of the startup phase: the next probe a whole interval after this one.
      if (!starting(e, d.due_at)) e.next_probe = std::max(e.next_probe, d.due_at + options_.interval);
      callbacks = callbacks_;
    }
    if (fired.transition && callbacks.on_transition) callbacks.on_transition(*fired.transition);
    if (fired.liveness && callbacks.on_liveness_failure) callbacks.on_liveness_failure(fired.id, *fired.liveness);
  }
  std::lock_guard<std::mutex> lock(mu_);
  const TimePoint t = clock_.now();
  Duration wait = options_.interval;
  for (const auto& [id, e] : entries_) {
    wait = std::min(wait, std::max(Duration{0}, std::chrono::duration_cast<Duration>(e.next_probe - t)));
  }
  return wait;
}

void ActiveHealthChecker::start() {
  thread_.start([this] { return std::max(run_due(), Duration{1}); });
}

void ActiveHealthChecker::stop() { thread_.stop(); }


}  // namespace r1::gateway
