// llama_bench_peer: `r1serve bench`'s measurement protocol applied to
// llama.cpp, through the prebuilt shared libraries shipped by node-llama-cpp
// (linked at build time; no llama.cpp code is compiled in). Same options and
// the same JSON keys as `r1serve bench --json`:
//
//   load     llama_model_load_from_file (mmap), after the CPU backends are
//            loaded from the bins directory
//   context  n_ctx = (depth + pp + tg) per sequence, n_batch >= pp (and >=
//            min(depth, --max-batch)), n_ubatch = --max-batch, flash
//            attention as the library decides by default
//   warm-up  one prefill of min(pp, max_batch) tokens and one decode step
//   pp       one llama_decode of pp random token ids (logits for the last)
//            after clearing the memory
//   tg       tg llama_decode calls of one token per sequence (--batch
//            sequences, seq ids 0..B-1), greedy on the logits
//   depth    with --depth D (llama-bench's -d), each repetition clears the
//            memory and fills every sequence with D random tokens
//            (llama_decode in chunks of n_batch, not timed); pp and tg then
//            run from position D, positions >= D removed before each
//
//   llama_bench_peer -m M.gguf -t 2 --pp 512 --tg 128 [--depth D] [--batch B] [--reps R] [--json]
#include <ggml-backend.h>
#include <llama.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench_cli.h"
#include "bench_record.h"

#ifndef R1_PEER_BINS_DIR
#error "R1_PEER_BINS_DIR must be defined"
#endif

namespace {

struct Config {
  std::string model;
  int threads = 2;
  int64_t pp = 512;
  int64_t tg = 128;
  int batch = 1;
  int reps = 3;
  int64_t max_batch = 512;  // n_ubatch
  int64_t depth = 0;        // cached positions before each timed test
  uint64_t seed = 1234;
  std::string flash_attn = "auto";
  bool json = false;
};

void declare(CLI::App& app, Config& c) {
  app.option_defaults()->always_capture_default();
  app.add_option("-m,--model", c.model, "GGUF model file")->required();
  app.add_option("-t,--threads", c.threads, "threads")->check(CLI::Range(1, 1024));
  app.add_option("--pp", c.pp, "prompt tokens (0: skip)")->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  app.add_option("--tg", c.tg, "decode steps (0: skip)")->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  app.add_option("--batch", c.batch, "sequences decoded together")->check(CLI::Range(1, 256));
  app.add_option("--reps", c.reps, "repetitions (median reported)")->check(CLI::Range(1, 1000));
  app.add_option("--max-batch", c.max_batch, "n_ubatch")->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_option("--depth", c.depth, "cached positions before each timed test (filled untimed)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 22));
  app.add_option("--seed", c.seed, "seed of the random prompt ids");
  app.add_option("--flash-attn", c.flash_attn, "auto, on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_flag("--json", c.json, "print one JSON object on stdout");
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void quiet_log(ggml_log_level level, const char* text, void* /*user*/) {
  if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) std::fputs(text, stderr);
}

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};
struct BatchDeleter {
  void operator()(llama_batch* b) const {
    llama_batch_free(*b);
    delete b;
  }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;
using BatchPtr = std::unique_ptr<llama_batch, BatchDeleter>;

// llama_ftype numbers (general.file_type), named as `r1serve model synth` does.
std::string ftype_name(const std::string& ftype) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"0", "f32"},     {"1", "f16"},     {"2", "q4_0"},    {"3", "q4_1"},
      {"7", "q8_0"},    {"8", "q5_0"},    {"9", "q5_1"},    {"10", "q2_k"},
      {"12", "q3_k_m"}, {"14", "q4_k_s"}, {"15", "q4_k_m"}, {"16", "q5_k_s"},
      {"17", "q5_k_m"}, {"18", "q6_k"},   {"32", "bf16"}};
  for (const auto& [num, name] : kNames) {
    if (ftype == num) return name;
  }
  return ftype.empty() ? "unknown" : "ftype" + ftype;
}

std::string meta(const llama_model* m, const char* key) {
  char buf[256] = {};
  return llama_model_meta_val_str(m, key, buf, sizeof buf) >= 0 ? std::string(buf) : "";
}

ContextPtr make_context(llama_model* model, const Config& c) {
  llama_context_params p = llama_context_default_params();
  const auto per_seq = static_cast<uint32_t>(std::max<int64_t>(c.depth + c.pp + c.tg, 1));
  p.n_ctx = std::max<uint32_t>(256, per_seq * static_cast<uint32_t>(c.batch));
  const int64_t fill_chunk = std::min(c.depth, c.max_batch);
  p.n_batch = static_cast<uint32_t>(std::max<int64_t>({c.pp, c.batch, fill_chunk, 1}));
  p.n_ubatch = static_cast<uint32_t>(std::min<int64_t>(c.max_batch, p.n_batch));
  p.n_seq_max = static_cast<uint32_t>(c.batch);
  p.n_threads = c.threads;
  p.n_threads_batch = c.threads;
  if (c.flash_attn == "on") p.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_ENABLED;
  if (c.flash_attn == "off") p.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  p.no_perf = true;
  return ContextPtr(llama_init_from_model(model, p));
}

