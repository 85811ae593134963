// The gateway's admin API on its own port (ports.admin):
//   GET /admin/status -> JSON {pools: [{name, role, breaker: {state,
//       error_rate_percent, successes, errors, timeouts, rejected_total,
//       opened_total}, ejected}], replicas: [{id, version, pid, port,
//       healthy, ejected, outstanding}], counters: {requests_total,
//       retries_total, continuations_total, ...}}
//   GET /metrics -> Prometheus text: the ProxyMetrics plus breaker state,
//       replica health and ejections per version.
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
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "gateway/config.h"
#include "gateway/proxy_metrics.h"
#include "gateway/router.h"
#include "gateway/supervisor.h"

namespace r1::gateway {

struct AdminSources {
  const DefaultRouter* router = nullptr;  // required
  const Supervisor* supervisor = nullptr;  // optional: pid and port per replica
  const ProxyMetrics* metrics = nullptr;   // optional
  std::vector<PoolConfig> pools;           // roles; empty: versions from the router
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
AdminResponse handle_admin(const AdminSources& sources, const AdminOptions& options,
                           std::string_view method, std::string_view target,
                           std::string_view authorization);

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
