// `r1serve serve`: the OpenAI-compatible HTTP server over the continuous-
// batching engine (src/server/engine_backend.h).
//
// Start-up: the HTTP server binds first ("listening on http://HOST:PORT" on
// stderr; --port 0 picks a free port), so /health answers 200 and /ready
// 503 "loading model" while the model loads; then /ready turns 200. With no
// -m, a demo model with RANDOM WEIGHTS is synthesized once into the cache
// dir ($R1SERVE_CACHE, else $XDG_CACHE_HOME/r1serve, else ~/.cache/r1serve).
//
// Shutdown: SIGTERM or SIGINT drains (/ready and new generation requests
// 503), waits up to --grace-seconds for the streams in flight, stops and
// exits 0. A second signal exits at once (status 1).
//
// Test mode (--test-mode): the --fault-* flags inject failures into the
// generation routes (server/fault_injection.h) for chaos tests of the
// gateway. A --fault-* flag without --test-mode is a usage error (exit 2)
// before anything starts. --fault-if-model S applies the faults only when
// the model path contains S (a gateway gives a new version its stable
// pool's flags: this makes only the canary's workers faulty).
//
// Thread contract: called from main()'s thread only; it blocks SIGINT and
// SIGTERM in every thread and takes them on its own sigwait thread.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "voice_options.h"

namespace r1::app {

inline constexpr const char* kDemoModelId = "r1-demo-random-weights";
inline constexpr const char* kDemoPreset = "r1-distill-qwen-1.5b";
inline constexpr const char* kDemoType = "q4_k_m";
inline constexpr uint64_t kDemoSeed = 42;

inline constexpr int kQueuePerSlot = 64;

struct ServeConfig {
  std::string model;  // empty: the demo model
  std::string demo_preset = kDemoPreset;
  std::string host = "127.0.0.1";
  int port = 8080;
  int parallel = 4;   // sequence slots
  // Waiting requests before 429; -1: kQueuePerSlot per slot, so the default
  // 4 slots hold 256 waiting clients (the brief's `ab -c 100` fits whole).
  int queue = -1;
  int64_t ctx = 4096; // positions per sequence
  std::vector<std::string> api_keys;
  int threads = 0;       // forward-pass threads (0: all cores)
  int http_threads = 2;  // I/O threads
  std::vector<std::string> cors;
  std::string template_name;  // empty: detected from the model
  int64_t kv_budget_mb = 0;   // 0: parallel * ctx positions
  double grace_seconds = 30;
  int64_t body_limit_kb = 1024;
  bool test_mode = false;          // allows the --fault-* flags
  double fault_error_rate = 0.0;   // [0, 1]: share of generations answered 500
  int64_t fault_latency_ms = 0;    // delay before each generation response starts
  int fault_hang_after = -1;       // >= 0: streams stop after N chunks, never end
  uint64_t fault_seed = 0;         // the error draws' RNG
  std::string fault_if_model;      // non-empty: faults only when the model path contains it
  VoiceOptions voice;              // --voice: the /v1/audio/* endpoints
};

CLI::App* add_serve_command(CLI::App& app, ServeConfig& c);
int serve_command(const ServeConfig& c);

}  // namespace r1::app
