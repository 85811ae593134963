#include "gateway/proxy/proxy_metrics.h"

#include <algorithm>

namespace r1::gateway {

bool RetryBudget::try_acquire() {
  const int allowed = std::max(
      config_.min_retries, static_cast<int>(config_.budget_percent / 100.0 * active_.load()));
  int current = retries_.load();
  while (current < allowed) {
    if (retries_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

namespace {
metrics::Counter& counter(metrics::Registry& r, const char* name, const char* help) {
  return r.counter(name, help).get();
}
int64_t count(const metrics::Counter& c) { return static_cast<int64_t>(c.value()); }
}  // namespace

ProxyMetrics::ProxyMetrics()
    : requests_(counter(registry_, "r1_gateway_requests_total", "Client requests received.")),
      retries_(counter(registry_, "r1_gateway_retries_total", "Requests retried on another replica.")),
      continuations_(counter(registry_, "r1_gateway_continuations_total",
                             "Broken streams resumed on another replica.")),
      budget_exhausted_(counter(registry_, "r1_gateway_retry_budget_exhausted_total",
                                "Retries refused by the retry budget.")),
      no_upstream_(counter(registry_, "r1_gateway_no_upstream_total",
                           "Requests answered 503: no replica could serve.")),
      queued_(counter(registry_, "r1_gateway_queued_total",
                      "Requests held in the wait queue (no replica could take them).")),
      queue_timeouts_(counter(registry_, "r1_gateway_queue_timeouts_total",
                              "Requests answered 503 after queue.timeout in the wait queue.")),
      waiting_(registry_.gauge("r1_gateway_queue_waiting", "Requests in the wait queue now.").get()),
      stream_failures_(counter(
          registry_, "r1_gateway_stream_failures_total",
          "Streams that broke after their response head and could not be resumed (an error event in a 200).")),
      responses_(registry_.counter("r1_gateway_responses_total",
                                   "Client responses by the HTTP status the gateway answered.", {"code"})),
      upstream_(registry_.counter("r1_gateway_upstream_requests_total",
                                  "Upstream attempts by version and code.", {"version", "code"})),
      added_latency_(registry_
                         .histogram("r1_gateway_added_latency_seconds",
                                    "Gateway time before the request reaches a worker.",
                                    {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1})
                         .get()) {}

void ProxyMetrics::count_upstream(const std::string& version, int code) {
  upstream_.with({version, std::to_string(code)}).inc();
}

void ProxyMetrics::count_response(int code) { responses_.with({std::to_string(code)}).inc(); }

std::map<int, int64_t> ProxyMetrics::response_counts() const {
  std::map<int, int64_t> out;
  for (const auto& [labels, n] : responses_.values()) out[std::stoi(labels[0])] = static_cast<int64_t>(n);
  return out;
}

std::map<std::pair<std::string, int>, int64_t> ProxyMetrics::upstream_counts() const {
  std::map<std::pair<std::string, int>, int64_t> out;
  for (const auto& [labels, n] : upstream_.values()) {
    out[{labels[0], std::stoi(labels[1])}] = static_cast<int64_t>(n);
  }
  return out;
}

void ProxyMetrics::observe_added_latency(SteadyClock::duration d) {
  added_latency_.observe(std::chrono::duration<double>(d).count());
}

ProxyCounters ProxyMetrics::counters() const {
  ProxyCounters c;
  c.requests_total = count(requests_);
  c.retries_total = count(retries_);
  c.continuations_total = count(continuations_);
  c.retry_budget_exhausted_total = count(budget_exhausted_);
  c.no_upstream_total = count(no_upstream_);
  c.queued_total = count(queued_);
  c.queue_timeouts_total = count(queue_timeouts_);
  c.waiting = static_cast<int64_t>(waiting_.value());
  c.stream_failures_total = count(stream_failures_);
  return c;
}

}  // namespace r1::gateway
