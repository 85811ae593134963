#include "metrics/process.h"

namespace r1::metrics {

ProcessFamilies::ProcessFamilies(Registry& r)
    : cpu_seconds(r.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.").get()),
      resident_memory(r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.").get()),
      virtual_memory(r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").get()),
      start_time(
          r.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.").get()),
      open_fds(r.gauge("process_open_fds", "Number of open file descriptors.").get()),
      max_fds(r.gauge("process_max_fds", "Maximum number of open file descriptors.").get()) {}

ProcessStats ProcessFamilies::update() {
  const ProcessStats p = read_process_stats();
  cpu_seconds.advance_to(p.cpu_seconds);
  resident_memory.set(p.resident_bytes);
  virtual_memory.set(p.virtual_bytes);
  start_time.set(p.start_time_seconds);
  open_fds.set(p.open_fds);
  max_fds.set(p.max_fds);
  return p;
}

}  // namespace r1::metrics
