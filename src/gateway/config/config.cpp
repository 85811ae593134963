#include "gateway/config/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "config/yaml_section.h"
#include "http/url.h"

namespace r1::gateway {
namespace {

using config::config_error;
using config::YamlSection;
using config::yaml_kind;

using std::chrono::milliseconds;
constexpr Duration kMinInterval{100};
constexpr Duration kMinDuration{1};
constexpr int kMaxCount = 1000000;

Status parse_pool(const YamlSection& s, PoolConfig& pool) {
  R1_RETURN_IF_ERROR(s.check_keys({"name", "model", "replicas", "role", "args", "endpoints", "dns"}));
  if (!s.has("name")) return config_error(s.key_path("name"), "required");
  R1_RETURN_IF_ERROR(s.read_string("name", pool.name, true));
  R1_RETURN_IF_ERROR(s.read_string("model", pool.model, false));
  R1_RETURN_IF_ERROR(s.read_int("replicas", pool.replicas, 1, 64));
  std::string role = "primary";
  R1_RETURN_IF_ERROR(s.read_string("role", role, true));
  if (role == "primary") {
    pool.role = PoolRole::kPrimary;
  } else if (role == "backup") {
    pool.role = PoolRole::kBackup;
  } else {
    return config_error(s.key_path("role"), "must be 'primary' or 'backup', got '" + role + "'");
  }
  R1_RETURN_IF_ERROR(s.read_strings("args", pool.args));
  R1_RETURN_IF_ERROR(s.read_strings("endpoints", pool.endpoints));
  R1_RETURN_IF_ERROR(s.read_string("dns", pool.dns, false));
  if (!pool.dns.empty()) {
    if (s.has("endpoints")) return config_error(s.key_path("dns"), "give either dns or endpoints, not both");
    if (s.has("replicas")) return config_error(s.key_path("replicas"), "a dns pool has one replica per address");
    R1_RETURN_IF_ERROR(parse_endpoint(pool.dns, s.key_path("dns"), true));
    pool.replicas = 0;
    return Status();
  }
  if (pool.endpoints.empty()) return Status();
  if (s.has("replicas") && pool.replicas != static_cast<int>(pool.endpoints.size())) {
    return config_error(s.key_path("replicas"), "must equal the number of endpoints (or be left out)");
  }
  pool.replicas = static_cast<int>(pool.endpoints.size());
  return Status();
}

Status parse_pools(const YamlSection& root, std::vector<PoolConfig>& pools) {
  if (!root.has("pools")) return Status();
  YAML::Node list = root.get("pools");
  if (!list.IsSequence()) {
    return config_error("pools", std::string("expected a list, got ") + yaml_kind(list));
  }
  pools.clear();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = "pools[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) {
      return config_error(path, std::string("expected a mapping, got ") + yaml_kind(list[i]));
    }
    PoolConfig pool;
    R1_RETURN_IF_ERROR(parse_pool(YamlSection(list[i], path), pool));
    pools.push_back(std::move(pool));
  }
  return Status();
}

Status parse_ports(const YamlSection& s, PortsConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"listen", "admin"}));
  R1_RETURN_IF_ERROR(s.read_int("listen", c.listen, 0, 65535));
  return s.read_int("admin", c.admin, 0, 65535);
}

Status parse_health(const YamlSection& s, HealthConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"interval", "startup_interval", "timeout", "healthy_threshold",
                                   "unhealthy_threshold", "liveness_restart_after", "startup_grace", "path"}));
  R1_RETURN_IF_ERROR(s.read_duration("interval", c.interval, kMinInterval));
  R1_RETURN_IF_ERROR(s.read_duration("startup_interval", c.startup_interval, Duration{50}));
  R1_RETURN_IF_ERROR(s.read_duration("timeout", c.timeout, kMinDuration));
  R1_RETURN_IF_ERROR(s.read_int("healthy_threshold", c.healthy_threshold, 1, 100));
  R1_RETURN_IF_ERROR(s.read_int("unhealthy_threshold", c.unhealthy_threshold, 1, 100));
  R1_RETURN_IF_ERROR(s.read_int("liveness_restart_after", c.liveness_restart_after, 1, 100));
  R1_RETURN_IF_ERROR(s.read_duration("startup_grace", c.startup_grace, Duration{0}));
  R1_RETURN_IF_ERROR(s.read_string("path", c.path, true));
  if (c.path[0] != '/') return config_error(s.key_path("path"), "must start with '/'");
  return Status();
}

