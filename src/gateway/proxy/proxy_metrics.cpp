#include "gateway/proxy/proxy_metrics.h"

#include <algorithm>
#include <cstdio>

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

void ProxyMetrics::count_upstream(const std::string& version, int code) {
  std::lock_guard<std::mutex> lock(mu_);
  ++upstream_[{version, code}];
}

void ProxyMetrics::count_response(int code) {
  std::lock_guard<std::mutex> lock(mu_);
  ++responses_[code];
}

std::map<int, int64_t> ProxyMetrics::response_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return responses_;
}

void ProxyMetrics::observe_added_latency(SteadyClock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (s <= kBuckets[i]) ++bucket_counts_[i];
  }
  ++latency_count_;
  latency_sum_ += s;
}

ProxyCounters ProxyMetrics::counters() const {
  ProxyCounters c;
  c.requests_total = requests_.load();
  c.retries_total = retries_.load();
  c.continuations_total = continuations_.load();
  c.retry_budget_exhausted_total = budget_exhausted_.load();
  c.no_upstream_total = no_upstream_.load();
  c.queued_total = queued_.load();
  c.queue_timeouts_total = queue_timeouts_.load();
  c.waiting = waiting_.load();
  c.stream_failures_total = stream_failures_.load();
  return c;
}

std::map<std::pair<std::string, int>, int64_t> ProxyMetrics::upstream_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return upstream_;
}

namespace {
void counter(std::string& out, const char* name, const char* help, int64_t value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name +
         " " + std::to_string(value) + "\n";
}
}  // namespace

std::string ProxyMetrics::render() const {
  const ProxyCounters c = counters();
  std::string out;
  counter(out, "r1_gateway_requests_total", "Client requests received.", c.requests_total);
  counter(out, "r1_gateway_retries_total", "Requests retried on another replica.", c.retries_total);
  counter(out, "r1_gateway_continuations_total", "Broken streams resumed on another replica.",
          c.continuations_total);
  counter(out, "r1_gateway_retry_budget_exhausted_total", "Retries refused by the retry budget.",
          c.retry_budget_exhausted_total);
  counter(out, "r1_gateway_no_upstream_total", "Requests answered 503: no replica could serve.",
          c.no_upstream_total);
  counter(out, "r1_gateway_queued_total", "Requests held in the wait queue (no replica could take them).",
          c.queued_total);
  counter(out, "r1_gateway_queue_timeouts_total", "Requests answered 503 after queue.timeout in the wait queue.",
          c.queue_timeouts_total);
  out += "# HELP r1_gateway_queue_waiting Requests in the wait queue now.\n"
         "# TYPE r1_gateway_queue_waiting gauge\nr1_gateway_queue_waiting " + std::to_string(c.waiting) + "\n";
  counter(out, "r1_gateway_stream_failures_total",
          "Streams that broke after their response head and could not be resumed (an error event in a 200).",
          c.stream_failures_total);
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP r1_gateway_responses_total Client responses by the HTTP status the gateway answered.\n"
         "# TYPE r1_gateway_responses_total counter\n";
  for (const auto& [code, n] : responses_) {
    out += "r1_gateway_responses_total{code=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP r1_gateway_upstream_requests_total Upstream attempts by version and code.\n"
         "# TYPE r1_gateway_upstream_requests_total counter\n";
  for (const auto& [key, n] : upstream_) {
    out += "r1_gateway_upstream_requests_total{version=\"" + key.first + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP r1_gateway_added_latency_seconds Gateway time before the request reaches a worker.\n"
         "# TYPE r1_gateway_added_latency_seconds histogram\n";
  char line[160];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    std::snprintf(line, sizeof(line), "r1_gateway_added_latency_seconds_bucket{le=\"%g\"} %lld\n",
                  kBuckets[i], static_cast<long long>(bucket_counts_[i]));
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "r1_gateway_added_latency_seconds_bucket{le=\"+Inf\"} %lld\n"
                "r1_gateway_added_latency_seconds_sum %.6f\n"
                "r1_gateway_added_latency_seconds_count %lld\n",
                static_cast<long long>(latency_count_), latency_sum_,
                static_cast<long long>(latency_count_));
  out += line;
  return out;
}

}  // namespace r1::gateway
