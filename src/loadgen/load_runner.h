// The load generator's engine: an asynchronous HTTP/1.1 client on
// Boost.Asio/Beast (in the .cpp) that runs one io_context on the calling
// thread with up to `concurrency` keep-alive connections to the plan's URL
// (the only address it connects to). Requests are issued in a closed loop,
// or at Poisson arrival times when rate > 0 (arrivals wait for a free slot
// under the concurrency cap). No request starts after num_requests or
// duration; each request is bounded by the timeout, so the run ends within
// duration + timeout (or after num_requests requests). A stale keep-alive
// connection (closed by the server before any response byte) is retried
// once on a fresh connection.
//
// Thread contract: run_load() blocks the calling thread; concurrent calls
// are independent. Nothing throws.
#pragma once

#include <vector>

#include "core/result.h"
#include "loadgen/load_config.h"
#include "loadgen/report.h"

namespace r1::loadgen {

struct LoadResult {
  std::vector<RequestRecord> records;  // in completion order
  double wall_s = 0;                   // first request start to last completion
  int64_t connections = 0;             // TCP connections established
  int64_t stale_retries = 0;           // requests resent after a stale keep-alive
};

// Errors: the host does not resolve, or an internal failure. Failed
// requests are records, not errors.
Result<LoadResult> run_load(const LoadPlan& plan);

}  // namespace r1::loadgen
