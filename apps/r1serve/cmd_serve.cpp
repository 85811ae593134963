// `r1serve serve`: HTTP first, then the model, then ready; drain on
// SIGTERM/SIGINT. See cmd_serve.h.
#include "cmd_serve.h"

#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "chat_io.h"
#include "common.h"
#include "model/synth/synth.h"
#include "server/backend/engine_backend.h"
#include "server/http_server.h"

namespace r1::app {

namespace {

// --test-mode and the fault flags; each --fault-* needs --test-mode (CLI11
// reports "--fault-x requires --test-mode", a usage error: exit 2).
void add_fault_options(CLI::App* cmd, ServeConfig& c) {
  CLI::Option* test_mode =
      cmd->add_flag("--test-mode", c.test_mode, "TESTS ONLY: allow the --fault-* flags");
  cmd->add_option("--fault-error-rate", c.fault_error_rate,
                  "TESTS ONLY: share of generation requests answered 500 (injected_fault)")
      ->check(CLI::Range(0.0, 1.0))
      ->needs(test_mode);
  cmd->add_option("--fault-latency-ms", c.fault_latency_ms,
                  "TESTS ONLY: delay before each generation response starts (ms)")
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}))
      ->needs(test_mode);
  cmd->add_option("--fault-hang-after", c.fault_hang_after,
                  "TESTS ONLY: after N chunks a response sends nothing more and never ends")
      ->check(CLI::Range(0, 1 << 30))
      ->needs(test_mode);
  cmd->add_option("--fault-seed", c.fault_seed, "TESTS ONLY: seed of the injected error draws")
      ->needs(test_mode);
  cmd->add_option("--fault-if-model", c.fault_if_model,
                  "TESTS ONLY: apply the --fault-* flags only when the model path contains this")
      ->needs(test_mode);
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeConfig& c) {
  CLI::App* cmd = app.add_subcommand("serve", "OpenAI-compatible HTTP server");
  cmd->add_option("-m,--model", c.model, "GGUF model file (default: a demo model with RANDOM weights)");
  cmd->add_option("--demo-preset", c.demo_preset, "synthetic preset of the demo model (no -m)")
      ->check(CLI::IsMember(model::synth_preset_names()));
  cmd->add_option("--host", c.host, "address to bind");
  cmd->add_option("--port", c.port, "port to bind (0: any free port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--parallel", c.parallel, "sequences decoded together")->check(CLI::Range(1, 1024));
  cmd->add_option("--queue", c.queue, "requests waiting for a slot before 429 (-1: 64 per slot)")
      ->check(CLI::Range(-1, 1 << 20));
  cmd->add_option("-c,--ctx", c.ctx, "context positions per sequence")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  // Not printed with the start-up config (secrets); $R1SERVE_API_KEY also works.
  cmd->add_option("--api-key", c.api_keys, "accepted Bearer API key (repeatable; none: no auth)")
      ->envname("R1SERVE_API_KEY")
      ->configurable(false);
  cmd->add_option("-t,--threads", c.threads, "forward-pass threads (0: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--http-threads", c.http_threads, "HTTP I/O threads")->check(CLI::Range(1, 256));
  cmd->add_option("--cors", c.cors, "allowed CORS origin (repeatable; * for any)");
  cmd->add_option("--template", c.template_name,
                  "chat template: deepseek-r1, deepseek-r1-llamacpp, qwen2.5, chatml, qwen3, "
                  "llama3 (default: detected from the model)");
  cmd->add_option("--kv-budget-mb", c.kv_budget_mb, "KV cache budget in MiB (0: parallel * ctx)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  cmd->add_option("--grace-seconds", c.grace_seconds, "on SIGTERM, wait this long for streams")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--body-limit-kb", c.body_limit_kb, "largest request body (KiB; larger: 413)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  add_voice_options(cmd, c.voice, true);
  add_fault_options(cmd, c);
  return cmd;
}

namespace {

// Takes SIGINT/SIGTERM on its own thread (sigwait), so nothing runs in a
// signal handler. Construct it before starting any other thread: the mask
// is inherited. A second signal ends the process at once.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] { run(); });
  }
  ~SignalWatcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    pthread_kill(thread_.native_handle(), SIGTERM);  // wakes sigwait
    thread_.join();
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Blocks until a signal arrives; returns it.
  int wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return signal_ != 0; });
    return signal_;
  }
  bool signalled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return signal_ != 0;
  }

 private:
  void run() {
    for (;;) {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (quit_) return;
      if (signal_ != 0) {
        std::fprintf(stderr, "serve: second signal: exiting now\n");
        std::_Exit(kExitError);
      }
      signal_ = sig;
      cv_.notify_all();
    }
  }

  sigset_t set_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int signal_ = 0;
  bool quit_ = false;
  std::thread thread_;
};

