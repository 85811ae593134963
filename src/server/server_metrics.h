// The r1serve metric families, registered once per server.
//
// Thread contract: safe from any thread (see metrics.h).
#pragma once

#include <string>

#include "server/backend/backend.h"
#include "metrics/process.h"
#include "metrics/registry.h"

namespace r1::server {

struct ServerMetrics {
  ServerMetrics(metrics::Registry& registry, const std::string& version, const std::string& model);

  // Samples the backend's gauges and the process metrics (before a scrape).
  void update(const BackendStats& stats);
  // Token and prefix-cache counters of a finished generation.
  void record_finish(const FinishEvent& finish);

  metrics::Family<metrics::Counter>& requests;  // {endpoint, code}
  metrics::Histogram& time_to_first_token;
  metrics::Histogram& inter_token_latency;
  metrics::Histogram& request_duration;
  metrics::Gauge& queue_depth;
  metrics::Gauge& running_sequences;
  metrics::Gauge& kv_cache_usage;          // blocks of live sequences / total
  metrics::Gauge& kv_cache_cached_blocks;  // held only by the prefix cache
  metrics::Gauge& kv_cache_blocks_total;
  metrics::Counter& prompt_tokens;
  metrics::Counter& generation_tokens;
  metrics::Counter& prefix_cache_hits;  // requests that reused cached prompt tokens
  // {kind}: "decode" (every sequence forwards one token) or "prefill" (the
  // batch has prompt tokens).
  metrics::Family<metrics::Counter>& engine_steps;
  metrics::Family<metrics::Counter>& engine_forward_seconds;
  metrics::Family<metrics::Counter>& engine_busy_seconds;
  metrics::Gauge& model_load_seconds;
  metrics::Gauge& resident_memory;
  // The standard process_* families.
  metrics::ProcessFamilies process;
  metrics::Gauge& anonymous_memory;  // RssAnon: the leak signal (no model pages)
  metrics::Gauge& cpu_cores;         // the utilisation denominator
};

// Resident set size of this process in bytes (0 if unknown).
double process_resident_bytes();

}  // namespace r1::server
