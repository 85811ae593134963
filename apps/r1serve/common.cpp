#include "common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cmd_serve.h"
#include "core/clock.h"
#include "model/config.h"
#include "model/synth/synth.h"

namespace r1::app {

void add_model_options(CLI::App* cmd, ModelOptions& m) {
  cmd->add_option("-m,--model", m.path, "GGUF model file")->required();
  cmd->add_option("-t,--threads", m.threads, "worker threads (0: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("-c,--ctx", m.ctx, "context size (KV cache positions)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
}

void add_sampling_options(CLI::App* cmd, SamplingOptions& s) {
  cmd->add_option("--temp", s.fields.temperature, "temperature (0: greedy; default from the model, else 0.6)");
  cmd->add_option("--top-p", s.fields.top_p, "nucleus sampling threshold (default 0.95)");
  cmd->add_option("--top-k", s.fields.top_k, "top-k cut (0: off)");
  cmd->add_option("--min-p", s.fields.min_p, "min-p cut (0: off)");
  cmd->add_option("--repeat-penalty", s.fields.repeat_penalty, "repetition penalty (1: off)");
  cmd->add_option("--seed", s.fields.seed, "sampling seed (default: random)");
  cmd->add_option("-n,--n-predict", s.n_predict, "max tokens to generate (-1: no limit)")
      ->check(CLI::Range(-1, 1 << 24));
  cmd->add_option("--stop", s.stop, "stop string (repeatable)");
}

void add_chat_options(CLI::App* cmd, ChatOptions& c) {
  cmd->add_option("--template", c.template_name,
                  "chat template: deepseek-r1, deepseek-r1-llamacpp, qwen2.5, chatml, qwen3, "
                  "llama3 (default: detected from the model)");
  cmd->add_option("--system", c.system, "system prompt");
  cmd->add_option("--reasoning", c.reasoning, "show or hide the model's reasoning")
      ->check(CLI::IsMember({"show", "hide"}));
  cmd->add_flag("--no-think", c.no_think, "ask the template to disable thinking (qwen3)");
}

namespace {
std::string g_config_line;  // main()'s thread only
}  // namespace

void remember_config(const CLI::App& cmd) {
  std::istringstream lines(cmd.config_to_str(true, false));
  std::string line;
  g_config_line = "# r1serve " + cmd.get_name() + ":";
  while (std::getline(lines, line)) {
    if (!line.empty()) g_config_line += " " + line;
  }
}

void print_config() {
  if (g_config_line.empty()) return;
  std::fprintf(stderr, "%s\n", g_config_line.c_str());
  g_config_line.clear();
}

int report(const Error& e) {
  std::string msg = e.to_string();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return kExitError;
}

Result<std::shared_ptr<const gguf::File>> open_gguf(const std::string& path) {
  std::error_code ec;
  if (path.empty()) return make_error(ErrorCode::kInvalidArgument, "no model file given");
  if (!std::filesystem::exists(path, ec)) {
    return make_error(ErrorCode::kNotFound, "no such file: " + path);
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorCode::kInvalidArgument, "not a regular file: " + path);
  }
  return gguf::File::open(path);
}

uint64_t mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return value * 1024;
  }
  return 0;
}

namespace {

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
  return buf;
}

Status check_memory(const gguf::File& file, const model::ModelConfig& c, int64_t n_ctx) {
  uint64_t weights = 0;
  for (const gguf::TensorInfo& t : file.tensors()) weights += t.n_bytes;
  const int64_t ctx = c.n_ctx_train > 0 ? std::min(n_ctx, c.n_ctx_train) : n_ctx;
  const uint64_t kv = 2ull * 2ull * static_cast<uint64_t>(c.n_layer) *
                      static_cast<uint64_t>(ctx) * static_cast<uint64_t>(c.kv_dim());
  const uint64_t available = mem_available_bytes();
  if (available != 0 && weights + kv > available) {
    return make_error(ErrorCode::kResourceExhausted,
                      "model too large for memory: needs " + gib(weights + kv) + " (weights " +
                          gib(weights) + ", KV cache " + gib(kv) + "), " + gib(available) +
                          " available");
  }
  return Status();
}

}  // namespace

Result<std::shared_ptr<const tokenizer::Tokenizer>> load_tokenizer(const gguf::File& file) {
  R1_ASSIGN_OR_RETURN(std::unique_ptr<tokenizer::Tokenizer> tok,
                      tokenizer::Tokenizer::from_gguf(file));
  return std::shared_ptr<const tokenizer::Tokenizer>(std::move(tok));
}

Result<LoadedModel> load_model(const std::string& path, int64_t n_ctx) {
  const SteadyClock::time_point t0 = SteadyClock::now();
  LoadedModel out;
  R1_ASSIGN_OR_RETURN(out.file, open_gguf(path));
  R1_ASSIGN_OR_RETURN(model::ModelConfig config, model::config_from_gguf(*out.file));
  R1_RETURN_IF_ERROR(check_memory(*out.file, config, n_ctx));
  R1_ASSIGN_OR_RETURN(out.model, model::Model::load(out.file));
  R1_ASSIGN_OR_RETURN(out.tokenizer, load_tokenizer(*out.file));
  out.load_seconds = seconds_since(t0);
  return out;
}

Result<std::filesystem::path> cache_dir() {
  if (const char* d = std::getenv("R1SERVE_CACHE"); d != nullptr && *d != 0) return std::filesystem::path(d);
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != 0) {
    return std::filesystem::path(x) / "r1serve";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != 0) {
    return std::filesystem::path(h) / ".cache" / "r1serve";
  }
  return make_error(ErrorCode::kNotFound, "no cache dir: set R1SERVE_CACHE, XDG_CACHE_HOME or HOME");
}

// The demo model's path, synthesized on first use (written to a temporary
// name, then renamed, so a crash never leaves a truncated model behind).
Result<std::string> ensure_demo_model(const std::string& preset) {
  R1_ASSIGN_OR_RETURN(std::filesystem::path dir, cache_dir());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create cache dir " + dir.string() + ": " + ec.message());
  const std::filesystem::path path =
      dir / ("demo-" + preset + "-" + kDemoType + "-seed" + std::to_string(kDemoSeed) + ".gguf");
  if (std::filesystem::is_regular_file(path, ec)) return path.string();
  std::fprintf(stderr, "synthesizing the demo model (RANDOM WEIGHTS) into %s (once)\n", path.c_str());
  model::SynthParams p;
  p.preset = preset;
  p.file_type = kDemoType;
  p.seed = kDemoSeed;
  p.vocab_path = default_vocab_dir();
  const std::string tmp = path.string() + ".tmp." + std::to_string(getpid());
  if (Status s = model::synth_model(p, tmp); !s.ok()) {
    std::filesystem::remove(tmp, ec);
    return s.error();
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot rename " + tmp + ": " + ec.message());
  return path.string();
}

std::string default_vocab_dir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path dir = exe.parent_path() / ".." / "assets" / "vocab";
    if (std::filesystem::is_directory(dir, ec)) return dir.lexically_normal().string();
  }
  return R1_ASSETS_DIR "/vocab";
}

}  // namespace r1::app
