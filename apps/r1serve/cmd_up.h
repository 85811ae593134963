// `r1serve up`, `r1serve gateway` and `r1serve rollout`: the zero-downtime
// gateway (src/gateway/gateway_runtime.h) in front of supervised
// `r1serve serve` workers, and the HTTP client of its admin API.
//
//   up [-c FILE] [-m M.gguf] [--backup B.gguf] [--replicas N] [--port P]
//      [--admin-port A] [--test-mode] [--worker-arg ARG]... [--state-file F]
//     default_config() (or FILE) plus the overrides; with no -m and no FILE
//     the demo model, synthesized once here before any worker starts.
//   gateway --config FILE [--test-mode]
//   rollout start --model NEW.gguf --strategy S [--canary-percent P]
//           [--analysis-window D] [--version NAME] [--admin URL] [--admin-key K]
//   rollout status|promote|abort [--admin URL] [--admin-key K]
//
// up/gateway print "gateway listening on http://HOST:PORT" and "admin
// listening on http://HOST:PORT" on stderr once listening; SIGHUP reloads
// the config file (up: only with -c); SIGTERM/SIGINT stop gracefully, exit 0.
// rollout prints the admin API's JSON answer on stdout; exit 0 on 2xx, else
// one "error: ..." line and exit 1.
//
// Thread contract: called from main()'s thread only; up/gateway block
// SIGINT, SIGTERM and SIGHUP in every thread and take them with sigwait on
// the calling thread.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "gateway/runtime/gateway_runtime.h"

namespace r1::app {

// What up and gateway share: the YAML config, test mode, the address the
// proxy and the admin API bind, the admin API's key.
struct GatewayCommon {
  std::string config_path;
  bool test_mode = false;
  std::string host = "127.0.0.1";
  std::string admin_key;
};

struct UpConfig : GatewayCommon {
  std::string model;
  std::string backup;
  std::optional<int> replicas;
  std::optional<int> port;        // default 8000 (ports.listen)
  std::optional<int> admin_port;  // default 8001 (ports.admin)
  std::vector<std::string> worker_args;
  bool voice = false;      // workers get --voice
  std::string state_file;  // default <cache dir>/rollout-state.json
};

struct GatewayCommandConfig : GatewayCommon {};

struct RolloutCommandConfig {
  std::string model;
  std::string strategy = "canary";
  std::optional<int> canary_percent;
  std::string analysis_window;
  std::string version;
  std::string admin = "http://127.0.0.1:8001";
  std::string admin_key;
};

struct RolloutCommands {
  CLI::App* group = nullptr;
  CLI::App* start = nullptr;
  CLI::App* status = nullptr;
  CLI::App* promote = nullptr;
  CLI::App* abort = nullptr;
};

CLI::App* add_up_command(CLI::App& app, UpConfig& c);
CLI::App* add_gateway_command(CLI::App& app, GatewayCommandConfig& c);
RolloutCommands add_rollout_command(CLI::App& app, RolloutCommandConfig& c);

int up_command(const UpConfig& c);
int gateway_command(const GatewayCommandConfig& c);
int rollout_command(const RolloutCommands& cmds, const RolloutCommandConfig& c);

// Runs the gateway until SIGTERM/SIGINT (SIGHUP: reload). Shared by up and
// gateway; `options.self_exe` is filled in here.
int run_gateway(const gateway::GatewayConfig& config, gateway::RuntimeOptions options);

// --test-mode, --host and --admin-key (R1SERVE_ADMIN_KEY), on up and gateway.
void add_common_flags(CLI::App* cmd, GatewayCommon& c);
// The runtime options up and gateway set alike.
gateway::RuntimeOptions runtime_options(const GatewayCommon& c);

}  // namespace r1::app
