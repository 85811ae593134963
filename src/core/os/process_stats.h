// This process's figures from /proc/self for the standard process metrics
// of the Prometheus client libraries (process_cpu_seconds_total,
// process_resident_memory_bytes, ...), shared by the worker's and the
// gateway's /metrics.
//
// Thread contract: pure reads of /proc; safe from any thread.
#pragma once

namespace r1 {

// The standard process metrics of the Prometheus client libraries
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), read
// from /proc/self. Fields are 0 where /proc cannot be read.
struct ProcessStats {
  double cpu_seconds = 0;         // user + system time
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  double open_fds = 0;
  double max_fds = 0;             // RLIMIT_NOFILE soft limit
  // Not a standard one: the anonymous part of the resident set (RssAnon of
  // /proc/self/status), without the file-backed pages of an mmapped model.
  double anonymous_bytes = 0;
};
ProcessStats read_process_stats();
// CPU cores this process may use: the CPUs of its affinity mask, capped by
// a cgroup v2 CPU quota (cpu.max) when one is set; at least 1.
double available_cpu_cores();

}  // namespace r1
