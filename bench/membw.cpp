// membw: memory read bandwidth, the roofline of decode (every weight byte is
// read once per token). Sums a buffer (default 1 GiB, far above the caches)
// with the widest vector kernel the CPU runs (AVX-512, else AVX2, else
// scalar; kernels in membw_*.cpp, each built with its own ISA flags), split
// over 1 and N threads; reports the best and the median of --reps passes.
//
//   membw [--size-mib 1024] [-t 1 -t 2] [--reps 5] [--isa auto] [--json]
//
// Text: one line per thread count. JSON: one object,
//   {"isa":"avx512","size_mib":1024,"reps":5,
//    "results":[{"threads":1,"gbps":27.1,"median_gbps":26.8},...],
//    "gbps_by_threads":{"1":27.1,"2":33.0}}
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_cli.h"
#include "membw_kernels.h"

namespace {

struct Config {
  int64_t size_mib = 1024;
  std::vector<int> threads;  // empty: 1 and hardware concurrency
  int reps = 5;
  std::string isa = "auto";
  bool json = false;
};

using SumFn = float (*)(const float*, size_t);

struct Kernel {
  std::string name;
  SumFn fn = nullptr;
};

// Picks the kernel; an explicitly requested ISA the CPU lacks is an error.
bool pick_kernel(const std::string& isa, Kernel& k) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2");
  if ((isa == "auto" && avx512) || (isa == "avx512" && avx512)) {
    k = {"avx512", r1::bench::sum_avx512};
  } else if ((isa == "auto" && avx2) || (isa == "avx2" && avx2)) {
    k = {"avx2", r1::bench::sum_avx2};
  } else if (isa == "auto" || isa == "scalar") {
    k = {"scalar", r1::bench::sum_scalar};
  } else {
    return false;
  }
  return true;
}

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float, FreeDeleter>;

// Fills the buffer from all threads (first touch) so its pages are resident.
void fill(float* p, size_t n, int n_threads) {
  std::vector<std::thread> workers;
  const size_t chunk = n / static_cast<size_t>(n_threads);
  for (int t = 0; t < n_threads; ++t) {
    workers.emplace_back([=] {
      const size_t end = t == n_threads - 1 ? n : chunk * static_cast<size_t>(t + 1);
      for (size_t i = chunk * static_cast<size_t>(t); i < end; ++i) p[i] = static_cast<float>(i & 7);
    });
  }
  for (std::thread& w : workers) w.join();
}

// Seconds to sum the buffer once, split in n_threads slices of whole blocks.
double one_pass(const Kernel& k, const float* p, size_t n, int n_threads, float& sink) {
  constexpr size_t kBlock = 128;  // floats per kernel iteration (AVX-512)
  const size_t blocks = n / kBlock;
  std::vector<float> sums(static_cast<size_t>(n_threads));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < n_threads; ++t) {
    workers.emplace_back([&, t] {
      const size_t b0 = blocks * static_cast<size_t>(t) / static_cast<size_t>(n_threads);
      const size_t b1 = blocks * static_cast<size_t>(t + 1) / static_cast<size_t>(n_threads);
      sums[static_cast<size_t>(t)] = k.fn(p + b0 * kBlock, (b1 - b0) * kBlock);
    });
  }
  for (std::thread& w : workers) w.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (float v : sums) sink += v;
  return s;
}

struct Row {
  int threads = 0;
  double best_gbps = 0;
  double median_gbps = 0;
};

Row measure(const Kernel& k, const float* p, size_t n, int n_threads, int reps, float& sink) {
  std::vector<double> gbps;
  const double bytes = static_cast<double>(n) * sizeof(float);
  one_pass(k, p, n, n_threads, sink);  // warm-up
  for (int r = 0; r < reps; ++r) gbps.push_back(bytes / one_pass(k, p, n, n_threads, sink) / 1e9);
  std::sort(gbps.begin(), gbps.end());
  return {n_threads, gbps.back(), gbps[gbps.size() / 2]};
}

void print(const Config& c, const Kernel& k, const std::vector<Row>& rows) {
  if (!c.json) {
    for (const Row& r : rows) {
      std::printf("read bandwidth (%s, %lld MiB): %d thread%s %.1f GB/s (median %.1f)\n",
                  k.name.c_str(), static_cast<long long>(c.size_mib), r.threads,
                  r.threads == 1 ? ": " : "s:", r.best_gbps, r.median_gbps);
    }
    return;
  }
  nlohmann::json j{{"isa", k.name}, {"size_mib", c.size_mib}, {"reps", c.reps}};
  j["results"] = nlohmann::json::array();
  for (const Row& r : rows) {
    j["results"].push_back({{"threads", r.threads}, {"gbps", r.best_gbps}, {"median_gbps", r.median_gbps}});
    j["gbps_by_threads"][std::to_string(r.threads)] = r.best_gbps;
  }
  std::printf("%s\n", j.dump().c_str());
}

int run(Config c) {
  Kernel k;
  if (!pick_kernel(c.isa, k)) {
    std::fprintf(stderr, "error: this CPU does not support %s\n", c.isa.c_str());
    return 1;
  }
  if (c.threads.empty()) {
    const int hw = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    c.threads = hw > 1 ? std::vector<int>{1, hw} : std::vector<int>{1};
  }
  const size_t n = static_cast<size_t>(c.size_mib) << 18;  // floats: MiB * 2^20 / 4
  Buffer buf(static_cast<float*>(std::aligned_alloc(64, n * sizeof(float))));
  if (!buf) {
    std::fprintf(stderr, "error: cannot allocate %lld MiB\n", static_cast<long long>(c.size_mib));
    return 1;
  }
  fill(buf.get(), n, *std::max_element(c.threads.begin(), c.threads.end()));
  float sink = 0;
  std::vector<Row> rows;
  for (int t : c.threads) rows.push_back(measure(k, buf.get(), n, t, c.reps, sink));
  print(c, k, rows);
  return sink == -1.0f ? 2 : 0;  // keeps the sums observable
}

}  // namespace

namespace r1::bench {

float sum_scalar(const float* p, size_t n) {
  float acc[8] = {};
  for (size_t i = 0; i < n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += p[i + static_cast<size_t>(k)];
  }
  float s = 0;
  for (float v : acc) s += v;
  return s;
}

}  // namespace r1::bench

int main(int argc, char** argv) {
  CLI::App app{"membw: memory read bandwidth (GB/s)"};
  app.option_defaults()->always_capture_default();
  Config c;
  app.add_option("--size-mib", c.size_mib, "buffer size in MiB")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app.add_option("-t,--threads", c.threads, "thread counts (repeatable; default 1 and all cores)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--reps", c.reps, "passes per thread count")->check(CLI::Range(1, 1000));
  app.add_option("--isa", c.isa, "auto, avx512, avx2, scalar")
      ->check(CLI::IsMember({"auto", "avx512", "avx2", "scalar"}));
  app.add_flag("--json", c.json, "print one JSON object");
  if (std::optional<int> exit_code = r1::bench::parse_command_line(app, argc, argv, "membw")) return *exit_code;
  return run(c);
}
