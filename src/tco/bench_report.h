// The measured throughput that `r1serve cost --from-bench` takes from the
// one JSON object that `r1serve bench serve --json` prints
// (src/loadgen/report.cpp, report_json): output_tokens_per_s (output tokens
// of successful requests / wall time), with duration_s, total, succeeded,
// failed and rejected to say what was measured. Other keys are ignored (the
// report may grow); the required ones must be present with the right types.
//
// Thread contract: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace r1::tco {

struct BenchThroughput {
  double output_tokens_per_s = 0;  // > 0
  double duration_s = 0;
  int64_t total = 0;
  int64_t succeeded = 0;  // > 0
  int64_t failed = 0;
  int64_t rejected = 0;
  int64_t concurrency = 0;  // 0 when absent
  std::string url;          // empty when absent
};

// Errors name the key: "bench report: output_tokens_per_s: expected a
// number, got a string". A report with no successful request or no output
// tokens is an error (it measured nothing).
Result<BenchThroughput> parse_bench_report(std::string_view json);

// "812.4 output tokens/s over 30.0 s: 200 of 200 requests succeeded,
// concurrency 16, http://127.0.0.1:8000/v1/completions"
std::string describe(const BenchThroughput& b);

}  // namespace r1::tco
