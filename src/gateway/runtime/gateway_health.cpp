#include "gateway/runtime/gateway_health.h"

#include <utility>

namespace r1::gateway {

SwitchableHealthChecker::SwitchableHealthChecker(const Clock& clock, Prober& prober, HealthConfig options)
    : clock_(clock), prober_(prober),
      current_(std::make_shared<ActiveHealthChecker>(clock, prober, options)) {}

SwitchableHealthChecker::~SwitchableHealthChecker() { stop(); }

void SwitchableHealthChecker::add_target(const HealthTarget& target) {
  std::lock_guard<std::mutex> lock(mu_);
  targets_[target.id] = target;
  current_->add_target(target);
}

void SwitchableHealthChecker::remove_target(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  targets_.erase(id);
  current_->remove_target(id);
}

HealthState SwitchableHealthChecker::state(const std::string& id) const {
  std::shared_ptr<ActiveHealthChecker> current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current = current_;
  }
  return current->state(id);
}

void SwitchableHealthChecker::set_callbacks(HealthCallbacks callbacks) {
  std::lock_guard<std::mutex> lock(mu_);
  callbacks_ = callbacks;
  current_->set_callbacks(std::move(callbacks));
}

void SwitchableHealthChecker::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  current_->start();
}

void SwitchableHealthChecker::stop() {
  std::shared_ptr<ActiveHealthChecker> current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = false;
    current = current_;
  }
  current->stop();  // joins its thread: no lock of ours held
}

void SwitchableHealthChecker::set_options(HealthConfig options) {
  auto next = std::make_shared<ActiveHealthChecker>(clock_, prober_, options);
  std::shared_ptr<ActiveHealthChecker> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next->set_callbacks(callbacks_);
    for (const auto& [id, target] : targets_) next->add_target(target);
    if (started_) next->start();
    old = std::exchange(current_, next);
  }
  old->stop();
}

}  // namespace r1::gateway
