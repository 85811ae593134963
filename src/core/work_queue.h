// A fixed set of worker threads taking tasks from one bounded FIFO queue:
// post() refuses (returns false) when every thread is busy and `capacity`
// tasks already wait, so a
// caller can answer "busy" (429) instead of queueing without bound. For
// work that must not run on I/O or engine threads (the voice requests).
//
// Thread contract: post(), queued() and stop() are safe from any thread.
// stop() (also run by the destructor) refuses new tasks, lets the running
// ones finish, drops the queued ones (running their `dropped` callbacks on
// the stopping thread, so that their owners can answer) and joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace r1 {

class WorkQueue {
 public:
  struct Task {
    std::function<void()> run;
    std::function<void()> dropped;  // stop() before it ran; may be empty
  };

  WorkQueue(int threads, size_t capacity, std::string name);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  bool post(Task task);
  size_t queued() const;
  int running() const;
  void stop();

 private:
  void loop();

  const size_t capacity_;
  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace r1
