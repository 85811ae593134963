// Percentiles and summaries of latency samples.
//
// Thread contract: pure functions and value types.
#pragma once

#include <cstdint>
#include <vector>

namespace r1::loadgen {

// The p-th percentile (p in [0, 100]) of `sorted` (ascending), interpolating
// linearly between closest ranks like numpy.percentile's default. 0 for an
// empty vector; p outside [0, 100] is clamped.
double percentile_sorted(const std::vector<double>& sorted, double p);
// Same on unsorted values (sorts a copy).
double percentile(std::vector<double> values, double p);

struct Summary {
  int64_t count = 0;
  double mean = 0;
  double min = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

// All zero for no samples.
Summary summarize(std::vector<double> values);

}  // namespace r1::loadgen
