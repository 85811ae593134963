#include <gtest/gtest.h>

#include <fstream>

#include "gateway/config/config.h"

namespace r1::gateway {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesUnits) {
  struct Case {
    const char* text;
    int64_t ms;
  } cases[] = {{"100ms", 100}, {"30s", 30000}, {"1.5s", 1500}, {"5m", 300000}, {"1h", 3600000},
               {"0ms", 0},     {"0.25s", 250}};
  for (const Case& c : cases) {
    auto d = parse_duration(c.text, "k");
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.error().to_string();
    EXPECT_EQ(d->count(), c.ms) << c.text;
  }
}

TEST(Duration, RejectsBadText) {
  for (const char* text : {"", "30", "s", "10 s", "1.2.3s", "5d", "-1s", "0.5ms", "abc", "1e3s"}) {
    auto d = parse_duration(text, "health.interval");
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.error().message.rfind("health.interval: ", 0), 0u) << d.error().message;
  }
}

TEST(Duration, FormatsRoundTrip) {
  EXPECT_EQ(format_duration(milliseconds(100)), "100ms");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(format_duration(milliseconds(30000)), "30s");
  EXPECT_EQ(format_duration(milliseconds(300000)), "5m");
  EXPECT_EQ(format_duration(milliseconds(7200000)), "2h");
}

constexpr const char* kFull = R"(
pools:
  - name: r1-7b-v1
    model: /models/r1-7b-q4.gguf
    replicas: 2
    args: [--threads, "8"]
  - name: r1-1.5b
    model: /models/r1-1.5b.gguf
    role: backup
ports: {listen: 9000, admin: 9001}
health: {interval: 500ms, startup_interval: 100ms, timeout: 200ms, healthy_threshold: 1,
         unhealthy_threshold: 2, liveness_restart_after: 4, startup_grace: 1m, path: /ready}
breaker: {window: 10s, error_rate_percent: 2.5, min_requests: 10, open_duration: 5s, half_open_probes: 2}
outlier: {consecutive_5xx: 3, consecutive_connect_failures: 2, base_ejection_time: 10s,
          max_ejection_time: 2m, max_ejection_percent: 30}
retries: {max_attempts: 3, budget_percent: 10, min_retries: 1}
queue: {max_waiting: 50, timeout: 12s}
discovery: {interval: 2s}
stream: {continuation: false, per_token_timeout: 15s, first_token_timeout: 45s}
rollout: {canary_percent: 10, analysis_window: 2m}
supervisor: {binary: /usr/bin/r1serve, backoff_base: 200ms, backoff_max: 10s, crash_loop_count: 3,
             crash_loop_window: 1m, stop_grace: 5s}
test_mode: true
)";

TEST(Config, ParsesEveryKey) {
  auto c = parse_config(kFull);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->pools.size(), 2u);
  EXPECT_EQ(c->pools[0].name, "r1-7b-v1");
  EXPECT_EQ(c->pools[0].replicas, 2);
  EXPECT_EQ(c->pools[0].role, PoolRole::kPrimary);
  EXPECT_EQ(c->pools[0].args, (std::vector<std::string>{"--threads", "8"}));
  EXPECT_EQ(c->pools[1].role, PoolRole::kBackup);
  EXPECT_EQ(c->pools[1].replicas, 1);
  EXPECT_EQ(c->ports.listen, 9000);
  EXPECT_EQ(c->health.interval, milliseconds(500));
  EXPECT_EQ(c->health.liveness_restart_after, 4);
  EXPECT_EQ(c->health.startup_interval, milliseconds(100));
  EXPECT_EQ(c->queue.max_waiting, 50);
  EXPECT_EQ(c->queue.timeout, milliseconds(12000));
  EXPECT_EQ(c->discovery.interval, milliseconds(2000));
  EXPECT_EQ(c->health.startup_grace, milliseconds(60000));
  EXPECT_DOUBLE_EQ(c->breaker.error_rate_percent, 2.5);
  EXPECT_EQ(c->breaker.half_open_probes, 2);
  EXPECT_EQ(c->outlier.max_ejection_time, milliseconds(120000));
  EXPECT_EQ(c->retries.max_attempts, 3);
  EXPECT_FALSE(c->stream.continuation);
  EXPECT_EQ(c->stream.first_token_timeout, std::chrono::seconds(45));
  EXPECT_EQ(c->rollout.canary_percent, 10);
  EXPECT_EQ(c->supervisor.crash_loop_count, 3);
  EXPECT_TRUE(c->test_mode);
  const std::string text = describe(*c);
  EXPECT_NE(text.find("pool r1-1.5b (backup)"), std::string::npos) << text;
  EXPECT_NE(text.find("every 500ms"), std::string::npos) << text;
  EXPECT_NE(text.find("TEST MODE"), std::string::npos) << text;
}

