#include <gtest/gtest.h>

#include "gateway/support/fake_clock.h"
#include "gateway/policy/outlier.h"

namespace r1::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

OutlierConfig options() {
  OutlierConfig o;
  o.consecutive_5xx = 3;
  o.consecutive_connect_failures = 2;
  o.base_ejection_time = seconds(10);
  o.max_ejection_time = seconds(25);
  o.max_ejection_percent = 50;
  return o;
}

void fail(OutlierDetector& d, const std::string& id, ReplicaOutcome o, int n) {
  for (int i = 0; i < n; ++i) d.record(id, o);
}

TEST(Outlier, ConsecutiveFiveHundredsEjectThenReturn) {
  FakeClock clock;
  ConsecutiveOutlierDetector d(clock, options());
  for (const char* id : {"a", "b", "c"}) d.add_replica(id);
  fail(d, "a", ReplicaOutcome::kServerError, 2);
  d.record("a", ReplicaOutcome::kSuccess);  // breaks the run
  fail(d, "a", ReplicaOutcome::kServerError, 2);
  EXPECT_FALSE(d.is_ejected("a"));
  d.record("a", ReplicaOutcome::kServerError);
  EXPECT_TRUE(d.is_ejected("a"));
  EXPECT_EQ(d.counts().ejected_now, 1);
  clock.advance(milliseconds(9999));
  EXPECT_TRUE(d.is_ejected("a"));
  clock.advance(milliseconds(1));
  EXPECT_FALSE(d.is_ejected("a"));
  EXPECT_EQ(d.counts().ejections_total, 1);
}

TEST(Outlier, ConnectFailuresHaveTheirOwnThreshold) {
  FakeClock clock;
  ConsecutiveOutlierDetector d(clock, options());
  d.add_replica("a");
  d.add_replica("b");
  d.record("a", ReplicaOutcome::kConnectFailure);
  d.record("a", ReplicaOutcome::kServerError);
  EXPECT_FALSE(d.is_ejected("a"));
  d.record("a", ReplicaOutcome::kConnectFailure);
  EXPECT_TRUE(d.is_ejected("a"));
}

TEST(Outlier, EjectionTimeGrowsAndIsCappedThenDecays) {
  FakeClock clock;
  ConsecutiveOutlierDetector d(clock, options());
  d.add_replica("a");
  d.add_replica("b");
  const TimePoint t0 = clock.now();
  fail(d, "a", ReplicaOutcome::kServerError, 3);
  EXPECT_EQ(d.ejected_until("a") - t0, seconds(10));
  clock.advance(seconds(10));
  fail(d, "a", ReplicaOutcome::kServerError, 3);
  EXPECT_EQ(d.ejected_until("a") - clock.now(), seconds(20));
  clock.advance(seconds(20));
  fail(d, "a", ReplicaOutcome::kServerError, 3);
  EXPECT_EQ(d.ejected_until("a") - clock.now(), seconds(25));  // 30 s capped
  // Back for two whole max_ejection_times: the multiplier drops from 3 to 1.
  clock.advance(seconds(25) + seconds(50));
  fail(d, "a", ReplicaOutcome::kServerError, 3);
  EXPECT_EQ(d.ejected_until("a") - clock.now(), seconds(20));
}

TEST(Outlier, NeverEjectsTheOnlyReplica) {
  FakeClock clock;
  ConsecutiveOutlierDetector d(clock, options());
  d.add_replica("solo");
  fail(d, "solo", ReplicaOutcome::kServerError, 30);
  EXPECT_FALSE(d.is_ejected("solo"));
  EXPECT_EQ(d.counts().skipped_total, 10);
}

TEST(Outlier, OfTwoReplicasAtMostOneIsOut) {
  FakeClock clock;
  OutlierConfig o = options();
  o.max_ejection_percent = 10;  // rounds to 0, but one ejection is always allowed
  ConsecutiveOutlierDetector d(clock, o);
  d.add_replica("a");
  d.add_replica("b");
  fail(d, "a", ReplicaOutcome::kServerError, 3);
  fail(d, "b", ReplicaOutcome::kServerError, 3);
  EXPECT_TRUE(d.is_ejected("a"));
  EXPECT_FALSE(d.is_ejected("b"));
  EXPECT_EQ(d.counts().skipped_total, 1);
  clock.advance(seconds(10));  // a returns; b can go now
  fail(d, "b", ReplicaOutcome::kServerError, 3);
  EXPECT_TRUE(d.is_ejected("b"));
  EXPECT_FALSE(d.is_ejected("a"));
}

TEST(Outlier, MaxEjectionPercentLimitsLargePools) {
  FakeClock clock;
  ConsecutiveOutlierDetector d(clock, options());  // 50%
  const std::vector<std::string> ids = {"a", "b", "c", "d", "e", "f"};
  for (const auto& id : ids) d.add_replica(id);
  for (const auto& id : ids) fail(d, id, ReplicaOutcome::kServerError, 3);
  EXPECT_EQ(d.counts().ejected_now, 3);
  EXPECT_EQ(d.counts().skipped_total, 3);
}

TEST(Outlier, UnknownAndRemovedReplicasAreIgnored) {
  FakeClock clock;
  ConsecutiveOutlierDetector d(clock, options());
  d.record("ghost", ReplicaOutcome::kServerError);
  EXPECT_FALSE(d.is_ejected("ghost"));
  d.add_replica("a");
  d.add_replica("b");
  fail(d, "a", ReplicaOutcome::kServerError, 3);
  d.remove_replica("a");
  EXPECT_FALSE(d.is_ejected("a"));
  EXPECT_EQ(d.counts().ejected_now, 0);
}

}  // namespace
}  // namespace r1::gateway
