#include "gateway/options.h"

namespace r1::gateway {

BreakerOptions breaker_options(const BreakerConfig& c) {
  BreakerOptions o;
  o.window = c.window;
  // 1 s buckets; windows shorter than 10 s get 10 buckets.
  o.bucket = std::min<Duration>(std::chrono::seconds(1), std::max<Duration>(Duration{1}, c.window / 10));
  o.window = o.bucket * (c.window / o.bucket);
  o.error_rate_percent = c.error_rate_percent;
  o.min_requests = c.min_requests;
  o.open_duration = c.open_duration;
  o.half_open_probes = c.half_open_probes;
  return o;
}

OutlierOptions outlier_options(const OutlierConfig& c) {
  return OutlierOptions{c.consecutive_5xx, c.consecutive_connect_failures, c.base_ejection_time,
                        c.max_ejection_time, c.max_ejection_percent};
}

HealthOptions health_options(const HealthConfig& c) {
  return HealthOptions{c.interval, std::min(c.startup_interval, c.interval), c.timeout, c.healthy_threshold, c.unhealthy_threshold,
                       c.liveness_restart_after, c.startup_grace};
}

SupervisorOptions supervisor_options(const SupervisorConfig& c) {
  SupervisorOptions o;
  o.backoff_base = c.backoff_base;
  o.backoff_max = c.backoff_max;
  o.crash_loop_count = c.crash_loop_count;
  o.crash_loop_window = c.crash_loop_window;
  o.stop_grace = c.stop_grace;
  return o;
}

}  // namespace r1::gateway
