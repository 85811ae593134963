#include <gtest/gtest.h>

#include <map>
#include <set>

#include "gateway/support/fake_clock.h"
#include "gateway/support/fakes.h"
#include "gateway/policy/router.h"

namespace r1::gateway {
namespace {

struct Version {
  FakeBreaker* breaker;
  FakeOutlierDetector* outlier;
};

// A router whose breakers and outlier detectors are fakes the test drives.
class RouterTest : public ::testing::Test {
 protected:
  Version add(const std::string& name, PoolRole role, int replicas) {
    auto breaker = std::make_unique<FakeBreaker>();
    auto outlier = std::make_unique<FakeOutlierDetector>();
    Version v{breaker.get(), outlier.get()};
    EXPECT_TRUE(router_.add_version(name, role, std::move(breaker), std::move(outlier)).ok());
    for (int i = 0; i < replicas; ++i) {
      const std::string id = name + "/" + std::to_string(i);
      EXPECT_TRUE(router_.add_replica(name, ReplicaInfo{id, "127.0.0.1", 9000 + i}).ok());
      router_.set_healthy(id, true);
    }
    return v;
  }
  RouteDecision pick(const std::string& key = "") {
    auto d = router_.pick(RouteRequest{key});
    EXPECT_TRUE(d.ok()) << d.error().to_string();
    return d.ok() ? *d : RouteDecision{};
  }
  DefaultRouter router_;
};

TEST_F(RouterTest, LeastOutstandingRequests) {
  add("v1", PoolRole::kPrimary, 3);
  RouteDecision a = pick(), b = pick(), c = pick();
  std::set<std::string> first = {a.replica.id, b.replica.id, c.replica.id};
  EXPECT_EQ(first.size(), 3u);  // one each before any gets a second
  router_.release(b, RequestOutcome::kSuccess);
  EXPECT_EQ(pick().replica.id, b.replica.id);  // the only one with 0 outstanding
  for (const auto& s : router_.snapshot()) EXPECT_EQ(s.outstanding, 1) << s.id;
}

TEST_F(RouterTest, EvenSpreadWithoutKeys) {
  add("v1", PoolRole::kPrimary, 2);
  std::map<std::string, int> served;
  for (int i = 0; i < 100; ++i) {
    RouteDecision d = pick();
    ++served[d.replica.id];
    router_.release(d, RequestOutcome::kSuccess);
  }
  EXPECT_EQ(served["v1/0"], 50);
  EXPECT_EQ(served["v1/1"], 50);
}

TEST_F(RouterTest, UnhealthyAndEjectedReplicasAreSkipped) {
  Version v = add("v1", PoolRole::kPrimary, 3);
  router_.set_healthy("v1/0", false);
  v.outlier->set_ejected("v1/1", true);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pick().replica.id, "v1/2");
  router_.set_healthy("v1/2", false);
  auto none = router_.pick(RouteRequest{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kResourceExhausted);
}

TEST_F(RouterTest, NewReplicasAreNotRoutableUntilHealthy) {
  add("v1", PoolRole::kPrimary, 1);
  ASSERT_TRUE(router_.add_replica("v1", ReplicaInfo{"v1/new", "127.0.0.1", 9100}).ok());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(pick().replica.id, "v1/0");
  EXPECT_FALSE(router_.add_replica("v1", ReplicaInfo{"v1/new", "127.0.0.1", 1}).ok());
  EXPECT_FALSE(router_.add_replica("nope", ReplicaInfo{"x", "127.0.0.1", 1}).ok());
}

TEST_F(RouterTest, AffinityIsStickyAndOnlyFailedSessionsMove) {
  add("v1", PoolRole::kPrimary, 4);
  std::map<std::string, std::string> home;
  for (int s = 0; s < 400; ++s) {
    const std::string key = "session-" + std::to_string(s);
    RouteDecision d = pick(key);
    home[key] = d.replica.id;
    for (int again = 0; again < 3; ++again) EXPECT_EQ(pick(key).replica.id, d.replica.id);
  }
  std::map<std::string, int> per_replica;
  for (const auto& [k, id] : home) ++per_replica[id];
  for (const auto& [id, n] : per_replica) EXPECT_GT(n, 60) << id;  // ~100 each
  router_.set_healthy("v1/2", false);
  for (const auto& [key, id] : home) {
    const std::string now = pick(key).replica.id;
    if (id == "v1/2") {
      EXPECT_NE(now, "v1/2");
    } else {
      EXPECT_EQ(now, id) << key;  // unaffected sessions stay put
    }
  }
  router_.set_healthy("v1/2", true);
  for (const auto& [key, id] : home) EXPECT_EQ(pick(key).replica.id, id);  // and come back
}

TEST_F(RouterTest, CanaryShareIsAboutFivePercentAndSticky) {
  add("stable", PoolRole::kPrimary, 2);
  add("canary", PoolRole::kPrimary, 1);
  ASSERT_TRUE(router_.set_canary("canary", 5).ok());
  int canary = 0;
  for (int s = 0; s < 10000; ++s) {
    const std::string key = "s" + std::to_string(s);
    RouteDecision d = pick(key);
    EXPECT_EQ(d.canary, d.version == "canary");
    EXPECT_FALSE(d.fallback);
    if (d.canary) ++canary;
    EXPECT_EQ(pick(key).version, d.version);  // sticky
    EXPECT_EQ(in_canary_share(key, 5), d.canary);
  }
  EXPECT_GT(canary, 400);
  EXPECT_LT(canary, 600);
  // Raising the share keeps every canary session on the canary.
  for (int s = 0; s < 2000; ++s) {
    const std::string key = "s" + std::to_string(s);
    if (in_canary_share(key, 5)) {
      EXPECT_TRUE(in_canary_share(key, 20)) << key;
    }
  }
  router_.clear_canary();
  for (int s = 0; s < 200; ++s) EXPECT_EQ(pick("s" + std::to_string(s)).version, "stable");
}

TEST_F(RouterTest, OpenBreakerOnPrimaryFallsBackToBackup) {
  Version v1 = add("v1", PoolRole::kPrimary, 1);
  add("small", PoolRole::kBackup, 1);
  EXPECT_EQ(pick().version, "v1");
  v1.breaker->set_state(BreakerState::kOpen);
  RouteDecision d = pick("any");
  EXPECT_EQ(d.version, "small");
  EXPECT_TRUE(d.fallback);
  v1.breaker->set_state(BreakerState::kClosed);
  router_.set_healthy("v1/0", false);  // no routable replica: also falls back
  EXPECT_EQ(pick().version, "small");
}

TEST_F(RouterTest, CanaryFallsBackToStable) {
  add("stable", PoolRole::kPrimary, 1);
  Version c = add("canary", PoolRole::kPrimary, 1);
  ASSERT_TRUE(router_.set_canary("canary", 100).ok());
  EXPECT_EQ(pick("k").version, "canary");
  c.breaker->set_state(BreakerState::kOpen);
  RouteDecision d = pick("k");
  EXPECT_EQ(d.version, "stable");
  EXPECT_TRUE(d.fallback);
  EXPECT_FALSE(d.canary);
}

TEST_F(RouterTest, ReleaseFeedsBreakerAndOutlier) {
  Version v = add("v1", PoolRole::kPrimary, 1);
  const RequestOutcome outcomes[] = {RequestOutcome::kSuccess, RequestOutcome::kClientError,
                                     RequestOutcome::kServerError, RequestOutcome::kConnectFailure,
                                     RequestOutcome::kTimeout, RequestOutcome::kCancelled};
  for (RequestOutcome o : outcomes) router_.release(pick(), o);
  EXPECT_EQ(v.breaker->recorded(), (std::vector<Outcome>{Outcome::kSuccess, Outcome::kSuccess, Outcome::kError,
                                                         Outcome::kError, Outcome::kTimeout}));
  const auto rec = v.outlier->recorded();
  ASSERT_EQ(rec.size(), 5u);
  EXPECT_EQ(rec[2].second, ReplicaOutcome::kServerError);
  EXPECT_EQ(rec[3].second, ReplicaOutcome::kConnectFailure);
  EXPECT_EQ(router_.snapshot()[0].outstanding, 0);
}

TEST(Router, RealBreakerOpensAndRoutesToBackup) {
  FakeClock clock;
  GatewayConfig config;
  config.pools = {PoolConfig{"v1", "/m", 1, PoolRole::kPrimary, {}},
                  PoolConfig{"small", "/s", 1, PoolRole::kBackup, {}}};
  config.breaker.min_requests = 10;
  auto router = make_router(config, clock);
  ASSERT_TRUE(router->add_replica("v1", ReplicaInfo{"v1/0", "127.0.0.1", 1}).ok());
  ASSERT_TRUE(router->add_replica("small", ReplicaInfo{"small/0", "127.0.0.1", 2}).ok());
  router->set_healthy("v1/0", true);
  router->set_healthy("small/0", true);
  for (int i = 0; i < 10; ++i) {
    auto d = router->pick(RouteRequest{"k"});
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->version, "v1");
    router->release(*d, RequestOutcome::kServerError);
  }
  EXPECT_EQ(router->breaker("v1")->state(), BreakerState::kOpen);
  EXPECT_EQ(router->pick(RouteRequest{"k"})->version, "small");
  clock.advance(config.breaker.open_duration);
  auto probe = router->pick(RouteRequest{"k"});
  EXPECT_EQ(probe->version, "v1");  // half-open lets a probe through
  EXPECT_TRUE(probe->ticket.probe);
}

TEST(Router, OpenBreakerWithNoOtherVersionFailsOpen) {
  FakeClock clock;
  GatewayConfig config;
  config.pools = {PoolConfig{"v1", "/m", 1, PoolRole::kPrimary, {}}};
  config.breaker.min_requests = 10;
  auto router = make_router(config, clock);
  ASSERT_TRUE(router->add_replica("v1", ReplicaInfo{"v1/0", "127.0.0.1", 1}).ok());
  router->set_healthy("v1/0", true);
  for (int i = 0; i < 10; ++i) {
    auto d = router->pick(RouteRequest{"k"});
    ASSERT_TRUE(d.ok());
    router->release(*d, RequestOutcome::kConnectFailure);
  }
  ASSERT_EQ(router->breaker("v1")->state(), BreakerState::kOpen);
  // Nothing else can serve: the request still goes to v1 (not a 503), and
  // its outcome moves no breaker state.
  auto d = router->pick(RouteRequest{"k"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->version, "v1");
  EXPECT_FALSE(d->ticket.probe);
  router->release(*d, RequestOutcome::kSuccess);
  EXPECT_EQ(router->breaker("v1")->state(), BreakerState::kOpen);
  // With no healthy replica at all it is still an error.
  router->set_healthy("v1/0", false);
  EXPECT_FALSE(router->pick(RouteRequest{"k"}).ok());
}

}  // namespace
}  // namespace r1::gateway
