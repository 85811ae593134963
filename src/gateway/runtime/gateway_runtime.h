// GatewayRuntime: the running gateway. Composes the parts of this library:
// ProcessSupervisor (one worker per pool replica), a health checker over
// HttpProber, DefaultRouter (breaker + outlier per version), ProxyServer on
// ports.listen, AdminServer on ports.admin, and a RolloutController acting
// through PoolRolloutActions.
//
// Threads: supervisor (spawn/reap), health (probes), proxy I/O, admin I/O,
// PoolSet's ops thread (replica add/drain/stop), and the tick thread, which
// once per tick_interval feeds the proxy's request outcomes to the rollout
// controller (record) and calls its tick(). The proxy never waits on the
// rollout controller: its outcomes go through a small queue.
//
// reload(): pools added/removed (relative to the config last loaded),
// replica counts changed, a pool whose model/args/endpoints changed is
// restarted replica by replica; health, breaker and outlier policies are
// replaced; ports, retries, stream and supervisor settings apply at the next
// start (logged). Refused during a rollout. An invalid config changes nothing.
//
// stop(): new requests get 503 while the ones in flight finish (up to
// supervisor.stop_grace), then the servers stop and every worker is
// terminated (SIGTERM, SIGKILL after stop_grace).
//
// Thread contract: start() and stop() by the owner; reload(), the
// accessors and the AdminControl methods from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "gateway/admin/admin.h"
#include "gateway/config/config.h"
#include "gateway/rollout/rollout.h"
#include "gateway/policy/router.h"

namespace r1::gateway {

struct RuntimeOptions {
  std::string self_exe;     // the worker binary when supervisor.binary is empty
  std::string config_path;  // reload source when load_config is empty
  bool test_mode = false;   // --test-mode on the command line
  std::string state_file;   // rollout state; empty: config rollout.state_file
  // Reload source (SIGHUP, POST /admin/reload); empty: load_config_file(config_path).
  std::function<Result<GatewayConfig>()> load_config;
  std::string host = "127.0.0.1";  // proxy and admin bind address
  std::string admin_key;           // empty: admin needs a loopback host
  Duration tick_interval = std::chrono::seconds(1);
};

class GatewayRuntime {
 public:
  static Result<std::unique_ptr<GatewayRuntime>> start(GatewayConfig config, RuntimeOptions options);
  ~GatewayRuntime();  // stop()
  GatewayRuntime(const GatewayRuntime&) = delete;
  GatewayRuntime& operator=(const GatewayRuntime&) = delete;

  uint16_t proxy_port() const;
  uint16_t admin_port() const;

  // Re-reads the config source and applies it.
  Status reload();
  Status reload(GatewayConfig config);
  void stop();

  DefaultRouter& router();
  RolloutController& rollout();
  AdminControl& control();
  // Pids of the running workers (tests: no orphans after stop).
  std::vector<int> worker_pids() const;

  struct Impl;

 private:
  explicit GatewayRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The rollout's new-version name when none is given: the model file's stem,
// made unique against `taken` with "-2", "-3", ...
std::string default_version_name(const std::string& model_path, const std::vector<std::string>& taken);

}  // namespace r1::gateway