void print_demo_banner(const std::string& preset) {
  std::fprintf(stderr,
               "**********************************************************************\n"
               "*  DEMO MODEL WITH RANDOM WEIGHTS: its output is meaningless text.  *\n"
               "*  (synthetic preset %s, %s, seed %llu)\n"
               "*  Serve real weights with: r1serve serve -m MODEL.gguf              *\n"
               "**********************************************************************\n",
               preset.c_str(), kDemoType, static_cast<unsigned long long>(kDemoSeed));
}

bool faults_apply(const ServeConfig& c) {
  return c.test_mode && c.model.find(c.fault_if_model) != std::string::npos;
}

server::ServerConfig server_config(const ServeConfig& c) {
  server::ServerConfig s;
  s.host = c.host;
  s.port = static_cast<uint16_t>(c.port);
  s.threads = c.http_threads;
  s.api_keys = c.api_keys;
  s.cors_origins = c.cors;
  s.limits.body_limit = static_cast<uint64_t>(c.body_limit_kb) * 1024;
  if (c.voice.enabled) {  // audio uploads, plus the multipart form around them
    s.limits.upload_prefix = "/v1/audio/";
    s.limits.upload_body_limit = (static_cast<uint64_t>(c.voice.max_upload_mb) << 20) + (64 << 10);
  }
  if (faults_apply(c)) {
    s.faults.error_rate = c.fault_error_rate;
    s.faults.added_latency = std::chrono::milliseconds(c.fault_latency_ms);
    s.faults.hang_after_tokens = c.fault_hang_after;
    s.faults.seed = c.fault_seed;
  }
  return s;
}

int effective_queue(const ServeConfig& c) { return c.queue >= 0 ? c.queue : kQueuePerSlot * c.parallel; }

engine::SchedulerOptions scheduler_options(const ServeConfig& c) {
  engine::SchedulerOptions o;
  o.n_ctx = c.ctx;
  o.n_parallel = c.parallel;
  o.n_queue = effective_queue(c);
  o.kv_bytes = static_cast<uint64_t>(c.kv_budget_mb) << 20;
  o.n_threads = c.threads;
  return o;
}

// Loads the model (synthesizing the demo one if needed) and attaches it.
Status load_and_attach(const ServeConfig& c, server::EngineBackend& backend) {
  std::string path = c.model;
  if (path.empty()) {
    backend.set_not_ready("synthesizing the demo model");
    R1_ASSIGN_OR_RETURN(path, ensure_demo_model(c.demo_preset));
    backend.set_not_ready("loading model");
  }
  R1_ASSIGN_OR_RETURN(LoadedModel m, load_model(path, c.ctx));
  R1_ASSIGN_OR_RETURN(sampling::SamplingParams defaults, sampling_params(m, SamplingOptions{}));
  ChatOptions chat_options;
  chat_options.template_name = c.template_name;
  R1_ASSIGN_OR_RETURN(ChatSetup chat, chat_setup(m, chat_options));
  server::EngineSetup s;
  s.model = m.model;
  s.tokenizer = m.tokenizer;
  s.template_kind = chat.kind;
  s.template_options = chat.options;
  s.sampling_defaults = defaults;
  s.scheduler = scheduler_options(c);
  s.load_seconds = m.load_seconds;
  R1_RETURN_IF_ERROR(backend.attach(std::move(s)));
  std::fprintf(stderr,
               "serve: ready: model %s loaded in %.2f s; template %s; %d slots, ctx %lld, queue %d\n",
               backend.model_id().c_str(), m.load_seconds,
               std::string(tokenizer::chat_template_name(chat.kind)).c_str(), c.parallel,
               static_cast<long long>(backend.n_ctx()), effective_queue(c));
  return Status();
}

