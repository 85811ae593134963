// Gateway proxy counters (Prometheus text) and the retry budget.
//
// ProxyMetrics: upstream requests by version and HTTP code (0 = no answer),
// retries, continuations, requests in flight, and the latency the gateway
// adds before a request reaches a worker (pick + connect + send).
// RetryBudget: a retry (or continuation) may start while retries in flight
// < max(min_retries, budget_percent% of active requests).
//
// Thread contract: all methods are safe from any thread (atomics + a mutex).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "core/clock.h"
#include "gateway/config/config.h"

namespace r1::gateway {

class RetryBudget {
 public:
  explicit RetryBudget(RetryConfig config) : config_(config) {}
  // From the proxy's I/O thread (the only one that calls try_acquire).
  void set_config(const RetryConfig& config) { config_ = config; }
  void request_started() { active_.fetch_add(1); }
  void request_finished() { active_.fetch_sub(1); }
  bool try_acquire();  // false: over budget
  void release() { retries_.fetch_sub(1); }
  int active() const { return active_.load(); }

 private:
  RetryConfig config_;
  std::atomic<int> active_ = 0;
  std::atomic<int> retries_ = 0;
};

struct ProxyCounters {
  int64_t requests_total = 0;
  int64_t retries_total = 0;
  int64_t continuations_total = 0;
  int64_t retry_budget_exhausted_total = 0;
  int64_t no_upstream_total = 0;  // 503: no version could serve
  int64_t queued_total = 0;       // held in the wait queue
  int64_t queue_timeouts_total = 0;
  int64_t waiting = 0;            // in the wait queue now
  int64_t stream_failures_total = 0;
};

class ProxyMetrics {
 public:
  void count_request() { requests_.fetch_add(1); }
  void count_retry() { retries_.fetch_add(1); }
  void count_continuation() { continuations_.fetch_add(1); }
  void count_budget_exhausted() { budget_exhausted_.fetch_add(1); }
  void count_no_upstream() { no_upstream_.fetch_add(1); }
  void count_queued() { queued_.fetch_add(1); }
  void count_queue_timeout() { queue_timeouts_.fetch_add(1); }
  void set_waiting(int64_t n) { waiting_.store(n); }
  // The status the gateway answered a client with (once per request, when
  // the response head is written).
  void count_response(int code);
  // A stream that broke after its head and could not be resumed: the
  // client got an error event inside a 200.
  void count_stream_failure() { stream_failures_.fetch_add(1); }
  // code 0: no HTTP answer (connect failure, reset, timeout).
  void count_upstream(const std::string& version, int code);
  void observe_added_latency(SteadyClock::duration d);

  ProxyCounters counters() const;
  std::map<std::pair<std::string, int>, int64_t> upstream_counts() const;
  std::map<int, int64_t> response_counts() const;
  // Prometheus text exposition of everything above.
  std::string render() const;

 private:
  static constexpr std::array<double, 8> kBuckets = {0.0005, 0.001, 0.0025, 0.005,
                                                     0.01,   0.025, 0.05,   0.1};
  std::atomic<int64_t> requests_ = 0, retries_ = 0, continuations_ = 0;
  std::atomic<int64_t> budget_exhausted_ = 0, no_upstream_ = 0;
  std::atomic<int64_t> queued_ = 0, queue_timeouts_ = 0, waiting_ = 0, stream_failures_ = 0;
  std::map<int, int64_t> responses_;  // under mu_
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> upstream_;
  std::array<int64_t, kBuckets.size()> bucket_counts_{};
  int64_t latency_count_ = 0;
  double latency_sum_ = 0;
};

}  // namespace r1::gateway