struct Bench {
  llama_model* model = nullptr;
  llama_context* ctx = nullptr;
  int32_t n_vocab = 0;
  std::mt19937 rng;

  llama_token random_token() { return std::uniform_int_distribution<int32_t>(0, n_vocab - 1)(rng); }
};

void set_token(llama_batch& b, int32_t i, llama_token t, llama_pos pos, llama_seq_id seq, bool logits) {
  b.token[i] = t;
  b.pos[i] = pos;
  b.n_seq_id[i] = 1;
  b.seq_id[i][0] = seq;
  b.logits[i] = logits ? 1 : 0;
}

// Clears the memory (start 0) or removes every sequence's positions >= start.
void cut_memory(Bench& b, int64_t start) {
  llama_memory_t mem = llama_get_memory(b.ctx);
  if (start == 0) {
    llama_memory_clear(mem, false);
  } else {
    llama_memory_seq_rm(mem, -1, static_cast<llama_pos>(start), -1);
  }
}

// Clears the memory, then fills sequences 0..n_seq-1 with depth random tokens
// each, in llama_decode calls of at most n_batch tokens; seconds, or nullopt.
std::optional<double> fill(Bench& b, int64_t depth, int n_seq) {
  const Clock::time_point t0 = Clock::now();
  llama_memory_clear(llama_get_memory(b.ctx), false);
  const auto chunk = static_cast<int32_t>(std::min<int64_t>(llama_n_batch(b.ctx), depth));
  BatchPtr batch(new llama_batch(llama_batch_init(chunk, 0, 1)));
  for (int s = 0; s < n_seq; ++s) {
    for (int64_t p0 = 0; p0 < depth; p0 += chunk) {
      const auto n = static_cast<int32_t>(std::min<int64_t>(chunk, depth - p0));
      for (int32_t i = 0; i < n; ++i) {
        set_token(*batch, i, b.random_token(), static_cast<llama_pos>(p0 + i), s, p0 + i == depth - 1);
      }
      batch->n_tokens = n;
      if (llama_decode(b.ctx, *batch) != 0) return std::nullopt;
    }
  }
  llama_synchronize(b.ctx);
  return seconds_since(t0);
}

// One llama_decode of n random tokens of sequence 0 from position start
// (the memory cut there first); nullopt on failure.
std::optional<double> time_prefill(Bench& b, int64_t n, int64_t start) {
  cut_memory(b, start);
  const auto n_tok = static_cast<int32_t>(n);
  BatchPtr batch(new llama_batch(llama_batch_init(n_tok, 0, 1)));
  for (int32_t i = 0; i < n_tok; ++i) {
    set_token(*batch, i, b.random_token(), static_cast<llama_pos>(start + i), 0, i == n_tok - 1);
  }
  batch->n_tokens = n_tok;
  const Clock::time_point t0 = Clock::now();
  if (llama_decode(b.ctx, *batch) != 0) return std::nullopt;
  llama_synchronize(b.ctx);
  return seconds_since(t0);
}

llama_token argmax(const float* row, int32_t n) {
  return static_cast<llama_token>(std::max_element(row, row + n) - row);
}

// steps decodes of one token per sequence from position start (the memory
// cut there first), greedy.
std::optional<double> time_decode(Bench& b, int64_t steps, int n_seq, int64_t start) {
  cut_memory(b, start);
  std::vector<llama_token> tokens(static_cast<size_t>(n_seq));
  for (llama_token& t : tokens) t = b.random_token();
  BatchPtr batch(new llama_batch(llama_batch_init(n_seq, 0, 1)));
  const Clock::time_point t0 = Clock::now();
  for (int64_t step = 0; step < steps; ++step) {
    for (int s = 0; s < n_seq; ++s) {
      set_token(*batch, s, tokens[static_cast<size_t>(s)], static_cast<llama_pos>(start + step), s,
                true);
    }
    batch->n_tokens = n_seq;
    if (llama_decode(b.ctx, *batch) != 0) return std::nullopt;
    for (int s = 0; s < n_seq; ++s) {
      const float* row = llama_get_logits_ith(b.ctx, s);
      if (row == nullptr) return std::nullopt;
      tokens[static_cast<size_t>(s)] = argmax(row, b.n_vocab);
    }
  }
  llama_synchronize(b.ctx);
  return seconds_since(t0);
}

using Figures = r1::bench_record::Timings;

r1::bench_record::Shape shape(const Config& c) { return {c.threads, c.batch, c.reps, c.pp, c.tg, c.depth}; }

