// Per-request measurements of the load generator and the run's summary:
// TTFT, TPOT, ITL and E2E latency percentiles, throughput, and errors by
// kind. Rendered as text (like vLLM's benchmark_serving) or one JSON object.
//
// Thread contract: value types and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loadgen/load_config.h"
#include "loadgen/stats.h"

namespace r1::loadgen {

// Error kinds: "connect", "timeout", "io" (reset/closed before a response),
// "http_<code>" (e.g. http_429, http_503), "stream_incomplete" (the body
// ended before [DONE]), "stream_error" (an error event in the stream),
// "parse" (a chunk or body that is not the expected JSON). An http_429 (the
// server's queue is full: a clean refusal) is counted as "rejected", apart
// from the failures.
inline constexpr const char* kRejectedKind = "http_429";

struct RequestRecord {
  bool ok = false;
  std::string error;         // empty when ok
  double ttft_s = -1;        // first token-carrying chunk; < 0: none
  double e2e_s = 0;          // request start to last byte
  std::vector<double> itl_s;  // between token-carrying chunks
  int64_t output_tokens = 0;  // usage.completion_tokens, else chunks counted
};

struct Report {
  double wall_s = 0;
  int64_t total = 0;
  int64_t succeeded = 0;
  int64_t rejected = 0;  // http_429
  int64_t failed = 0;    // every other error; total = succeeded + rejected + failed
  int64_t output_tokens = 0;  // of successful requests
  double requests_per_s = 0;  // successful requests / wall time
  double output_tokens_per_s = 0;
  Summary ttft_s;  // successful requests only
  Summary tpot_s;  // (e2e - ttft) / (tokens - 1), requests with > 1 token
  Summary itl_s;
  Summary e2e_s;
  std::map<std::string, int64_t> errors;  // kind -> count, failures only
  // From the run (LoadResult), not from the records: set by the caller.
  int64_t connections = 0;    // TCP connections established
  int64_t stale_retries = 0;  // requests resent after a stale keep-alive
};

Report build_report(const std::vector<RequestRecord>& records, double wall_s);

// One JSON object (no newline): the run's settings, counts (total,
// succeeded, rejected, failed, connections, stale_retries), throughput,
// {mean,p50,p90,p99,min,max,count} in milliseconds for ttft_ms, tpot_ms,
// itl_ms, e2el_ms, and "errors" (failures by kind).
std::string report_json(const Report& report, const LoadPlan& plan);
std::string report_text(const Report& report, const LoadPlan& plan);

}  // namespace r1::loadgen
