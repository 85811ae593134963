// `r1serve bench`: prompt-processing and decode speed of the forward pass,
// model load time and memory, measured like llama.cpp's llama-bench (see
// bench/llama_bench_peer.cpp, which applies the same protocol to libllama):
//
//   load     open + validate + map the GGUF file (and its tokenizer)
//   warm-up  one prefill of min(pp, max_batch) tokens and one decode step, so
//            every weight page is resident before anything is timed
//   pp       one forward over pp random valid token ids from an empty cache
//            (chunked by --max-batch), logits for the last token only
//   tg       tg decode steps from an empty cache, one token per sequence per
//            forward, greedy (argmax) on the logits; with --batch B, B
//            sequences step together and tg_tps counts all B * tg tokens
//   depth    with --depth D (llama-bench's -d), each repetition first fills
//            every sequence's cache with D random valid tokens (not timed,
//            one prefill per sequence), then pp and tg each run from
//            position D (the cache is truncated back to D before each), so
//            their attention reads D + i cached positions. Each cache holds
//            D + pp + tg positions.
//
// Each of pp and tg runs --reps times; medians are reported. Memory: peak RSS
// (getrusage ru_maxrss) and current RSS (/proc/self/statm), both including
// the resident pages of the mapped model file.
//
// Thread contract: called from main()'s thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace r1::app {

struct BenchConfig {
  std::string model;
  int threads = 0;          // 0: all cores
  int64_t pp = 512;         // prompt tokens (0: skip)
  int64_t tg = 128;         // decode steps (0: skip)
  int batch = 1;            // sequences decoded together
  int reps = 3;             // repetitions of each test (median reported)
  int64_t max_batch = 512;  // tokens per forward chunk during prefill
  int64_t depth = 0;        // cached positions before each timed test
  uint64_t seed = 1234;     // random prompt ids
  bool json = false;        // one JSON object on stdout
};

CLI::App* add_bench_command(CLI::App& app, BenchConfig& c);
int bench_command(const BenchConfig& c);

}  // namespace r1::app
