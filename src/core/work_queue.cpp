#include "core/work_queue.h"

#include <pthread.h>

#include <utility>

#include "core/check.h"

namespace r1 {

WorkQueue::WorkQueue(int threads, size_t capacity, std::string name)
    : capacity_(capacity), name_(std::move(name)) {
  CHECK(threads >= 1) << "work queue needs a thread";
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { loop(); });
    pthread_setname_np(threads_.back().native_handle(), name_.substr(0, 15).c_str());
  }
}

WorkQueue::~WorkQueue() { stop(); }

bool WorkQueue::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A task an idle thread is about to take does not wait.
    const size_t idle = threads_.size() - static_cast<size_t>(running_);
    if (stopping_ || tasks_.size() >= capacity_ + idle) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

size_t WorkQueue::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size();
}

int WorkQueue::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

void WorkQueue::stop() {
  std::deque<Task> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(tasks_);
  }
  cv_.notify_all();
  for (Task& t : dropped) {
    if (t.dropped) t.dropped();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkQueue::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping, nothing left
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_;
    lock.unlock();
    task.run();
    task = {};
    lock.lock();
    --running_;
  }
}

}  // namespace r1