void shut_down(server::HttpServer& http, double grace_seconds, int sig) {
  std::fprintf(stderr, "serve: %s: draining (grace %.0f s, %lld in flight)\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM", grace_seconds,
               static_cast<long long>(http.router().in_flight()));
  http.drain();
  const auto grace = std::chrono::milliseconds(static_cast<int64_t>(grace_seconds * 1000));
  if (!http.wait_idle(grace)) {
    std::fprintf(stderr, "serve: grace period over: cancelling %lld requests\n",
                 static_cast<long long>(http.router().in_flight()));
  }
  // stop() waits (within its own grace) until the last queued chunks are
  // written before it stops the I/O threads.
  http.stop();
  std::fprintf(stderr, "serve: stopped\n");
}

void print_test_mode(const ServeConfig& c) {
  if (!faults_apply(c)) {
    std::fprintf(stderr, "serve: TEST MODE: no faults (the model path does not contain '%s')\n",
                 c.fault_if_model.c_str());
    return;
  }
  std::fprintf(stderr,
               "serve: TEST MODE: fault injection: error rate %g, latency %lld ms, hang after %d "
               "chunks%s, seed %llu\n",
               c.fault_error_rate, static_cast<long long>(c.fault_latency_ms), c.fault_hang_after,
               c.fault_hang_after < 0 ? " (off)" : "", static_cast<unsigned long long>(c.fault_seed));
}

std::string model_id_for(const ServeConfig& c) {
  if (c.model.empty()) return kDemoModelId;
  return std::filesystem::path(c.model).stem().string();
}

Status check_inputs(const ServeConfig& c) {
  if (!c.template_name.empty()) R1_RETURN_IF_ERROR(tokenizer::chat_template_from_name(c.template_name));
  std::error_code ec;
  if (!c.model.empty() && !std::filesystem::is_regular_file(c.model, ec)) {
    return make_error(ErrorCode::kNotFound, "no such model file: " + c.model);
  }
  return Status();
}

}  // namespace

int serve_command(const ServeConfig& c) {
  if (Status s = check_inputs(c); !s.ok()) return report(s.error());
  print_config();
  std::fprintf(stderr, "serve: %zu API key(s)%s\n", c.api_keys.size(),
               c.api_keys.empty() ? ": no authentication" : "");
  if (c.test_mode) print_test_mode(c);
  SignalWatcher signals;  // before any other thread starts
  if (c.model.empty()) print_demo_banner(c.demo_preset);
  auto backend = std::make_shared<server::EngineBackend>(model_id_for(c));
  std::shared_ptr<server::AudioService> audio;
  if (c.voice.enabled) {
    Result<std::shared_ptr<server::AudioService>> made = make_audio_service(c.voice);
    if (!made.ok()) return report(made.error());
    audio = std::move(made).value();
    std::fprintf(stderr, "serve: voice on: %zu voices, models:", audio->voices().size());
    for (const std::string& id : audio->model_ids()) std::fprintf(stderr, " %s", id.c_str());
    std::fprintf(stderr, "\n");
  }
  Result<std::unique_ptr<server::HttpServer>> http = server::HttpServer::start(server_config(c), backend, audio);
  if (!http.ok()) return report(http.error());
  std::fprintf(stderr, "serve: listening on http://%s:%u\n", c.host.c_str(),
               static_cast<unsigned>((*http)->port()));
  if (Status s = load_and_attach(c, *backend); !s.ok()) {
    backend->set_not_ready("the model failed to load");
    (*http)->stop();
    return report(s.error());
  }
  shut_down(**http, c.grace_seconds, signals.wait());
  return kExitOk;
}

}  // namespace r1::app
