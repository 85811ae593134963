// r1serve's command-line configuration: one plain struct per subcommand,
// filled by CLI11 (options are declared once, in add_*_command), and the
// entry point of each subcommand. Every command returns the process exit
// code: 0 success, 1 runtime error (one "error: ..." line on stderr), 2 bad
// usage.
//
// Thread contract: used by main() on one thread.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sampling/overrides.h"

namespace r1::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

struct ModelOptions {
  std::string path;      // -m
  int threads = 0;       // 0: all cores
  int64_t ctx = 4096;    // KV cache size
};

struct SamplingOptions {
  sampling::SamplingOverrides fields;  // --temp, --top-p, --top-k, --min-p, --repeat-penalty, --seed
  int n_predict = -1;  // -1: until end of generation or context
  std::vector<std::string> stop;
};

struct ChatOptions {
  std::string template_name;  // empty: detect from tokenizer.chat_template
  std::string system;
  std::string reasoning = "show";  // show | hide
  bool no_think = false;           // enable_thinking=false where the template has it
};

struct RunConfig {
  ModelOptions model;
  SamplingOptions sampling;
  ChatOptions chat;
  std::string prompt;
};

struct ChatConfig {
  ModelOptions model;
  SamplingOptions sampling;
  ChatOptions chat;
};

struct InspectConfig {
  std::string path;
  bool tensors = false;
};

struct SynthConfig {
  std::string preset;
  std::string type = "q8_0";
  std::string out;
  std::string vocab;  // empty: the bundled assets/vocab
  uint64_t seed = 42;
  int threads = 0;
  std::optional<int64_t> n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx, head_dim;
};

struct TokenizeConfig {
  std::string model;
  std::string text;
  std::string json_in;
  bool parse_special = false;
  bool add_bos = false;
};

struct EvalConfig {
  std::string model;
  std::string tokens;
  std::string logits_out;
  int threads = 0;
};

CLI::App* add_run_command(CLI::App& app, RunConfig& c);
CLI::App* add_chat_command(CLI::App& app, ChatConfig& c);
CLI::App* add_inspect_command(CLI::App& model_group, InspectConfig& c);
CLI::App* add_synth_command(CLI::App& model_group, SynthConfig& c);
CLI::App* add_demo_command(CLI::App& model_group);
CLI::App* add_tokenize_command(CLI::App& app, TokenizeConfig& c);
CLI::App* add_eval_command(CLI::App& app, EvalConfig& c);

int run_command(const RunConfig& c);
int chat_command(const ChatConfig& c);
int inspect_command(const InspectConfig& c);
int synth_command(const SynthConfig& c);
int demo_command();
int tokenize_command(const TokenizeConfig& c);
int eval_command(const EvalConfig& c);

}  // namespace r1::app
