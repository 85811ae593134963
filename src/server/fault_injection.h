// Test-only fault injection for `r1serve serve --test-mode` (FaultConfig in
// server_config.h): seeded error draws (-> 500 with an OpenAI error body
// before any byte) and a timer thread that delays the start of responses.
// hang_after_tokens is applied by the exchange (exchange.h).
//
// Thread contract: all methods are safe from any thread. Delayed tasks run
// on the injector's timer thread, in due order; the destructor runs the
// ones still pending at once (so every response starts) and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/clock.h"
#include "server/api/openai_types.h"
#include "server/server_config.h"

namespace r1::server {

class FaultInjector {
 public:
  explicit FaultInjector(const FaultConfig& config);
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  const FaultConfig& config() const { return config_; }
  // One seeded draw: true (with probability error_rate) if this request
  // gets the injected error.
  bool draw_error();
  // The injected error: 500, "server_error", code "injected_fault".
  static ApiError injected_error();
  // Runs `fn` after added_latency on the timer thread (inline when 0).
  void after_latency(std::function<void()> fn);

 private:
  void run();

  const FaultConfig config_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::mt19937_64 rng_;
  std::multimap<SteadyClock::time_point, std::function<void()>> pending_;
  bool stop_ = false;
  std::thread thread_;  // only with added_latency > 0
};

}  // namespace r1::server
