#include "server/fault_injection.h"

#include <utility>
#include <vector>

namespace r1::server {

FaultInjector::FaultInjector(const FaultConfig& config) : config_(config), rng_(config.seed) {
  if (config_.added_latency.count() > 0) thread_ = std::thread([this] { run(); });
}

FaultInjector::~FaultInjector() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool FaultInjector::draw_error() {
  if (config_.error_rate <= 0.0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < config_.error_rate;
}

ApiError FaultInjector::injected_error() {
  return ApiError{500, "server_error", "Injected fault (test mode)", "", "injected_fault"};
}

void FaultInjector::after_latency(std::function<void()> fn) {
  if (config_.added_latency.count() <= 0) return fn();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      pending_.emplace(SteadyClock::now() + config_.added_latency, std::move(fn));
      cv_.notify_all();
      return;
    }
  }
  fn();  // shutting down: no more delays
}

void FaultInjector::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stop_) break;
    if (pending_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const SteadyClock::time_point due = pending_.begin()->first;
    if (SteadyClock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    std::function<void()> fn = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    lock.unlock();
    fn();
    lock.lock();
  }
  // Shutdown: every held response starts now.
  std::vector<std::function<void()>> left;
  for (auto& [due, fn] : pending_) left.push_back(std::move(fn));
  pending_.clear();
  lock.unlock();
  for (auto& fn : left) fn();
}

}  // namespace r1::server
