#include "core/periodic_thread.h"

#include <algorithm>
#include <utility>

#include "core/check.h"

namespace r1 {

void PeriodicThread::start(Step step) {
  std::lock_guard<std::mutex> lock(mu_);
  CHECK(!thread_.joinable()) << "periodic thread started twice";
  stopping_ = false;
  woken_ = false;
  thread_ = std::thread([this, step = std::move(step)] { loop(step); });
}

void PeriodicThread::loop(const Step& step) {
  for (;;) {
    const Duration wait = std::max(step(), Duration{0});
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
    woken_ = false;
    if (stopping_) return;
  }
}

void PeriodicThread::wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void PeriodicThread::stop() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

bool PeriodicThread::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return thread_.joinable();
}

}  // namespace r1
