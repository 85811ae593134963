// Per-model-version circuit breaker over a rolling time window.
//
// States: closed -> (error rate > threshold with >= min_requests in the
// window) -> open -> (after open_duration) -> half-open, which admits
// `half_open_probes` probe requests; that many probe successes close it, any
// probe failure re-opens it. Works with a single replica: it counts requests
// to the version, not to hosts.
//
// Callers take a Ticket before sending (try_acquire) and hand it back with
// the outcome (record). Tickets from an earlier state (epoch) still count in
// the window's statistics but never decide a half-open trial.
//
// Thread contract: all methods are safe from any thread (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "core/clock.h"

namespace r1::gateway {

enum class BreakerState { kClosed, kOpen, kHalfOpen };
enum class Outcome { kSuccess, kError, kTimeout };

const char* breaker_state_name(BreakerState state);

// The breaker's settings (gateway YAML `breaker:`), declared once.
struct BreakerConfig {
  Duration window = std::chrono::seconds(30);
  // The window's granularity. 0 (YAML leaves it out): 1 s, or window / 10
  // for windows under 10 s (with_buckets()).
  Duration bucket{0};
  double error_rate_percent = 5.0;  // opens when rate > this
  int min_requests = 20;            // in the window, before the rate counts
  Duration open_duration = std::chrono::seconds(30);
  int half_open_probes = 3;
};

// `c` with a zero bucket filled in and the window rounded down to whole
// buckets: what WindowBreaker runs with.
BreakerConfig with_buckets(BreakerConfig c);

struct BreakerTicket {
  bool allowed = false;
  bool probe = false;
  uint64_t epoch = 0;
  // A request let through past a refusal (the router's fail-open when no
  // other version can serve): its outcome is counted in the window but
  // moves no state (its epoch matches none).
  static BreakerTicket bypass() { return {true, false, ~uint64_t{0}}; }
};

// Counts in the current window plus lifetime totals, for metrics.
struct BreakerCounts {
  int64_t successes = 0;
  int64_t errors = 0;
  int64_t timeouts = 0;
  int64_t rejected_total = 0;  // try_acquire refused
  int64_t opened_total = 0;    // closed/half-open -> open transitions
  double error_rate_percent() const;
};

class CircuitBreaker {
 public:
  virtual ~CircuitBreaker() = default;
  virtual BreakerTicket try_acquire() = 0;
  virtual void record(const BreakerTicket& ticket, Outcome outcome) = 0;
  virtual BreakerState state() const = 0;
  virtual BreakerCounts counts() const = 0;
};

class WindowBreaker final : public CircuitBreaker {
 public:
  WindowBreaker(const Clock& clock, BreakerConfig options);

  BreakerTicket try_acquire() override;
  void record(const BreakerTicket& ticket, Outcome outcome) override;
  BreakerState state() const override;
  BreakerCounts counts() const override;

 private:
  struct Bucket {
    int64_t index = -1;  // time / bucket width; -1 = empty
    int64_t successes = 0, errors = 0, timeouts = 0;
  };
  int64_t bucket_index(TimePoint t) const;
  Bucket& current_bucket(TimePoint t);
  void sum_window(TimePoint t, Bucket& total) const;
  void maybe_half_open(TimePoint t);
  void open(TimePoint t);
  void close();

  const Clock& clock_;
  const BreakerConfig options_;
  mutable std::mutex mu_;
  std::vector<Bucket> buckets_;
  BreakerState state_ = BreakerState::kClosed;
  uint64_t epoch_ = 0;
  TimePoint opened_at_{};
  TimePoint half_open_at_{};
  int probes_issued_ = 0;
  int probe_successes_ = 0;
  int64_t rejected_total_ = 0;
  int64_t opened_total_ = 0;
};

}  // namespace r1::gateway
