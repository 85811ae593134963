// `r1serve bench`: see cmd_bench.h for the protocol.
#include "cmd_bench.h"

#include <sys/resource.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "bench_record.h"
#include "common.h"
#include "core/clock.h"
#include "core/thread_pool.h"
#include "model/kv/kv_cache.h"
#include "model/transformer.h"

namespace r1::app {

CLI::App* add_bench_command(CLI::App& app, BenchConfig& c) {
  CLI::App* cmd = app.add_subcommand("bench", "measure prefill/decode speed, load time, memory");
  cmd->add_option("-m,--model", c.model, "GGUF model file")->required();
  cmd->add_option("-t,--threads", c.threads, "worker threads (0: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--pp", c.pp, "prompt tokens per prefill test (0: skip)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  cmd->add_option("--tg", c.tg, "decode steps per generation test (0: skip)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  cmd->add_option("--batch", c.batch, "sequences decoded together (aggregate tokens/s)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--reps", c.reps, "repetitions per test (median reported)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--max-batch", c.max_batch, "tokens per forward chunk in prefill")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  cmd->add_option("--depth", c.depth,
                  "cached positions before each timed test (filled untimed, like llama-bench -d)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 22));
  cmd->add_option("--seed", c.seed, "seed of the random prompt ids");
  cmd->add_flag("--json", c.json, "print one JSON object on stdout");
  return cmd;
}

namespace {

// llama_ftype numbers (general.file_type) of the types r1serve reads.
std::string ftype_name(int64_t ftype) {
  switch (ftype) {
    case 0: return "f32";
    case 1: return "f16";
    case 2: return "q4_0";
    case 3: return "q4_1";
    case 7: return "q8_0";
    case 8: return "q5_0";
    case 9: return "q5_1";
    case 10: return "q2_k";
    case 12: return "q3_k_m";
    case 14: return "q4_k_s";
    case 15: return "q4_k_m";
    case 16: return "q5_k_s";
    case 17: return "q5_k_m";
    case 18: return "q6_k";
    case 32: return "bf16";
    default: return "ftype" + std::to_string(ftype);
  }
}

struct ModelFacts {
  std::string type;
  uint64_t n_params = 0;
  uint64_t model_bytes = 0;         // all tensor bytes
  uint64_t weights_read_bytes = 0;  // bytes one decode step reads (one embedding row)
  uint64_t kv_bytes_per_pos = 0;    // K and V of one position, every layer (fp16)
};

ModelFacts model_facts(const gguf::File& file, const model::ModelConfig& config) {
  ModelFacts f;
  Result<int64_t> ft = file.get_int("general.file_type");
  f.type = ft.ok() ? ftype_name(*ft) : "unknown";
  uint64_t embd_bytes = 0;
  for (const gguf::TensorInfo& t : file.tensors()) {
    f.n_params += static_cast<uint64_t>(t.n_elements());
    f.model_bytes += t.n_bytes;
    if (t.name == "token_embd.weight") embd_bytes = t.n_bytes;
  }
  f.weights_read_bytes = f.model_bytes;
  f.kv_bytes_per_pos = static_cast<uint64_t>(2 * 2 * config.n_layer * config.kv_dim());
  if (!config.tied_output && config.n_vocab > 0) {
    // Only one row of the embedding table is read per token.
    f.weights_read_bytes -= embd_bytes - embd_bytes / static_cast<uint64_t>(config.n_vocab);
  }
  return f;
}

struct Memory {
  double peak_mb = 0;  // ru_maxrss
  double now_mb = 0;   // /proc/self/statm resident
};

Memory memory_now() {
  Memory m;
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) m.peak_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (statm >> size_pages >> resident_pages) {
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    m.now_mb = static_cast<double>(resident_pages) * page / (1024.0 * 1024.0);
  }
  return m;
}


// Positions each sequence's cache holds: the fill, then pp or tg after it.
int64_t context_size(const BenchConfig& c) { return std::max<int64_t>(1, c.depth + c.pp + c.tg); }

// Everything the timed loops use: one cache per decoded sequence.
struct Bench {
  std::shared_ptr<const model::Model> model;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<model::ForwardContext> ctx;
  std::vector<std::unique_ptr<model::KvCache>> caches;  // [batch]
  std::vector<float> logits;                            // [batch, n_vocab]
  std::mt19937 rng;

  int32_t random_token() {
    const auto n_vocab = static_cast<int32_t>(model->config().n_vocab);
    return std::uniform_int_distribution<int32_t>(0, n_vocab - 1)(rng);
  }
};

Result<Bench> make_bench(std::shared_ptr<const model::Model> m, const BenchConfig& c) {
  Bench b;
  b.model = std::move(m);
  const model::ModelConfig& config = b.model->config();
  const int n_threads =
      c.threads > 0 ? c.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  b.pool = std::make_unique<ThreadPool>(n_threads);
  b.ctx = std::make_unique<model::ForwardContext>(config, c.max_batch, b.pool.get());
  const int64_t n_ctx = context_size(c);
  for (int i = 0; i < c.batch; ++i) {
    R1_ASSIGN_OR_RETURN(std::unique_ptr<model::KvCache> cache, model::KvCache::create(config, n_ctx));
    b.caches.push_back(std::move(cache));
  }
  b.logits.resize(static_cast<size_t>(c.batch) * static_cast<size_t>(config.n_vocab));
  b.rng.seed(static_cast<std::mt19937::result_type>(c.seed));
  return b;
}

// Fills every sequence's cache with depth random tokens (one prefill each,
// chunked by --max-batch, no logits); returns the seconds it took.
Result<double> fill(Bench& b, int64_t depth) {
  const SteadyClock::time_point t0 = SteadyClock::now();
  std::vector<model::BatchEntry> batch(static_cast<size_t>(depth));
  for (const auto& cache : b.caches) {
    cache->clear();
    for (int64_t i = 0; i < depth; ++i) {
      batch[static_cast<size_t>(i)] = {b.random_token(), static_cast<int32_t>(i), cache.get(), false};
    }
    R1_RETURN_IF_ERROR(model::forward(*b.model, batch, *b.ctx, nullptr));
  }
  return seconds_since(t0);
}

// One forward over n random tokens of the first sequence, after its cache
// is cut back to its first start positions (start <= its size).
Result<double> time_prefill(Bench& b, int64_t n, int64_t start) {
  model::KvCache* cache = b.caches[0].get();
  cache->truncate(start);
  std::vector<model::BatchEntry> batch(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    batch[static_cast<size_t>(i)] = {b.random_token(), static_cast<int32_t>(start + i), cache,
                                     i == n - 1};
  }
  const SteadyClock::time_point t0 = SteadyClock::now();
  R1_RETURN_IF_ERROR(model::forward(*b.model, batch, *b.ctx, b.logits.data()));
  return seconds_since(t0);
}

// steps forwards of one token per sequence, every cache cut back to its
// first start positions; the next token of each sequence is the argmax of
// its logits.
Result<double> time_decode(Bench& b, int64_t steps, int64_t start) {
  const size_t n_seq = b.caches.size();
  const auto n_vocab = static_cast<size_t>(b.model->config().n_vocab);
  std::vector<int32_t> tokens(n_seq);
  for (size_t s = 0; s < n_seq; ++s) {
    b.caches[s]->truncate(start);
    tokens[s] = b.random_token();
  }
  std::vector<model::BatchEntry> batch(n_seq);
  const SteadyClock::time_point t0 = SteadyClock::now();
  for (int64_t step = 0; step < steps; ++step) {
    for (size_t s = 0; s < n_seq; ++s) {
      batch[s] = {tokens[s], static_cast<int32_t>(start + step), b.caches[s].get(), true};
    }
    R1_RETURN_IF_ERROR(model::forward(*b.model, batch, *b.ctx, b.logits.data()));
    for (size_t s = 0; s < n_seq; ++s) {
      const float* row = b.logits.data() + s * n_vocab;
      tokens[s] = static_cast<int32_t>(std::max_element(row, row + n_vocab) - row);
    }
  }
  return seconds_since(t0);
}

struct Figures : bench_record::Timings {
  Memory memory;
  uint64_t kv_bytes = 0;
  int n_threads = 0;
  ModelFacts facts;
  std::string arch;
};

// Touches every weight page (and the caches' first pages) before timing.
Result<double> warm_up(Bench& b, const BenchConfig& c) {
  const SteadyClock::time_point t0 = SteadyClock::now();
  const int64_t n_ctx = b.caches[0]->n_ctx();
  const int64_t n = std::min<int64_t>({std::max<int64_t>(c.pp, 1), c.max_batch, n_ctx});
  R1_RETURN_IF_ERROR(time_prefill(b, n, 0));
  if (c.tg > 0) R1_RETURN_IF_ERROR(time_decode(b, 1, 0));
  return seconds_since(t0);
}

Status run_tests(Bench& b, const BenchConfig& c, Figures& f) {
  R1_ASSIGN_OR_RETURN(f.warmup_s, warm_up(b, c));
  for (int r = 0; r < c.reps; ++r) {
    if (c.depth > 0) {
      R1_ASSIGN_OR_RETURN(double s, fill(b, c.depth));
      f.fill_s.push_back(s);
    }
    if (c.pp > 0) {
      R1_ASSIGN_OR_RETURN(double s, time_prefill(b, c.pp, c.depth));
      f.pp_s.push_back(s);
    }
    if (c.tg > 0) {
      R1_ASSIGN_OR_RETURN(double s, time_decode(b, c.tg, c.depth));
      f.tg_s.push_back(s);
    }
  }
  return Status();
}


bench_record::Shape shape(const BenchConfig& c, const Figures& f) {
  return {f.n_threads, c.batch, c.reps, c.pp, c.tg, c.depth};
}

nlohmann::json to_json(const BenchConfig& c, const Figures& f) {
  nlohmann::json j;
  j["engine"] = "r1serve";
  j["model"] = std::filesystem::path(c.model).filename().string();
  j["arch"] = f.arch;
  j["type"] = f.facts.type;
  j["n_params"] = f.facts.n_params;
  j["model_bytes"] = f.facts.model_bytes;
  j["weights_read_bytes"] = f.facts.weights_read_bytes;
  bench_record::put(j, shape(c, f), f);
  j["kv_bytes"] = f.kv_bytes;
  j["kv_bytes_per_pos"] = f.facts.kv_bytes_per_pos;
  j["rss_mb"] = f.memory.peak_mb;
  j["rss_now_mb"] = f.memory.now_mb;
  return j;
}


void print_text(const BenchConfig& c, const Figures& f) {
  constexpr double kMiB = 1024.0 * 1024.0;
  std::printf("model: %s (%s %s, %.2f B params, %.0f MiB; decode reads %.0f MiB/token)\n",
              c.model.c_str(), f.arch.c_str(), f.facts.type.c_str(),
              static_cast<double>(f.facts.n_params) / 1e9,
              static_cast<double>(f.facts.model_bytes) / kMiB,
              static_cast<double>(f.facts.weights_read_bytes) / kMiB);
  std::printf("load: %.3f s, warm-up: %.3f s\n", f.load_s, f.warmup_s);
  bench_record::print_table(shape(c, f), f);
  std::printf("memory: peak RSS %.1f MiB, current RSS %.1f MiB, KV cache %.1f MiB\n",
              f.memory.peak_mb, f.memory.now_mb, static_cast<double>(f.kv_bytes) / kMiB);
}

}  // namespace

int bench_command(const BenchConfig& c) {
  // The memory check covers the weights and one sequence's KV cache.
  Result<LoadedModel> loaded = load_model(c.model, context_size(c));
  if (!loaded.ok()) return report(loaded.error());
  Figures f;
  f.load_s = loaded->load_seconds;
  const model::ModelConfig& config = loaded->model->config();
  f.facts = model_facts(*loaded->file, config);
  f.arch = std::string(model::arch_spec(config.arch).name);
  Result<Bench> bench = make_bench(loaded->model, c);
  if (!bench.ok()) return report(bench.error());
  f.n_threads = bench->pool->size();
  for (const auto& cache : bench->caches) f.kv_bytes += cache->bytes();
  print_config();
  Status st = run_tests(*bench, c, f);
  if (!st.ok()) return report(st.error());
  f.memory = memory_now();
  if (c.json) {
    std::printf("%s\n", to_json(c, f).dump().c_str());
  } else {
    print_text(c, f);
  }
  return kExitOk;
}

}  // namespace r1::app