Status parse_breaker(const YamlSection& s, BreakerConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys(
      {"window", "error_rate_percent", "min_requests", "open_duration", "half_open_probes"}));
  R1_RETURN_IF_ERROR(s.read_duration("window", c.window, std::chrono::seconds(1)));
  R1_RETURN_IF_ERROR(s.read_double("error_rate_percent", c.error_rate_percent, 0.0, 100.0));
  R1_RETURN_IF_ERROR(s.read_int("min_requests", c.min_requests, 1, kMaxCount));
  R1_RETURN_IF_ERROR(s.read_duration("open_duration", c.open_duration, kMinDuration));
  return s.read_int("half_open_probes", c.half_open_probes, 1, 1000);
}

Status parse_outlier(const YamlSection& s, OutlierConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"consecutive_5xx", "consecutive_connect_failures",
                                   "base_ejection_time", "max_ejection_time", "max_ejection_percent"}));
  R1_RETURN_IF_ERROR(s.read_int("consecutive_5xx", c.consecutive_5xx, 1, kMaxCount));
  R1_RETURN_IF_ERROR(s.read_int("consecutive_connect_failures", c.consecutive_connect_failures, 1, kMaxCount));
  R1_RETURN_IF_ERROR(s.read_duration("base_ejection_time", c.base_ejection_time, kMinDuration));
  R1_RETURN_IF_ERROR(s.read_duration("max_ejection_time", c.max_ejection_time, kMinDuration));
  return s.read_int("max_ejection_percent", c.max_ejection_percent, 0, 100);
}

Status parse_retries(const YamlSection& s, RetryConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"max_attempts", "budget_percent", "min_retries"}));
  R1_RETURN_IF_ERROR(s.read_int("max_attempts", c.max_attempts, 1, 10));
  R1_RETURN_IF_ERROR(s.read_double("budget_percent", c.budget_percent, 0.0, 100.0));
  return s.read_int("min_retries", c.min_retries, 0, kMaxCount);
}

Status parse_queue(const YamlSection& s, QueueConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"max_waiting", "timeout"}));
  R1_RETURN_IF_ERROR(s.read_int("max_waiting", c.max_waiting, 0, kMaxCount));
  return s.read_duration("timeout", c.timeout, Duration{0});
}

Status parse_discovery(const YamlSection& s, DiscoveryConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"interval"}));
  return s.read_duration("interval", c.interval, kMinInterval);
}

Status parse_stream(const YamlSection& s, StreamConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"continuation", "per_token_timeout", "first_token_timeout"}));
  R1_RETURN_IF_ERROR(s.read_bool("continuation", c.continuation));
  R1_RETURN_IF_ERROR(s.read_duration("first_token_timeout", c.first_token_timeout, kMinInterval));
  return s.read_duration("per_token_timeout", c.per_token_timeout, kMinInterval);
}

Status parse_rollout(const YamlSection& s, RolloutConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"canary_percent", "analysis_window", "state_file", "ready_timeout"}));
  R1_RETURN_IF_ERROR(s.read_int("canary_percent", c.canary_percent, 0, 100));
  R1_RETURN_IF_ERROR(s.read_string("state_file", c.state_file, false));
  R1_RETURN_IF_ERROR(s.read_duration("ready_timeout", c.ready_timeout, std::chrono::seconds(1)));
  return s.read_duration("analysis_window", c.analysis_window, std::chrono::seconds(1));
}

Status parse_supervisor(const YamlSection& s, SupervisorConfig& c) {
  R1_RETURN_IF_ERROR(s.check_keys({"binary", "backoff_base", "backoff_max", "crash_loop_count",
                                   "crash_loop_window", "stop_grace"}));
  R1_RETURN_IF_ERROR(s.read_string("binary", c.binary, false));
  R1_RETURN_IF_ERROR(s.read_duration("backoff_base", c.backoff_base, kMinDuration));
  R1_RETURN_IF_ERROR(s.read_duration("backoff_max", c.backoff_max, kMinDuration));
  R1_RETURN_IF_ERROR(s.read_int("crash_loop_count", c.crash_loop_count, 1, 1000));
  R1_RETURN_IF_ERROR(s.read_duration("crash_loop_window", c.crash_loop_window, kMinDuration));
  return s.read_duration("stop_grace", c.stop_grace, Duration{0});
}

// Applies `parse` to the child mapping `key` of `root`.
template <typename T, typename F>
Status parse_section(const YamlSection& root, std::string_view key, T& out, F parse) {
  R1_ASSIGN_OR_RETURN(YamlSection s, root.section(key));
  return parse(s, out);
}

