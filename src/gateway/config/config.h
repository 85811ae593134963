// GatewayConfig: the gateway's YAML configuration (pools per model version,
// ports, health checking, circuit breaking, outlier ejection, retries,
// stream continuation, rollout defaults, worker supervision).
//
// Parsing is strict: unknown keys, wrong types and out-of-range values are
// errors whose message starts with the full key path, e.g.
//   "pools[1].replicas: must be >= 1"
//   "health.intervall: unknown key"
// Durations are strings with a unit: "250ms", "30s", "1.5s", "5m", "1h".
//
// Thread contract: value types and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/duration.h"
#include "core/result.h"
#include "core/clock.h"
#include "gateway/policy/breaker.h"
#include "gateway/policy/health.h"
#include "gateway/policy/outlier.h"
#include "gateway/supervisor/supervisor.h"

namespace r1::gateway {

enum class PoolRole { kPrimary, kBackup };

const char* pool_role_name(PoolRole role);

// One model version served by `replicas` identical worker processes.
struct PoolConfig {
  std::string name;                  // unique; the "version" in routing
  std::string model;                 // GGUF path, required in a file
  int replicas = 1;                  // >= 1
  PoolRole role = PoolRole::kPrimary;
  std::vector<std::string> args;     // extra worker argv (after the binary)
  // Static upstreams "IPV4:PORT" the gateway does not start (Kubernetes):
  // health-checked and routed, never spawned; replicas = endpoints.size()
  // and `model` is not required.
  std::vector<std::string> endpoints;
  // "NAME:PORT" (Kubernetes: a headless Service): every IPv4 address NAME
  // resolves to is a replica at PORT, re-resolved every discovery.interval.
  // Replicas come and go without a reload. At run time the discovered
  // addresses fill `endpoints`, one slot per replica index ("" for a
  // vacated slot), so replica ids stay stable while an address stays.
  std::string dns;
};

struct PortsConfig {
  int listen = 8000;  // client traffic (vLLM's and the brief's port)
  int admin = 8001;   // metrics, rollout control
};

// Requests the gateway holds while no replica can take them: none is ready
// yet (starting, restarting) or every one answered 429 (its queue is full).
// They wait in FIFO order (stream continuations first) and go out as soon
// as a replica is ready or a request finishes; past `timeout`, or with
// `max_waiting` already waiting, the answer is 503 with Retry-After.
struct QueueConfig {
  int max_waiting = 1024;
  Duration timeout = std::chrono::seconds(60);
};

// DNS pools (`dns:`): how often their names are re-resolved.
struct DiscoveryConfig {
  Duration interval = std::chrono::seconds(5);
};




struct RetryConfig {
  int max_attempts = 2;          // including the first try
  double budget_percent = 20.0;  // retries / active requests
  int min_retries = 3;           // always allowed concurrently
};

struct StreamConfig {
  bool continuation = true;  // resume a broken stream on another replica
  Duration per_token_timeout = std::chrono::seconds(30);
  // Until an upstream's first token: queueing plus prefill, which for a long
  // prompt, a large model or a continuation arriving with many others takes
  // far longer than one decode step.
  Duration first_token_timeout = std::chrono::minutes(2);
};

struct RolloutConfig {
  int canary_percent = 5;
  Duration analysis_window = std::chrono::minutes(5);
  std::string state_file;  // rollout state (loaded at start); empty: none
  Duration ready_timeout = std::chrono::minutes(10);  // new workers to become ready
};


struct GatewayConfig {
  std::vector<PoolConfig> pools;
  PortsConfig ports;
  HealthConfig health;
  BreakerConfig breaker;
  OutlierConfig outlier;
  RetryConfig retries;
  QueueConfig queue;
  StreamConfig stream;
  RolloutConfig rollout;
  SupervisorConfig supervisor;
  DiscoveryConfig discovery;
  bool test_mode = false;  // enables fault-injection flags on workers
};

// "250ms", "30s", "1.5s", "5m", "1h" <-> milliseconds (src/config/duration.h).
using config::format_duration;
using config::parse_duration;

// Defaults for running without a file: one primary pool "default" with one
// replica whose `model` is empty (the caller fills it in from the CLI).
GatewayConfig default_config();

struct ParseOptions {
  bool cli_test_mode = false;   // --test-mode given: test_mode on before validation
  bool require_model = true;    // false: pools may leave `model` out (`up -c FILE -m M`)
  bool default_pools = false;   // no `pools` key: default_config()'s pool (`up -c FILE`)
};
Result<GatewayConfig> parse_config(std::string_view yaml_text, const ParseOptions& options = {});
Result<GatewayConfig> load_config_file(const std::string& path, const ParseOptions& options = {});

// Cross-field checks (also run by parse_config); errors name the key. Pool
// args starting with "--fault-" or equal to "--test-mode" need test_mode
// ("pools[0].args: fault-injection flags need test_mode").
Status validate(const GatewayConfig& config, bool require_model = true);

// "127.0.0.1:9001" -> host, port; errors name `key`. `allow_names`: the host
// may be a DNS name (a `dns:` pool) instead of an IPv4 address.
struct StaticEndpoint {
  std::string host;
  int port = 0;
};
Result<StaticEndpoint> parse_endpoint(std::string_view text, const std::string& key,
                                      bool allow_names = false);

// Multi-line human-readable summary.
std::string describe(const GatewayConfig& config);

}  // namespace r1::gateway
