// `r1serve bench serve --url URL`: load-tests a running OpenAI-compatible
// server over HTTP, like vLLM's benchmarks/benchmark_serving.py, and
// reports TTFT, TPOT, ITL and end-to-end latency percentiles, throughput,
// 429 refusals ("rejected") and other failures by kind (text, or one JSON
// object with --json). The engine is src/loadgen (load_runner.h). At start
// it raises the open-file soft limit to the hard limit and refuses (usage
// error) a --concurrency the limit cannot hold.
//
// Thread contract: called from main()'s thread only.
#pragma once

#include <CLI/CLI.hpp>

#include "loadgen/load_config.h"

namespace r1::app {

// Adds `serve` under the `bench` command.
CLI::App* add_bench_serve_command(CLI::App& bench, loadgen::LoadConfig& c);
int bench_serve_command(const loadgen::LoadConfig& c);

}  // namespace r1::app