Status parse_root(const YamlSection& root, GatewayConfig& c) {
  R1_RETURN_IF_ERROR(root.check_keys({"pools", "ports", "health", "breaker", "outlier", "retries", "queue",
                                      "stream", "rollout", "supervisor", "discovery", "test_mode"}));
  R1_RETURN_IF_ERROR(parse_pools(root, c.pools));
  R1_RETURN_IF_ERROR(parse_section(root, "ports", c.ports, parse_ports));
  R1_RETURN_IF_ERROR(parse_section(root, "health", c.health, parse_health));
  R1_RETURN_IF_ERROR(parse_section(root, "breaker", c.breaker, parse_breaker));
  R1_RETURN_IF_ERROR(parse_section(root, "outlier", c.outlier, parse_outlier));
  R1_RETURN_IF_ERROR(parse_section(root, "retries", c.retries, parse_retries));
  R1_RETURN_IF_ERROR(parse_section(root, "queue", c.queue, parse_queue));
  R1_RETURN_IF_ERROR(parse_section(root, "discovery", c.discovery, parse_discovery));
  R1_RETURN_IF_ERROR(parse_section(root, "stream", c.stream, parse_stream));
  R1_RETURN_IF_ERROR(parse_section(root, "rollout", c.rollout, parse_rollout));
  R1_RETURN_IF_ERROR(parse_section(root, "supervisor", c.supervisor, parse_supervisor));
  return root.read_bool("test_mode", c.test_mode);
}

bool is_test_flag(const std::string& arg) {
  return arg.rfind("--fault-", 0) == 0 || arg == "--test-mode" || arg.rfind("--test-mode=", 0) == 0;
}

Status validate_endpoints(const PoolConfig& p, const std::string& path) {
  if (!p.dns.empty()) {  // endpoints: discovered at run time
    R1_RETURN_IF_ERROR(parse_endpoint(p.dns, path + ".dns", true));
    return Status();
  }
  for (size_t j = 0; j < p.endpoints.size(); ++j) {
    R1_RETURN_IF_ERROR(parse_endpoint(p.endpoints[j], path + ".endpoints[" + std::to_string(j) + "]"));
  }
  if (!p.endpoints.empty() && p.replicas != static_cast<int>(p.endpoints.size())) {
    return config_error(path + ".replicas", "must equal the number of endpoints");
  }
  return Status();
}

Status validate_pools(const std::vector<PoolConfig>& pools, bool require_model, bool test_mode) {
  if (pools.empty()) return config_error("pools", "at least one pool is required");
  std::set<std::string> names;
  bool has_primary = false;
  for (size_t i = 0; i < pools.size(); ++i) {
    const std::string path = "pools[" + std::to_string(i) + "]";
    const PoolConfig& p = pools[i];
    if (p.name.empty()) return config_error(path + ".name", "required");
    if (!names.insert(p.name).second) {
      return config_error(path + ".name", "duplicate pool name '" + p.name + "'");
    }
    if (require_model && p.model.empty() && p.endpoints.empty() && p.dns.empty()) {
      return config_error(path + ".model", "required (or endpoints, or dns)");
    }
    if (p.replicas < 1 && p.dns.empty()) return config_error(path + ".replicas", "must be >= 1");
    R1_RETURN_IF_ERROR(validate_endpoints(p, path));
    for (const std::string& a : p.args) {
      if (!test_mode && is_test_flag(a)) {
        return config_error(path + ".args", "fault-injection flags need test_mode ('" + a +
                                                "'; set test_mode: true or pass --test-mode)");
      }
    }
    has_primary = has_primary || p.role == PoolRole::kPrimary;
  }
  if (!has_primary) return config_error("pools", "no pool has role 'primary'");
  return Status();
}

}  // namespace

const char* pool_role_name(PoolRole role) {
  return role == PoolRole::kPrimary ? "primary" : "backup";
}

GatewayConfig default_config() {
  GatewayConfig c;
  PoolConfig pool;
  pool.name = "default";
  c.pools.push_back(pool);
  return c;
}

Status validate(const GatewayConfig& c, bool require_model) {
  R1_RETURN_IF_ERROR(validate_pools(c.pools, require_model, c.test_mode));
  if (c.ports.listen != 0 && c.ports.listen == c.ports.admin) {
    return config_error("ports.admin", "must differ from ports.listen");
  }
  if (c.health.interval < kMinInterval) return config_error("health.interval", "must be >= 100ms");
  if (c.health.timeout >= c.health.interval) {
    return config_error("health.timeout", "must be < health.interval (" +
                                              format_duration(c.health.interval) + ")");
  }
  if (c.outlier.max_ejection_time < c.outlier.base_ejection_time) {
    return config_error("outlier.max_ejection_time", "must be >= outlier.base_ejection_time");
  }
  if (c.supervisor.backoff_max < c.supervisor.backoff_base) {
    return config_error("supervisor.backoff_max", "must be >= supervisor.backoff_base");
  }
  return Status();
}

