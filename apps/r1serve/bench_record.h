// The record of one `r1serve bench` run, llama-bench's protocol: a warm-up,
// then --reps repetitions of pp (prefill) and tg (decode) at --depth cached
// positions, medians reported. bench/llama_bench_peer runs the same
// protocol on llama.cpp and writes its record with these functions, so the
// two share their JSON keys and their table.
//
// Thread contract: value types and pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace r1::bench_record {

struct Shape {
  int threads = 1;
  int batch = 1;  // sequences decoded together
  int reps = 1;
  int64_t pp = 0;  // prompt tokens (0: no pp test)
  int64_t tg = 0;  // decode steps (0: no tg test)
  int64_t depth = 0;
};

struct Timings {
  double load_s = 0;
  double warmup_s = 0;
  std::vector<double> pp_s;    // one per repetition
  std::vector<double> tg_s;
  std::vector<double> fill_s;  // the untimed --depth fill of each repetition
};

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Tokens per second at the median time (0 without a repetition).
inline double rate(double tokens, const std::vector<double>& seconds) {
  const double s = median(seconds);
  return s > 0 ? tokens / s : 0;
}
inline double pp_tps(const Shape& s, const Timings& t) { return rate(static_cast<double>(s.pp), t.pp_s); }
inline double tg_tps(const Shape& s, const Timings& t) {
  return rate(static_cast<double>(s.tg) * s.batch, t.tg_s);
}

// The protocol's keys: threads, batch, reps, n_pp, n_tg, depth, load_s,
// warmup_s, pp_tps, tg_tps and the per-repetition pp_s, tg_s, fill_s.
inline void put(nlohmann::json& j, const Shape& s, const Timings& t) {
  j["threads"] = s.threads;
  j["batch"] = s.batch;
  j["reps"] = s.reps;
  j["n_pp"] = s.pp;
  j["n_tg"] = s.tg;
  j["depth"] = s.depth;
  j["load_s"] = t.load_s;
  j["warmup_s"] = t.warmup_s;
  j["pp_tps"] = pp_tps(s, t);
  j["tg_tps"] = tg_tps(s, t);
  j["pp_s"] = t.pp_s;
  j["tg_s"] = t.tg_s;
  j["fill_s"] = t.fill_s;
}

// "tg128", or "tg128@d4096" at a depth.
inline std::string test_name(const char* what, int64_t n, int64_t depth) {
  std::string name = what + std::to_string(n);
  if (depth > 0) name += "@d" + std::to_string(depth);
  return name;
}

// The table of tokens/s, llama-bench style, on stdout.
inline void print_table(const Shape& s, const Timings& t) {
  std::printf("%-12s %7s %5s %12s   (median of %d)\n", "test", "threads", "batch", "tokens/s", s.reps);
  if (s.pp > 0) {
    std::printf("%-12s %7d %5d %12.2f\n", test_name("pp", s.pp, s.depth).c_str(), s.threads, 1, pp_tps(s, t));
  }
  if (s.tg > 0) {
    std::printf("%-12s %7d %5d %12.2f\n", test_name("tg", s.tg, s.depth).c_str(), s.threads, s.batch,
                tg_tps(s, t));
  }
  if (s.depth > 0) std::printf("depth fill: %.3f s (median, not timed)\n", median(t.fill_s));
}

}  // namespace r1::bench_record
