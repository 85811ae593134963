// r1serve: command-line entry point. Parses the subcommand into its config
// struct, prints it to stderr and runs it. Errors are one "error: ..." line
// on stderr and a non-zero exit code; no exception escapes main().
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdio>
#include <exception>

#include "app_config.h"
#include "cmd_bench.h"
#include "cmd_bench_serve.h"
#include "cmd_cost.h"
#include "cmd_serve.h"
#include "cmd_up.h"
#include "cmd_voice.h"
#include "common.h"
#include "core/log.h"

namespace {

using namespace r1::app;

struct Config {
  std::string log_level = "warn";
  RunConfig run;
  ChatConfig chat;
  InspectConfig inspect;
  SynthConfig synth;
  TokenizeConfig tokenize;
  EvalConfig eval;
  BenchConfig bench;
  r1::loadgen::LoadConfig bench_serve;
  ServeConfig serve;
  UpConfig up;
  GatewayCommandConfig gateway;
  RolloutCommandConfig rollout;
  CostCommandConfig cost;
  TranscribeConfig transcribe;
  SpeakConfig speak;
};

struct Commands {
  CLI::App* run = nullptr;
  CLI::App* chat = nullptr;
  CLI::App* model = nullptr;
  CLI::App* inspect = nullptr;
  CLI::App* synth = nullptr;
  CLI::App* demo = nullptr;
  CLI::App* tokenize = nullptr;
  CLI::App* eval = nullptr;
  CLI::App* bench = nullptr;
  CLI::App* bench_serve = nullptr;
  CLI::App* serve = nullptr;
  CLI::App* up = nullptr;
  CLI::App* gateway = nullptr;
  RolloutCommands rollout;
  CLI::App* cost = nullptr;
  CLI::App* transcribe = nullptr;
  CLI::App* speak = nullptr;
};

Commands declare(CLI::App& app, Config& c) {
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  Commands cmd;
  cmd.run = add_run_command(app, c.run);
  cmd.chat = add_chat_command(app, c.chat);
  cmd.model = app.add_subcommand("model", "inspect or synthesize GGUF models");
  cmd.model->require_subcommand(1);
  cmd.inspect = add_inspect_command(*cmd.model, c.inspect);
  cmd.synth = add_synth_command(*cmd.model, c.synth);
  cmd.demo = add_demo_command(*cmd.model);
  cmd.tokenize = add_tokenize_command(app, c.tokenize);
  cmd.eval = add_eval_command(app, c.eval);
  cmd.bench = add_bench_command(app, c.bench);
  // `bench serve` needs no model; dispatch() checks -m for plain `bench`.
  cmd.bench->get_option("--model")->required(false);
  cmd.bench_serve = add_bench_serve_command(*cmd.bench, c.bench_serve);
  cmd.serve = add_serve_command(app, c.serve);
  cmd.up = add_up_command(app, c.up);
  cmd.gateway = add_gateway_command(app, c.gateway);
  cmd.rollout = add_rollout_command(app, c.rollout);
  cmd.cost = add_cost_command(app, c.cost);
  cmd.transcribe = add_transcribe_command(app, c.transcribe);
  cmd.speak = add_speak_command(app, c.speak);
  return cmd;
}

int dispatch(const Commands& cmd, const Config& c) {
  for (CLI::App* sub : {cmd.run, cmd.chat, cmd.inspect, cmd.synth, cmd.tokenize, cmd.eval,
                        cmd.bench, cmd.serve, cmd.up, cmd.gateway, cmd.cost}) {
    if (sub->parsed()) remember_config(*sub);
  }
  if (cmd.run->parsed()) return run_command(c.run);
  if (cmd.chat->parsed()) return chat_command(c.chat);
  if (cmd.inspect->parsed()) return inspect_command(c.inspect);
  if (cmd.synth->parsed()) return synth_command(c.synth);
  if (cmd.demo->parsed()) return demo_command();
  if (cmd.tokenize->parsed()) return tokenize_command(c.tokenize);
  if (cmd.eval->parsed()) return eval_command(c.eval);
  if (cmd.bench_serve->parsed()) return bench_serve_command(c.bench_serve);
  if (cmd.serve->parsed()) return serve_command(c.serve);
  if (cmd.up->parsed()) return up_command(c.up);
  if (cmd.gateway->parsed()) return gateway_command(c.gateway);
  if (cmd.rollout.group->parsed()) return rollout_command(cmd.rollout, c.rollout);
  if (cmd.cost->parsed()) return cost_command(c.cost);
  if (cmd.transcribe->parsed()) return transcribe_command(c.transcribe);
  if (cmd.speak->parsed()) return speak_command(c.speak);
  if (cmd.bench->parsed()) {
    if (c.bench.model.empty()) {
      std::fprintf(stderr, "error: bench: --model is required (or use `bench serve`)\n");
      return kExitUsage;
    }
    return bench_command(c.bench);
  }
  std::fprintf(stderr, "error: no command given (see --help)\n");
  return kExitUsage;
}

int parse_and_run(int argc, char** argv) {
  CLI::App app{"r1serve: DeepSeek-R1 distill inference"};
  Config config;
  Commands cmd = declare(app, config);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitUsage;
  }
  r1::log::set_level(config.log_level);
  return dispatch(cmd, config);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    // Logs go to stderr: stdout carries the machine-readable output.
    spdlog::set_default_logger(spdlog::stderr_color_mt("r1serve"));
    return parse_and_run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "error: internal: unknown exception\n");
  }
  return kExitError;
}
