#include "gateway/support/fakes.h"

namespace r1::gateway {

// ---- FakeBreaker
void FakeBreaker::set_state(BreakerState state) {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = state;
}

BreakerTicket FakeBreaker::try_acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == BreakerState::kOpen) {
    ++rejected_;
    return BreakerTicket{};
  }
  return BreakerTicket{true, state_ == BreakerState::kHalfOpen, 0};
}

void FakeBreaker::record(const BreakerTicket&, Outcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  recorded_.push_back(outcome);
}

BreakerState FakeBreaker::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

BreakerCounts FakeBreaker::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  BreakerCounts c;
  for (Outcome o : recorded_) {
    (o == Outcome::kSuccess ? c.successes : o == Outcome::kError ? c.errors : c.timeouts)++;
  }
  c.rejected_total = rejected_;
  return c;
}

std::vector<Outcome> FakeBreaker::recorded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recorded_;
}

// ---- FakeOutlierDetector
void FakeOutlierDetector::set_ejected(const std::string& id, bool ejected) {
  std::lock_guard<std::mutex> lock(mu_);
  ejected_[id] = ejected;
}

void FakeOutlierDetector::add_replica(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  ejected_.emplace(id, false);
}

void FakeOutlierDetector::remove_replica(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  ejected_.erase(id);
}

void FakeOutlierDetector::record(const std::string& id, ReplicaOutcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  recorded_.emplace_back(id, outcome);
}

bool FakeOutlierDetector::is_ejected(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ejected_.find(id);
  return it != ejected_.end() && it->second;
}

OutlierCounts FakeOutlierDetector::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  OutlierCounts c;
  for (const auto& [id, e] : ejected_) c.ejected_now += e ? 1 : 0;
  return c;
}

std::vector<std::pair<std::string, ReplicaOutcome>> FakeOutlierDetector::recorded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recorded_;
}

// ---- FakeProber
void FakeProber::push(const std::string& id, ProbeResult result) {
  std::lock_guard<std::mutex> lock(mu_);
  script_[id].push_back(std::move(result));
}

void FakeProber::set(const std::string& id, ProbeResult result) {
  std::lock_guard<std::mutex> lock(mu_);
  script_[id] = {std::move(result)};
}

ProbeResult FakeProber::probe(const HealthTarget& target, Duration) {
  std::lock_guard<std::mutex> lock(mu_);
  ++probes_[target.id];
  auto& q = script_[target.id];
  if (q.empty()) return refused();
  ProbeResult r = q.front();
  if (q.size() > 1) q.pop_front();
  return r;
}

int FakeProber::probes(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = probes_.find(id);
  return it == probes_.end() ? 0 : it->second;
}

// ---- FakeHealthChecker
void FakeHealthChecker::add_target(const HealthTarget& target) {
  std::lock_guard<std::mutex> lock(mu_);
  targets_[target.id] = target;
  states_[target.id] = HealthState::kUnknown;
}

void FakeHealthChecker::remove_target(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  targets_.erase(id);
  states_.erase(id);
}

HealthState FakeHealthChecker::state(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(id);
  return it == states_.end() ? HealthState::kUnknown : it->second;
}

void FakeHealthChecker::set_callbacks(HealthCallbacks callbacks) {
  std::lock_guard<std::mutex> lock(mu_);
  callbacks_ = std::move(callbacks);
}

void FakeHealthChecker::set_state(const std::string& id, HealthState state) {
  HealthTransition t;
  HealthCallbacks callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    HealthState& s = states_[id];
    if (s == state) return;
    t = HealthTransition{id, s, state, ProbeResult{}};
    s = state;
    callbacks = callbacks_;
  }
  if (callbacks.on_transition) callbacks.on_transition(t);
}

void FakeHealthChecker::fire_liveness_failure(const std::string& id) {
  HealthCallbacks callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    callbacks = callbacks_;
  }
  if (callbacks.on_liveness_failure) callbacks.on_liveness_failure(id, FakeProber::refused());
}

std::vector<HealthTarget> FakeHealthChecker::targets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HealthTarget> out;
  for (const auto& [id, t] : targets_) out.push_back(t);
  return out;
}

// ---- FakeSupervisor
Status FakeSupervisor::add(const WorkerSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (workers_.count(spec.name) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "worker '" + spec.name + "' already added");
  }
  WorkerStatus s;
  s.name = spec.name;
  s.state = WorkerState::kRunning;
  s.port = next_port_++;
  s.pid = 1000 + s.port;
  s.spawns = 1;
  workers_[spec.name] = s;
  return Status();
}

Status FakeSupervisor::remove(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (workers_.erase(name) == 0) return make_error(ErrorCode::kNotFound, "no worker '" + name + "'");
  return Status();
}

void FakeSupervisor::report_ready(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(name);
  if (it != workers_.end()) it->second.state = WorkerState::kReady;
}

void FakeSupervisor::report_unresponsive(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  unresponsive_.push_back(name);
}

std::optional<WorkerStatus> FakeSupervisor::status(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(name);
  if (it == workers_.end()) return std::nullopt;
  return it->second;
}

std::vector<WorkerStatus> FakeSupervisor::statuses() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WorkerStatus> out;
  for (const auto& [name, s] : workers_) out.push_back(s);
  return out;
}

void FakeSupervisor::stop_all() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  for (auto& [name, s] : workers_) {
    s.state = WorkerState::kStopped;
    s.pid = 0;
  }
}

void FakeSupervisor::set_event_callback(std::function<void(const WorkerEvent&)> callback) {
  callback_.set(std::move(callback));
}

void FakeSupervisor::fire(const WorkerEvent& event) {
  if (const auto callback = callback_.get()) callback(event);
}

std::vector<std::string> FakeSupervisor::unresponsive_reports() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unresponsive_;
}

bool FakeSupervisor::stopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_;
}

// ---- FakeRouter
void FakeRouter::set_unavailable(bool unavailable) {
  std::lock_guard<std::mutex> lock(mu_);
  unavailable_ = unavailable;
}

Result<RouteDecision> FakeRouter::pick(const RouteRequest&) {
  std::lock_guard<std::mutex> lock(mu_);
  if (unavailable_) return make_error(ErrorCode::kResourceExhausted, "no healthy replica can serve the request");
  return decision_;
}

void FakeRouter::release(const RouteDecision&, RequestOutcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  released_.push_back(outcome);
}

std::vector<RequestOutcome> FakeRouter::released() const {
  std::lock_guard<std::mutex> lock(mu_);
  return released_;
}

}  // namespace r1::gateway
