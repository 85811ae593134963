// The gateway's admin API on its own port (ports.admin):
//   GET /admin/status -> JSON {pools: [{name, role, breaker: {state,
//       error_rate_percent, successes, errors, timeouts, rejected_total,
//       opened_total}, ejected}], replicas: [{id, version, pid, port,
//       healthy, ejected, outstanding}], counters: {requests_total,
//       retries_total, continuations_total, ...}}
//   GET /metrics -> Prometheus text: the ProxyMetrics plus breaker state,
//       replica health and ejections per version; with a supervisor the
//       restarts, crash-loop (failed) state and crash-to-ready time per
//       replica; with a control the rollout phase and canary analysis
//       (rollout_metrics_text); the gateway's own process_* metrics.
//   GET /admin/targets -> Prometheus HTTP service discovery (http_sd_configs):
//       [{targets: ["127.0.0.1:PORT"], labels: {pool, replica ("pool/0"),
//       replica_index ("0"), role}}], one group per worker replica with a
//       live process (supervised) or per static endpoint; [] when none.
//   GET /admin/rollout -> {phase, strategy, version, model, canary_percent,
//       message, events: [{at_ms, phase, message}]} (at_ms: Unix ms)
//   POST /admin/rollout {model, strategy: canary|blue-green|rolling,
//       canary_percent, analysis_window: "30m", version} -> 202 status JSON;
//       400 bad spec (the message names the field); 409 one in progress
//   POST /admin/rollout/promote, /admin/rollout/abort -> 200 status or 409
//   POST /admin/reload -> 200 {"status":"reloaded"} or 400 error JSON
// (the rollout and reload routes need AdminSources::control; else 404).
// Auth: with an admin key configured every request needs
// "Authorization: Bearer <key>" (else 401); without one the server only
// starts on a loopback address and needs no auth.
//
// Thread contract: handle_admin() and the renderers are safe from any
// thread (the sources are thread-safe). AdminServer: start(), stop() and the
// destructor by the owner; port() from any thread. Sources must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "gateway/config/config.h"
#include "gateway/proxy/proxy_metrics.h"
#include "metrics/registry.h"
#include "gateway/rollout/rollout.h"
#include "gateway/policy/router.h"
#include "gateway/supervisor/supervisor.h"

namespace r1::gateway {

// The body of POST /admin/rollout.
struct RolloutRequest {
  std::string model;
  RolloutStrategy strategy = RolloutStrategy::kCanary;
  std::optional<int> canary_percent;          // default: rollout.canary_percent
  std::optional<Duration> analysis_window;    // default: rollout.analysis_window
  std::string version;                        // default: from the model's file name
};
// kInvalidArgument naming the field ("canary_percent: must be 1..99").
Result<RolloutRequest> parse_rollout_request(std::string_view body);
std::string rollout_status_json(const RolloutStatus& status);

// Rollout and reload control behind the admin API (the gateway runtime).
// Thread contract: implementations are safe from any thread.
class AdminControl {
 public:
  virtual ~AdminControl() = default;
  virtual RolloutStatus rollout_status() const = 0;
  virtual Status start_rollout(const RolloutRequest& request) = 0;
  virtual Status promote_rollout() = 0;
  virtual Status abort_rollout() = 0;
  virtual Status reload() = 0;
  virtual std::vector<PoolConfig> pools() const = 0;  // live pools
};

// The rollout and reload routes (path without the query), for handle_admin.
struct AdminResponse;
AdminResponse handle_admin_control(AdminControl& control, std::string_view method, std::string_view path,
                                   std::string_view body);

struct AdminSources {
  const DefaultRouter* router = nullptr;  // required
  const Supervisor* supervisor = nullptr;  // optional: pid and port per replica
  const ProxyMetrics* metrics = nullptr;   // optional
  std::vector<PoolConfig> pools;           // roles; empty: versions from the router
  AdminControl* control = nullptr;         // optional: rollout + reload routes, live pools
};

struct AdminOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string admin_key;  // empty: no auth, loopback only
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

std::string admin_status_json(const AdminSources& sources);
std::string admin_metrics_text(const AdminSources& sources);
std::string admin_targets_json(const AdminSources& sources);
// The rollout's Prometheus families: r1_gateway_rollout_phase{phase} (1 for
// the current phase, 0 for the others), r1_gateway_rollout_phase_seconds,
// the canary analysis so far per role (stable, canary): requests, error
// ratio, p99 seconds; its thresholds; and r1_gateway_rollout_canary_failing
// (1 while analyzing with enough volume when the canary fails the
// controller's criteria: what it would decide if the window ended now).
void rollout_metrics(metrics::Registry& registry, const RolloutStatus& status);
std::string rollout_metrics_text(const RolloutStatus& status);  // rollout_metrics alone
AdminResponse handle_admin(const AdminSources& sources, const AdminOptions& options,
                           std::string_view method, std::string_view target,
                           std::string_view authorization);
AdminResponse handle_admin(const AdminSources& sources, const AdminOptions& options,
                           std::string_view method, std::string_view target,
                           std::string_view authorization, std::string_view body);

class AdminServer {
 public:
  static Result<std::unique_ptr<AdminServer>> start(const AdminOptions& options,
                                                    AdminSources sources);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;
  uint16_t port() const;
  void stop();

  struct Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace r1::gateway
