#include "gateway/policy/breaker.h"

#include <algorithm>

#include "core/enum_names.h"
#include "core/check.h"

namespace r1::gateway {

constexpr EnumName<BreakerState> kBreakerStates[] = {
    {BreakerState::kClosed, "closed"}, {BreakerState::kOpen, "open"}, {BreakerState::kHalfOpen, "half_open"}};

const char* breaker_state_name(BreakerState state) { return enum_name(kBreakerStates, state); }

double BreakerCounts::error_rate_percent() const {
  const int64_t total = successes + errors + timeouts;
  return total == 0 ? 0.0 : 100.0 * static_cast<double>(errors + timeouts) / static_cast<double>(total);
}

BreakerConfig with_buckets(BreakerConfig c) {
  if (c.bucket.count() <= 0) {
    // 1 s buckets; windows shorter than 10 s get 10 buckets.
    c.bucket = std::min<Duration>(std::chrono::seconds(1), std::max<Duration>(Duration{1}, c.window / 10));
  }
  c.window = c.bucket * (c.window / c.bucket);
  return c;
}

WindowBreaker::WindowBreaker(const Clock& clock, BreakerConfig options)
    : clock_(clock), options_(with_buckets(options)) {
  CHECK(options_.bucket.count() > 0);
  CHECK(options_.window >= options_.bucket);
  CHECK(options_.min_requests >= 1);
  CHECK(options_.half_open_probes >= 1);
  buckets_.resize(static_cast<size_t>(options_.window / options_.bucket));
}

int64_t WindowBreaker::bucket_index(TimePoint t) const {
  return std::chrono::duration_cast<Duration>(t.time_since_epoch()) / options_.bucket;
}

WindowBreaker::Bucket& WindowBreaker::current_bucket(TimePoint t) {
  const int64_t index = bucket_index(t);
  Bucket& b = buckets_[static_cast<size_t>(index % static_cast<int64_t>(buckets_.size()))];
  if (b.index != index) b = Bucket{index, 0, 0, 0};
  return b;
}

void WindowBreaker::sum_window(TimePoint t, Bucket& total) const {
  const int64_t now_index = bucket_index(t);
  const int64_t n = static_cast<int64_t>(buckets_.size());
  for (const Bucket& b : buckets_) {
    if (b.index < 0 || b.index <= now_index - n || b.index > now_index) continue;
    total.successes += b.successes;
    total.errors += b.errors;
    total.timeouts += b.timeouts;
  }
}

void WindowBreaker::open(TimePoint t) {
  state_ = BreakerState::kOpen;
  ++epoch_;
  ++opened_total_;
  opened_at_ = t;
}

void WindowBreaker::close() {
  state_ = BreakerState::kClosed;
  ++epoch_;
  // Errors that opened the breaker must not re-open it right away.
  for (Bucket& b : buckets_) b = Bucket{};
}

void WindowBreaker::maybe_half_open(TimePoint t) {
  const bool open_expired = state_ == BreakerState::kOpen && t - opened_at_ >= options_.open_duration;
  // Probes that never report back must not wedge the breaker half-open.
  const bool probes_lost = state_ == BreakerState::kHalfOpen &&
                           probes_issued_ >= options_.half_open_probes &&
                           t - half_open_at_ >= options_.open_duration;
  if (!open_expired && !probes_lost) return;
  state_ = BreakerState::kHalfOpen;
  ++epoch_;
  half_open_at_ = t;
  probes_issued_ = 0;
  probe_successes_ = 0;
}

BreakerTicket WindowBreaker::try_acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  maybe_half_open(clock_.now());
  switch (state_) {
    case BreakerState::kClosed: return BreakerTicket{true, false, epoch_};
    case BreakerState::kOpen: break;
    case BreakerState::kHalfOpen:
      if (probes_issued_ < options_.half_open_probes) {
        ++probes_issued_;
        return BreakerTicket{true, true, epoch_};
      }
      break;
  }
  ++rejected_total_;
  return BreakerTicket{false, false, epoch_};
}

void WindowBreaker::record(const BreakerTicket& ticket, Outcome outcome) {
  CHECK(ticket.allowed) << "recording a refused ticket";
  std::lock_guard<std::mutex> lock(mu_);
  const TimePoint t = clock_.now();
  Bucket& b = current_bucket(t);
  const bool failed = outcome != Outcome::kSuccess;
  (outcome == Outcome::kSuccess ? b.successes : outcome == Outcome::kError ? b.errors : b.timeouts)++;
  if (ticket.epoch != epoch_) return;
  if (state_ == BreakerState::kHalfOpen && ticket.probe) {
    if (failed) {
      open(t);
    } else if (++probe_successes_ >= options_.half_open_probes) {
      close();
    }
    return;
  }
  if (state_ != BreakerState::kClosed || !failed) return;
  Bucket total;
  sum_window(t, total);
  const int64_t n = total.successes + total.errors + total.timeouts;
  const double rate = 100.0 * static_cast<double>(total.errors + total.timeouts) / static_cast<double>(n);
  if (n >= options_.min_requests && rate > options_.error_rate_percent) open(t);
}

BreakerState WindowBreaker::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  const bool expired = state_ == BreakerState::kOpen && clock_.now() - opened_at_ >= options_.open_duration;
  return expired ? BreakerState::kHalfOpen : state_;
}

BreakerCounts WindowBreaker::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket total;
  sum_window(clock_.now(), total);
  BreakerCounts c;
  c.successes = total.successes;
  c.errors = total.errors;
  c.timeouts = total.timeouts;
  c.rejected_total = rejected_total_;
  c.opened_total = opened_total_;
  return c;
}

}  // namespace r1::gateway
