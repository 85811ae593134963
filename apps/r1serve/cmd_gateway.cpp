// `r1serve gateway` and the gateway run loop shared with `up` (cmd_up.h).
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "cmd_up.h"
#include "common.h"
#include "core/os/fd_limit.h"

namespace r1::app {
namespace {

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "r1serve";
  return std::string(buf, static_cast<size_t>(n));
}

// SIGINT, SIGTERM, SIGHUP go to sigwait on this thread only (the mask is
// inherited by the runtime's threads; workers get a clean mask).
sigset_t block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

CLI::App* add_gateway_command(CLI::App& app, GatewayCommandConfig& c) {
  CLI::App* cmd = app.add_subcommand("gateway", "zero-downtime gateway over supervised serve workers (YAML config)");
  cmd->add_option("-c,--config", c.config_path, "gateway YAML config")->required();
  add_common_flags(cmd, c);
  return cmd;
}

void add_common_flags(CLI::App* cmd, GatewayCommon& c) {
  cmd->add_flag("--test-mode", c.test_mode, "allow worker fault-injection flags (tests only)");
  cmd->add_option("--host", c.host, "address the proxy and admin API bind");
  cmd->add_option("--admin-key", c.admin_key, "Bearer key for the admin API (none: loopback only)")
      ->envname("R1SERVE_ADMIN_KEY")
      ->configurable(false);
}

gateway::RuntimeOptions runtime_options(const GatewayCommon& c) {
  gateway::RuntimeOptions options;
  options.config_path = c.config_path;
  options.test_mode = c.test_mode;
  options.host = c.host;
  options.admin_key = c.admin_key;
  return options;
}

int run_gateway(const gateway::GatewayConfig& config, gateway::RuntimeOptions options) {
  const sigset_t signals = block_signals();  // before any thread starts
  // ~1,000 client connections plus their upstream ones need more than the
  // usual soft limit of 1,024 descriptors.
  if (Result<FdLimit> fds = raise_fd_limit(); !fds.ok()) {
    std::fprintf(stderr, "gateway: warning: %s\n", fds.error().message.c_str());
  }
  options.self_exe = self_exe();
  const std::string host = options.host;
  std::fprintf(stderr, "%s", gateway::describe(config).c_str());
  auto runtime = gateway::GatewayRuntime::start(config, std::move(options));
  if (!runtime.ok()) return report(runtime.error());
  std::fprintf(stderr, "gateway listening on http://%s:%u\n", host.c_str(),
               static_cast<unsigned>((*runtime)->proxy_port()));
  std::fprintf(stderr, "admin listening on http://%s:%u\n", host.c_str(),
               static_cast<unsigned>((*runtime)->admin_port()));
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGHUP) {
      std::fprintf(stderr, "gateway: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    Status s = (*runtime)->reload();
    if (s.ok()) std::fprintf(stderr, "gateway: SIGHUP: config reloaded\n");
    else std::fprintf(stderr, "gateway: SIGHUP: reload failed, old config kept: %s\n", s.error().message.c_str());
  }
  (*runtime)->stop();
  std::fprintf(stderr, "gateway: stopped\n");
  return kExitOk;
}

int gateway_command(const GatewayCommandConfig& c) {
  Result<gateway::GatewayConfig> config = gateway::load_config_file(c.config_path, gateway::ParseOptions{c.test_mode});
  if (!config.ok()) return report(config.error());
  print_config();
  return run_gateway(*config, runtime_options(c));
}

}  // namespace r1::app
