#include <gtest/gtest.h>

#include "gateway/support/fake_clock.h"
#include "gateway/policy/breaker.h"

namespace r1::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

BreakerConfig options() {
  BreakerConfig o;
  o.window = seconds(30);
  o.bucket = seconds(1);
  o.error_rate_percent = 5.0;
  o.min_requests = 20;
  o.open_duration = seconds(10);
  o.half_open_probes = 2;
  return o;
}

void send(WindowBreaker& b, Outcome outcome, int n = 1) {
  for (int i = 0; i < n; ++i) {
    BreakerTicket t = b.try_acquire();
    ASSERT_TRUE(t.allowed);
    b.record(t, outcome);
  }
}

TEST(Breaker, StaysClosedBelowMinimumVolume) {
  FakeClock clock;
  WindowBreaker b(clock, options());
  send(b, Outcome::kError, 19);  // 100% errors but only 19 requests
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  send(b, Outcome::kTimeout);  // the 20th: timeouts count as errors
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.counts().opened_total, 1);
}

TEST(Breaker, OpensOnlyAboveFivePercent) {
  FakeClock clock;
  WindowBreaker b(clock, options());
  send(b, Outcome::kSuccess, 38);
  send(b, Outcome::kError, 2);  // 2/40 = 5%: not above
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_DOUBLE_EQ(b.counts().error_rate_percent(), 5.0);
  send(b, Outcome::kError);  // 3/41 = 7.3%
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_FALSE(b.try_acquire().allowed);
  EXPECT_EQ(b.counts().rejected_total, 1);
}

TEST(Breaker, OldErrorsAgeOutOfTheWindow) {
  FakeClock clock;
  WindowBreaker b(clock, options());
  send(b, Outcome::kError, 5);
  clock.advance(seconds(31));  // those five are out of the 30 s window
  send(b, Outcome::kSuccess, 100);
  send(b, Outcome::kError, 5);  // 5/105 < 5%
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.counts().errors, 5);
  // Spread over time: buckets still inside the window keep counting.
  clock.advance(seconds(20));
  send(b, Outcome::kError, 1);  // 6/106 = 5.7%
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(Breaker, HalfOpenProbesThenCloses) {
  FakeClock clock;
  WindowBreaker b(clock, options());
  send(b, Outcome::kError, 20);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
  clock.advance(milliseconds(9999));
  EXPECT_FALSE(b.try_acquire().allowed);
  clock.advance(milliseconds(1));
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  BreakerTicket p1 = b.try_acquire();
  BreakerTicket p2 = b.try_acquire();
  EXPECT_TRUE(p1.allowed && p1.probe && p2.allowed && p2.probe);
  EXPECT_FALSE(b.try_acquire().allowed);  // only two probes
  b.record(p1, Outcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  b.record(p2, Outcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  // The errors that opened it are forgotten: one more error does not re-open.
  send(b, Outcome::kError);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(Breaker, ProbeFailureReopens) {
  FakeClock clock;
  WindowBreaker b(clock, options());
  send(b, Outcome::kError, 20);
  clock.advance(seconds(10));
  BreakerTicket p = b.try_acquire();
  ASSERT_TRUE(p.probe);
  b.record(p, Outcome::kError);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.counts().opened_total, 2);
  clock.advance(seconds(5));
  EXPECT_FALSE(b.try_acquire().allowed);  // a fresh open_duration
  clock.advance(seconds(5));
  EXPECT_TRUE(b.try_acquire().allowed);
}

TEST(Breaker, StaleTicketsDoNotDecideTheTrial) {
  FakeClock clock;
  WindowBreaker b(clock, options());
  BreakerTicket old = b.try_acquire();  // admitted while closed
  send(b, Outcome::kError, 20);
  clock.advance(seconds(10));
  BreakerTicket probe = b.try_acquire();
  b.record(old, Outcome::kError);  // late failure from before: ignored for the trial
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  b.record(probe, Outcome::kSuccess);
  b.record(b.try_acquire(), Outcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(Breaker, LostProbesDoNotWedgeHalfOpen) {
  FakeClock clock;
  WindowBreaker b(clock, options());
  send(b, Outcome::kError, 20);
  clock.advance(seconds(10));
  EXPECT_TRUE(b.try_acquire().probe);
  EXPECT_TRUE(b.try_acquire().probe);  // both never reported
  EXPECT_FALSE(b.try_acquire().allowed);
  clock.advance(seconds(10));
  EXPECT_TRUE(b.try_acquire().probe);
}

TEST(Breaker, OptionsFromConfigUseOneSecondBuckets) {
  BreakerConfig c;
  BreakerConfig o = with_buckets(c);
  EXPECT_EQ(o.bucket, seconds(1));
  EXPECT_EQ(o.window, seconds(30));
  c.window = seconds(2);
  o = with_buckets(c);
  EXPECT_EQ(o.bucket, milliseconds(200));
  EXPECT_EQ(o.window, seconds(2));
}

}  // namespace
}  // namespace r1::gateway
