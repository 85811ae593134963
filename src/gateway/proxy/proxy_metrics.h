// Gateway proxy metrics and the retry budget.
//
// ProxyMetrics: client requests and responses, upstream requests by version
// and HTTP code (0 = no answer), retries, continuations, the wait queue,
// and the latency the gateway adds before a request reaches a worker (pick
// + connect + send); families of the one metrics registry (src/metrics).
// RetryBudget: a retry (or continuation) may start while retries in flight
// < max(min_retries, budget_percent% of active requests).
//
// Thread contract: all methods are safe from any thread (atomics; the
// registry's family mutexes).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "core/clock.h"
#include "gateway/config/config.h"
#include "metrics/registry.h"

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
  ProxyMetrics();
  ProxyMetrics(const ProxyMetrics&) = delete;
  ProxyMetrics& operator=(const ProxyMetrics&) = delete;

  void count_request() { requests_.inc(); }
  void count_retry() { retries_.inc(); }
  void count_continuation() { continuations_.inc(); }
  void count_budget_exhausted() { budget_exhausted_.inc(); }
  void count_no_upstream() { no_upstream_.inc(); }
  void count_queued() { queued_.inc(); }
  void count_queue_timeout() { queue_timeouts_.inc(); }
  void set_waiting(int64_t n) { waiting_.set(static_cast<double>(n)); }
  // The status the gateway answered a client with (once per request, when
  // the response head is written).
  void count_response(int code);
  // A stream that broke after its head and could not be resumed: the
  // client got an error event inside a 200.
  void count_stream_failure() { stream_failures_.inc(); }
  // code 0: no HTTP answer (connect failure, reset, timeout).
  void count_upstream(const std::string& version, int code);
  void observe_added_latency(SteadyClock::duration d);

  ProxyCounters counters() const;
  std::map<std::pair<std::string, int>, int64_t> upstream_counts() const;
  std::map<int, int64_t> response_counts() const;
  // Prometheus text exposition of everything above.
  std::string render() const { return registry_.expose(); }

 private:
  metrics::Registry registry_;
  metrics::Counter& requests_;
  metrics::Counter& retries_;
  metrics::Counter& continuations_;
  metrics::Counter& budget_exhausted_;
  metrics::Counter& no_upstream_;
  metrics::Counter& queued_;
  metrics::Counter& queue_timeouts_;
  metrics::Gauge& waiting_;
  metrics::Counter& stream_failures_;
  metrics::Family<metrics::Counter>& responses_;  // {code}
  metrics::Family<metrics::Counter>& upstream_;   // {version, code}
  metrics::Histogram& added_latency_;
};

}  // namespace r1::gateway
