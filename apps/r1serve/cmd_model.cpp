// `r1serve model inspect` and `r1serve model synth`.
#include <cstdio>

#include "cmd_serve.h"
#include "common.h"
#include "core/clock.h"
#include "gguf/inspect.h"
#include "model/config.h"
#include "model/synth/synth.h"

namespace r1::app {

CLI::App* add_inspect_command(CLI::App& model_group, InspectConfig& c) {
  CLI::App* cmd = model_group.add_subcommand("inspect", "print a GGUF file's metadata");
  cmd->add_option("file", c.path, "GGUF file")->required();
  cmd->add_flag("--tensors", c.tensors, "list every tensor");
  return cmd;
}

CLI::App* add_synth_command(CLI::App& model_group, SynthConfig& c) {
  CLI::App* cmd = model_group.add_subcommand("synth", "write a model with random weights");
  std::string presets;
  for (const std::string& p : model::synth_preset_names()) presets += " " + p;
  std::string types;
  for (const std::string& t : model::synth_file_type_names()) types += " " + t;
  cmd->add_option("--preset", c.preset, "preset:" + presets)->required();
  cmd->add_option("--type", c.type, "file type:" + types);
  cmd->add_option("-o,--out", c.out, "output GGUF path")->required();
  cmd->add_option("--seed", c.seed, "weight seed");
  cmd->add_option("--vocab", c.vocab, "vocab GGUF or directory (default: bundled assets/vocab)");
  cmd->add_option("-t,--threads", c.threads, "threads (0: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--n-embd", c.n_embd, "hidden size");
  cmd->add_option("--n-layer", c.n_layer, "layers");
  cmd->add_option("--n-head", c.n_head, "attention heads");
  cmd->add_option("--n-head-kv", c.n_head_kv, "key/value heads");
  cmd->add_option("--n-ff", c.n_ff, "feed-forward size");
  cmd->add_option("--n-ctx", c.n_ctx, "training context length");
  cmd->add_option("--head-dim", c.head_dim, "head dimension");
  return cmd;
}

int inspect_command(const InspectConfig& c) {
  Result<std::shared_ptr<const gguf::File>> file = open_gguf(c.path);
  if (!file.ok()) return report(file.error());
  print_config();
  std::string text = gguf::describe(**file, c.tensors);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  Result<model::ModelConfig> config = model::config_from_gguf(**file);
  if (config.ok()) {
    std::printf("model: %s\n", model::describe(*config).c_str());
  } else {
    std::printf("model: not loadable: %s\n", config.error().to_string().c_str());
  }
  return kExitOk;
}

int synth_command(const SynthConfig& c) {
  model::SynthParams p;
  p.preset = c.preset;
  p.file_type = c.type;
  p.seed = c.seed;
  p.vocab_path = c.vocab.empty() ? default_vocab_dir() : c.vocab;
  p.n_threads = c.threads;
  p.overrides = {c.n_embd, c.n_layer, c.n_head, c.n_head_kv, c.n_ff, c.n_ctx, c.head_dim};
  Status valid = model::synth_validate(p);
  if (!valid.ok()) return report(valid.error());
  print_config();
  const SteadyClock::time_point t0 = SteadyClock::now();
  Status st = model::synth_model(p, c.out);
  if (!st.ok()) return report(st.error());
  std::fprintf(stderr, "wrote %s (%s, %s) in %.1f s\n", c.out.c_str(), c.preset.c_str(),
               c.type.c_str(), seconds_since(t0));
  return kExitOk;
}

CLI::App* add_demo_command(CLI::App& model_group) {
  return model_group.add_subcommand(
      "demo", "synthesize the demo model (RANDOM weights) into the cache now, as `up` and `serve` "
              "without -m do on first use; prints its path");
}

int demo_command() {
  const SteadyClock::time_point t0 = SteadyClock::now();
  Result<std::string> path = ensure_demo_model(kDemoPreset);
  if (!path.ok()) return report(path.error());
  std::fprintf(stderr, "demo model ready in %.1f s\n", seconds_since(t0));
  std::printf("%s\n", path->c_str());
  return kExitOk;
}

}  // namespace r1::app