TEST(Config, DefaultsWhenOnlyPoolsGiven) {
  auto c = parse_config("pools: [{name: a, model: /m.gguf}]");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->health.interval, milliseconds(30000));
  EXPECT_DOUBLE_EQ(c->breaker.error_rate_percent, 5.0);
  EXPECT_EQ(c->breaker.window, milliseconds(30000));
  EXPECT_EQ(c->rollout.canary_percent, 5);
  EXPECT_EQ(c->health.startup_interval, milliseconds(250));
  EXPECT_EQ(c->queue.max_waiting, 1024);
  EXPECT_EQ(c->queue.timeout, milliseconds(60000));
  EXPECT_EQ(c->ports.listen, 8000);
  EXPECT_EQ(c->ports.admin, 8001);
  EXPECT_FALSE(c->test_mode);
}

TEST(Config, DnsPoolHasOneReplicaPerAddressFoundLater) {
  auto c = parse_config("pools: [{name: r1, dns: r1serve-worker.r1serve.svc.cluster.local:8080}]\n"
                        "discovery: {interval: 10s}");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->pools[0].dns, "r1serve-worker.r1serve.svc.cluster.local:8080");
  EXPECT_EQ(c->pools[0].replicas, 0);
  EXPECT_TRUE(c->pools[0].endpoints.empty());
  EXPECT_NE(describe(*c).find("dns r1serve-worker.r1serve.svc.cluster.local:8080 (every 10s)"),
            std::string::npos) << describe(*c);
  auto e = parse_endpoint("workers.test:9000", "k", /*allow_names=*/true);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "workers.test");
  EXPECT_EQ(e->port, 9000);
  EXPECT_FALSE(parse_endpoint("workers.test:9000", "k").ok());  // static endpoints stay numeric
}

TEST(Config, DefaultConfigWithoutFile) {
  GatewayConfig c = default_config();
  ASSERT_EQ(c.pools.size(), 1u);
  EXPECT_EQ(c.pools[0].role, PoolRole::kPrimary);
  EXPECT_TRUE(validate(c, /*require_model=*/false).ok());
  EXPECT_FALSE(validate(c).ok());  // the CLI must fill in the model
  EXPECT_NE(describe(c).find("<model unset>"), std::string::npos);
}

struct BadCase {
  const char* yaml;
  const char* message_prefix;
};

