// A background thread that runs a step, then waits as long as the step
// asked, until stop(): the gateway's health checker, supervisor poll and
// DNS discovery loops. wake() ends the current wait early (new work is due
// now); a wake() while the step runs ends the next wait at once, so none is
// lost.
//
// Thread contract: start(), wake(), stop() and running() are safe from any
// thread; the step runs on the background thread only and must not call
// stop(). Declare a PeriodicThread after the state its step uses, so that
// its destructor (stop()) joins before that state is destroyed.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.h"

namespace r1 {

class PeriodicThread {
 public:
  // Runs once, returns how long to wait before the next run.
  using Step = std::function<Duration()>;

  PeriodicThread() = default;
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;
  ~PeriodicThread() { stop(); }

  // Starts the thread, which runs `step` at once. CHECK: not running.
  void start(Step step);
  void wake();
  // Ends the wait, joins the thread (after the step in progress). Idempotent.
  void stop();
  bool running() const;

 private:
  void loop(const Step& step);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace r1