// Warm-up, then reps of pp and tg; false on a failed decode.
bool run_tests(Bench& b, const Config& c, Figures& f) {
  const Clock::time_point t0 = Clock::now();
  if (!time_prefill(b, std::min<int64_t>(std::max<int64_t>(c.pp, 1), c.max_batch), 0)) return false;
  if (c.tg > 0 && !time_decode(b, 1, c.batch, 0)) return false;
  f.warmup_s = seconds_since(t0);
  for (int r = 0; r < c.reps; ++r) {
    if (c.depth > 0) {
      std::optional<double> s = fill(b, c.depth, c.batch);
      if (!s) return false;
      f.fill_s.push_back(*s);
    }
    if (c.pp > 0) {
      std::optional<double> s = time_prefill(b, c.pp, c.depth);
      if (!s) return false;
      f.pp_s.push_back(*s);
    }
    if (c.tg > 0) {
      std::optional<double> s = time_decode(b, c.tg, c.batch, c.depth);
      if (!s) return false;
      f.tg_s.push_back(*s);
    }
  }
  return true;
}



void add_memory(nlohmann::json& j) {
  rusage ru{};
  j["rss_mb"] = getrusage(RUSAGE_SELF, &ru) == 0 ? static_cast<double>(ru.ru_maxrss) / 1024.0 : 0.0;
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  double now_mb = 0;
  if (statm >> size_pages >> resident_pages) {
    now_mb = static_cast<double>(resident_pages) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
             (1024.0 * 1024.0);
  }
  j["rss_now_mb"] = now_mb;
}

// K and V in f16 for every layer and context position.
uint64_t kv_bytes(const llama_model* m, const llama_context* ctx) {
  const uint64_t head_dim = static_cast<uint64_t>(llama_model_n_embd(m) / llama_model_n_head(m));
  return 2ull * 2ull * static_cast<uint64_t>(llama_model_n_layer(m)) * llama_n_ctx(ctx) *
         static_cast<uint64_t>(llama_model_n_head_kv(m)) * head_dim;
}

nlohmann::json to_json(const Config& c, const Bench& b, const Figures& f) {
  nlohmann::json j;
  j["engine"] = "llama.cpp";
  j["model"] = std::filesystem::path(c.model).filename().string();
  j["arch"] = meta(b.model, "general.architecture");
  j["type"] = ftype_name(meta(b.model, "general.file_type"));
  j["n_params"] = llama_model_n_params(b.model);
  j["model_bytes"] = llama_model_size(b.model);
  r1::bench_record::put(j, shape(c), f);
  j["kv_bytes"] = kv_bytes(b.model, b.ctx);
  add_memory(j);
  return j;
}

void print_text(const Config& c, const Figures& f, const nlohmann::json& j) {
  std::printf("model: %s (%s %s, %.2f B params), load %.3f s, warm-up %.3f s\n", c.model.c_str(),
              j["arch"].get<std::string>().c_str(), j["type"].get<std::string>().c_str(),
              j["n_params"].get<double>() / 1e9, j["load_s"].get<double>(),
              j["warmup_s"].get<double>());
  r1::bench_record::print_table(shape(c), f);
  std::printf("memory: peak RSS %.1f MiB, current RSS %.1f MiB\n", j["rss_mb"].get<double>(),
              j["rss_now_mb"].get<double>());
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 1;
}

int bench(const Config& c) {
  if (!std::filesystem::is_regular_file(c.model)) return fail("no such file: " + c.model);
  Figures f;
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  const Clock::time_point t0 = Clock::now();
  ModelPtr model(llama_model_load_from_file(c.model.c_str(), mp));
  f.load_s = seconds_since(t0);
  if (!model) return fail("llama.cpp failed to load " + c.model);
  ContextPtr ctx = make_context(model.get(), c);
  if (!ctx) return fail("llama.cpp failed to create a context");
  Bench b{model.get(), ctx.get(), llama_vocab_n_tokens(llama_model_get_vocab(model.get())), {}};
  b.rng.seed(static_cast<std::mt19937::result_type>(c.seed));
  if (!run_tests(b, c, f)) return fail("llama_decode failed");
  const nlohmann::json j = to_json(c, b, f);
  if (c.json) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    print_text(c, f, j);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"llama_bench_peer: llama.cpp speed under r1serve bench's protocol"};
  Config c;
  declare(app, c);
  if (std::optional<int> exit_code = r1::bench::parse_command_line(app, argc, argv, "llama_bench_peer")) return *exit_code;
  llama_log_set(quiet_log, nullptr);
  ggml_backend_load_all_from_path(R1_PEER_BINS_DIR);
  llama_backend_init();
  int rc = 1;
  try {
    rc = bench(c);
  } catch (const std::exception& e) {
    rc = fail(std::string("internal: ") + e.what());
  }
  llama_backend_free();
  return rc;
}
