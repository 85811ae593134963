// `r1serve up`: the gateway from defaults (or a file) plus CLI overrides.
#include "cmd_up.h"

#include <filesystem>

#include "cmd_serve.h"
#include "common.h"

namespace r1::app {
namespace {

namespace fs = std::filesystem;

gateway::PoolConfig* primary_pool(gateway::GatewayConfig& g) {
  for (auto& p : g.pools) {
    if (p.role == gateway::PoolRole::kPrimary) return &p;
  }
  return nullptr;
}

void apply_pool_overrides(const UpConfig& c, const std::string& model, gateway::GatewayConfig& g) {
  gateway::PoolConfig* primary = primary_pool(g);
  if (primary != nullptr && !model.empty()) primary->model = model;
  if (primary != nullptr && c.replicas) primary->replicas = *c.replicas;
  if (!c.backup.empty()) {
    gateway::PoolConfig backup;
    backup.name = "backup";
    backup.model = c.backup;
    backup.role = gateway::PoolRole::kBackup;
    backup.replicas = primary != nullptr ? primary->replicas : c.replicas.value_or(1);
    g.pools.push_back(backup);
  }
  for (auto& p : g.pools) {
    if (!p.endpoints.empty()) continue;
    p.args.insert(p.args.end(), c.worker_args.begin(), c.worker_args.end());
    if (c.voice) p.args.push_back("--voice");
  }
}

// The config `up` runs: default_config() or the file, plus the overrides.
// `model` is -m, or the demo model when neither -m nor a file is given.
Result<gateway::GatewayConfig> up_config(const UpConfig& c, const std::string& model,
                                         const std::string& default_state_file) {
  gateway::GatewayConfig g = gateway::default_config();
  if (!c.config_path.empty()) {
    R1_ASSIGN_OR_RETURN(g, gateway::load_config_file(c.config_path, gateway::ParseOptions{c.test_mode, model.empty(), true}));
  }
  g.test_mode = g.test_mode || c.test_mode;
  apply_pool_overrides(c, model, g);
  if (c.port) g.ports.listen = *c.port;
  if (c.admin_port) g.ports.admin = *c.admin_port;
  if (!c.state_file.empty()) g.rollout.state_file = c.state_file;
  else if (g.rollout.state_file.empty()) g.rollout.state_file = default_state_file;
  R1_RETURN_IF_ERROR(gateway::validate(g));
  return g;
}

}  // namespace

CLI::App* add_up_command(CLI::App& app, UpConfig& c) {
  CLI::App* cmd = app.add_subcommand("up", "gateway + supervised serve workers, from defaults and flags");
  cmd->add_option("-c,--config", c.config_path, "gateway YAML config (flags override it; SIGHUP reloads it)");
  cmd->add_option("-m,--model", c.model, "GGUF model of the primary pool (default: the demo model)");
  cmd->add_option("--backup", c.backup, "GGUF model of a backup pool \"backup\" (same replica count)");
  cmd->add_option("--replicas", c.replicas, "worker processes of the primary pool")->check(CLI::Range(1, 64));
  cmd->add_option("--port", c.port, "proxy port (default 8000; 0: any free port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--admin-port", c.admin_port, "admin API port (default 8001; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--worker-arg", c.worker_args, "extra `serve` argument for every worker (repeatable; "
                                                 "--worker-arg=--threads --worker-arg=2)")
      ->allow_extra_args(false);
  cmd->add_flag("--voice", c.voice, "workers serve the audio endpoints too (serve --voice)");
  cmd->add_option("--state-file", c.state_file, "rollout state file (default: <cache dir>/rollout-state.json)");
  add_common_flags(cmd, c);
  return cmd;
}

int up_command(const UpConfig& c) {
  std::string model = c.model;
  std::string default_state;
  if (Result<fs::path> dir = cache_dir(); dir.ok()) default_state = (*dir / "rollout-state.json").string();
  // Validate the flags and file before synthesizing anything.
  Result<gateway::GatewayConfig> config = up_config(c, model.empty() && c.config_path.empty() ? "<demo>" : model, default_state);
  if (!config.ok()) return report(config.error());
  if (model.empty() && c.config_path.empty()) {
    Result<std::string> demo = ensure_demo_model(kDemoPreset);
    if (!demo.ok()) return report(demo.error());
    model = *demo;
    config = up_config(c, model, default_state);
    if (!config.ok()) return report(config.error());
  }
  print_config();
  gateway::RuntimeOptions options = runtime_options(c);
  if (!c.config_path.empty()) {
    options.load_config = [c, model, default_state] { return up_config(c, model, default_state); };
  }
  return run_gateway(*config, std::move(options));
}

}  // namespace r1::app
