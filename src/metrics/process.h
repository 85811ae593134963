// The standard process_* families of the Prometheus client libraries
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), from
// /proc/self (core/process_stats.h). The worker's and the gateway's
// /metrics both register them this way.
//
// Thread contract: as Registry: update() may run from any thread.
#pragma once

#include "core/os/process_stats.h"
#include "metrics/registry.h"

namespace r1::metrics {

struct ProcessFamilies {
  explicit ProcessFamilies(Registry& registry);

  // Reads /proc/self into the families; returns what it read.
  ProcessStats update();

  Counter& cpu_seconds;
  Gauge& resident_memory;
  Gauge& virtual_memory;
  Gauge& start_time;
  Gauge& open_fds;
  Gauge& max_fds;
};

}  // namespace r1::metrics