TEST(Config, ValidationNamesTheKey) {
  const std::string pool = "pools: [{name: a, model: /m.gguf}]\n";
  const BadCase cases[] = {
      {"pools: [{name: a, model: /m}, {name: b, model: /m, replicas: 0}]", "pools[1].replicas: must be >= 1"},
      {"pools: [{name: a, model: /m, replica: 2}]", "pools[0].replica: unknown key"},
      {"pools: [{name: a, model: /m, replicas: two}]", "pools[0].replicas: expected an integer, got 'two'"},
      {"pools: [{name: a, model: /m, role: leader}]", "pools[0].role: must be 'primary' or 'backup'"},
      {"pools: [{name: a, model: /m}, {name: a, model: /n}]", "pools[1].name: duplicate pool name 'a'"},
      {"pools: [{name: a, model: /m, role: backup}]", "pools: no pool has role 'primary'"},
      {"pools: [{model: /m}]", "pools[0].name: required"},
      {"pools: [{name: a}]", "pools[0].model: required"},
      {"pools: [{name: a, model: /m, args: --x}]", "pools[0].args: expected a list of strings"},
      {"pools: [{name: a, model: /m, args: [[1]]}]", "pools[0].args[0]: expected a string"},
      {"pools: {name: a}", "pools: expected a list"},
      {"pools: []", "pools: at least one pool is required"},
      {"", "pools: at least one pool is required"},
      {"bogus: 1", "bogus: unknown key"},
      {"health: {intervall: 1s}", "health.intervall: unknown key"},
      {"health: {interval: 50ms}", "health.interval: must be >= 100ms"},
      {"health: {interval: 30}", "health.interval: duration '30' needs a unit"},
      {"health: {interval: 1s, timeout: 2s}", "health.timeout: must be < health.interval"},
      {"health: {path: ready}", "health.path: must start with '/'"},
      {"health: [1]", "health: expected a mapping"},
      {"breaker: {error_rate_percent: 150}", "breaker.error_rate_percent: must be in [0"},
      {"breaker: {error_rate_percent: lots}", "breaker.error_rate_percent: expected a number"},
      {"breaker: {min_requests: 0}", "breaker.min_requests: must be >= 1"},
      {"breaker: {window: {a: 1}}", "breaker.window: expected a duration, got a mapping"},
      {"outlier: {base_ejection_time: 1m, max_ejection_time: 30s}", "outlier.max_ejection_time: must be >="},
      {"outlier: {max_ejection_percent: 101}", "outlier.max_ejection_percent: must be <= 100"},
      {"ports: {listen: 70000}", "ports.listen: must be <= 65535"},
      {"ports: {listen: 9000, admin: 9000}", "ports.admin: must differ from ports.listen"},
      {"retries: {max_attempts: 0}", "retries.max_attempts: must be >= 1"},
      {"stream: {continuation: maybe}", "stream.continuation: expected a boolean, got 'maybe'"},
      {"rollout: {canary_percent: -1}", "rollout.canary_percent: must be >= 0"},
      {"supervisor: {backoff_base: 10s, backoff_max: 1s}", "supervisor.backoff_max: must be >="},
      {"supervisor: {restart: always}", "supervisor.restart: unknown key"},
      {"test_mode: 3", "test_mode: expected a boolean"},
      {"pools: [{name: a, dns: 'w.test'}]", "pools[0].dns: expected 'NAME:PORT'"},
      {"pools: [{name: a, dns: 'w..test:80'}]", "pools[0].dns: host must be a DNS name"},
      {"pools: [{name: a, dns: 'w_x:80'}]", "pools[0].dns: host must be a DNS name"},
      {"pools: [{name: a, dns: 'w.test:0'}]", "pools[0].dns: port must be 1..65535"},
      {"pools: [{name: a, dns: 'w.test:80', replicas: 2}]", "pools[0].replicas: a dns pool has one replica"},
      {"pools: [{name: a, dns: 'w:80', endpoints: ['127.0.0.1:80']}]", "pools[0].dns: give either dns or endpoints"},
      {"health: {startup_interval: 10ms}", "health.startup_interval: must be >= 50ms"},
      {"queue: {max_waiting: -1}", "queue.max_waiting: must be >= 0"},
      {"queue: {timeout: soon}", "queue.timeout: expected a duration"},
      {"discovery: {interval: 10ms}", "discovery.interval: must be >= 100ms"},
  };
  for (const BadCase& c : cases) {
    const bool has_pools = std::string(c.yaml).rfind("pools", 0) == 0 || std::string(c.yaml).empty();
    const std::string yaml = has_pools ? std::string(c.yaml) : pool + c.yaml;
    auto config = parse_config(yaml);
    ASSERT_FALSE(config.ok()) << yaml;
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(config.error().message.rfind(c.message_prefix, 0), 0u)
        << "yaml: " << yaml << "\n got: " << config.error().message;
  }
}

// The gateway config the Kubernetes manifests ship (deploy/k8s/base) parses
// and names the headless Service the worker StatefulSet publishes.
TEST(Config, KubernetesGatewayConfigParses) {
  auto c = load_config_file(std::string(R1_SOURCE_DIR) + "/deploy/k8s/base/gateway.yaml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->pools.size(), 1u);
  EXPECT_EQ(c->pools[0].dns, "r1serve-worker.r1serve.svc.cluster.local:8080");
  EXPECT_EQ(c->ports.listen, 8000);
  EXPECT_EQ(c->ports.admin, 8001);
  EXPECT_EQ(c->discovery.interval, milliseconds(5000));
}

TEST(Config, SyntaxErrorIsAnErrorNotAThrow) {
  auto c = parse_config("pools: [{name: a");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("yaml: ", 0), 0u) << c.error().message;
}

TEST(Config, LoadFileNamesThePath) {
  auto missing = load_config_file("/nonexistent/gateway.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  const std::string path = std::string(R1_BINARY_DIR) + "/gateway_config_test.yaml";
  std::ofstream(path) << "pools: [{name: a, model: /m, replicas: 0}]\n";
  auto bad = load_config_file(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "pools[0].replicas: must be >= 1 (" + path + ")");
  std::ofstream(path) << kFull;
  EXPECT_TRUE(load_config_file(path).ok());
}

}  // namespace
}  // namespace r1::gateway