Result<StaticEndpoint> parse_endpoint(std::string_view text, const std::string& key, bool allow_names) {
  const std::string t(text);
  const char* expected = allow_names ? "expected 'NAME:PORT'" : "expected 'IPV4:PORT'";
  const Result<http::Authority> a = http::split_authority(text);
  if (!a.ok() || a->host.empty() || a->port.empty()) {
    return config_error(key, std::string(expected) + ", got '" + t + "'");
  }
  StaticEndpoint e;
  e.host = std::string(a->host);
  if (allow_names ? !http::is_dns_name(e.host) : !http::is_numeric_ipv4(e.host)) {
    return config_error(key, std::string(allow_names ? "host must be a DNS name or IPv4 address"
                                                     : "host must be a numeric IPv4 address") +
                                 ", got '" + e.host + "'");
  }
  const Result<uint16_t> port = http::parse_port(a->port);
  if (!port.ok()) return config_error(key, port.error().message);
  e.port = *port;
  return e;
}

Result<GatewayConfig> parse_config(std::string_view yaml_text, const ParseOptions& options) {
  GatewayConfig c = options.default_pools ? default_config() : GatewayConfig{};
  R1_RETURN_IF_ERROR(config::parse_yaml(yaml_text, "config",
                                          [&c](const YamlSection& root) { return parse_root(root, c); }));
  c.test_mode = c.test_mode || options.cli_test_mode;
  R1_RETURN_IF_ERROR(validate(c, options.require_model));
  return c;
}

Result<GatewayConfig> load_config_file(const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open gateway config '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  auto config = parse_config(text.str(), options);
  if (!config.ok()) {
    return make_error(config.error().code, config.error().message + " (" + path + ")");
  }
  return config;
}

std::string describe(const GatewayConfig& c) {
  std::ostringstream os;
  os << "gateway: listen :" << c.ports.listen << ", admin :" << c.ports.admin
     << (c.test_mode ? ", TEST MODE (fault injection on)" : "") << "\n";
  for (const PoolConfig& p : c.pools) {
    os << "  pool " << p.name << " (" << pool_role_name(p.role) << "): " << p.replicas
       << " x " << (p.model.empty() ? "<model unset>" : p.model);
    for (const std::string& a : p.args) os << " " << a;
    for (const std::string& e : p.endpoints) os << " endpoint " << e;
    if (!p.dns.empty()) os << " dns " << p.dns << " (every " << format_duration(c.discovery.interval) << ")";
    os << "\n";
  }
  const auto& h = c.health;
  os << "  health: GET " << h.path << " every " << format_duration(h.interval) << " ("
     << format_duration(h.startup_interval) << " until first ready), timeout "
     << format_duration(h.timeout) << ", healthy after " << h.healthy_threshold << ", unhealthy after "
     << h.unhealthy_threshold << ", restart after " << h.liveness_restart_after
     << " unanswered (grace " << format_duration(h.startup_grace) << ")\n";
  const auto& b = c.breaker;
  os << "  breaker: open when errors > " << b.error_rate_percent << "% of >= " << b.min_requests
     << " requests in " << format_duration(b.window) << "; open " << format_duration(b.open_duration)
     << ", " << b.half_open_probes << " half-open probes\n";
  const auto& o = c.outlier;
  os << "  outlier: eject after " << o.consecutive_5xx << " consecutive 5xx or "
     << o.consecutive_connect_failures << " connect failures, for " << format_duration(o.base_ejection_time)
     << " x n (max " << format_duration(o.max_ejection_time) << "), at most " << o.max_ejection_percent
     << "% and never the last replica\n";
  os << "  retries: " << c.retries.max_attempts << " attempts, budget " << c.retries.budget_percent
     << "% (min " << c.retries.min_retries << ")\n";
  os << "  queue: hold up to " << c.queue.max_waiting << " requests for " << format_duration(c.queue.timeout)
     << " while no replica can take them, then 503 + Retry-After\n";
  os << "  stream: continuation " << (c.stream.continuation ? "on" : "off") << ", first-token timeout "
     << format_duration(c.stream.first_token_timeout) << ", per-token timeout "
     << format_duration(c.stream.per_token_timeout) << "\n";
  os << "  rollout: canary " << c.rollout.canary_percent << "%, analysis window "
     << format_duration(c.rollout.analysis_window)
     << (c.rollout.state_file.empty() ? "" : ", state " + c.rollout.state_file) << "\n";
  const auto& s = c.supervisor;
  os << "  supervisor: " << (s.binary.empty() ? "<self>" : s.binary) << ", backoff "
     << format_duration(s.backoff_base) << ".." << format_duration(s.backoff_max) << ", failed after "
     << s.crash_loop_count << " crashes in " << format_duration(s.crash_loop_window) << ", stop grace "
     << format_duration(s.stop_grace) << "\n";
  return os.str();
}

}  // namespace r1::gateway
