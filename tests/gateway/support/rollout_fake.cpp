#include "gateway/support/rollout_fake.h"

namespace r1::gateway {

void FakeRolloutActions::fail_later(const std::string& id, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  later_errors_[id] = message;
}

std::string FakeRolloutActions::version_failure(const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = later_errors_.find(version);
  return it == later_errors_.end() ? std::string() : it->second;
}

std::string FakeRolloutActions::replica_failure(const std::string& replica_id) {
  return version_failure(replica_id);
}

void FakeRolloutActions::set_ready(const std::string& id, bool ready) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ready) ready_.insert(id);
  else ready_.erase(id);
}

void FakeRolloutActions::set_in_flight(const std::string& replica_id, int n) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_[replica_id] = n;
}

void FakeRolloutActions::fail_smoke(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  smoke_error_ = message;
}

void FakeRolloutActions::fail_start(const std::string& id, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  start_errors_[id] = message;
}

std::vector<std::string> FakeRolloutActions::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

void FakeRolloutActions::clear_calls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

std::string FakeRolloutActions::stable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stable_;
}

int FakeRolloutActions::canary_weight(const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = weights_.find(version);
  return it == weights_.end() ? 0 : it->second;
}

Status FakeRolloutActions::start_version(const std::string& version, const std::string& model, int replicas) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("start_version " + version + " " + model + " " + std::to_string(replicas));
  auto it = start_errors_.find(version);
  if (it != start_errors_.end()) return make_error(ErrorCode::kIo, it->second);
  return {};
}

bool FakeRolloutActions::version_ready(const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.count(version) > 0;
}

Status FakeRolloutActions::smoke_test(const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("smoke_test " + version);
  if (!smoke_error_.empty()) return make_error(ErrorCode::kInternal, smoke_error_);
  return {};
}

void FakeRolloutActions::set_canary_weight(const std::string& version, int percent) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("set_canary_weight " + version + " " + std::to_string(percent));
  weights_[version] = percent;
}

void FakeRolloutActions::switch_stable(const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("switch_stable " + version);
  stable_ = version;
}

void FakeRolloutActions::drain_and_stop(const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("drain_and_stop " + version);
}

Status FakeRolloutActions::start_replica(const std::string& version, const std::string& model, int index) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = rollout_replica_id(version, index);
  calls_.push_back("start_replica " + id + " " + model);
  auto it = start_errors_.find(id);
  if (it != start_errors_.end()) return make_error(ErrorCode::kIo, it->second);
  return {};
}

bool FakeRolloutActions::replica_ready(const std::string& replica_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.count(replica_id) > 0;
}

void FakeRolloutActions::set_replica_routable(const std::string& replica_id, bool routable) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(std::string(routable ? "route " : "unroute ") + replica_id);
}

int FakeRolloutActions::in_flight(const std::string& replica_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_flight_.find(replica_id);
  return it == in_flight_.end() ? 0 : it->second;
}

void FakeRolloutActions::stop_replica(const std::string& replica_id) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("stop_replica " + replica_id);
  ready_.erase(replica_id);
}

}  // namespace r1::gateway
