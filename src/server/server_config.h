// Configuration of the HTTP server (`r1serve serve`).
//
// Thread contract: a value type.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "http/session_limits.h"

namespace r1::server {

// Test-only fault injection (`r1serve serve --test-mode --fault-*`), applied
// to the generation routes (/v1/chat/completions, /v1/completions,
// /api/predict) by the router (fault_injection.h). Defaults: off.
struct FaultConfig {
  double error_rate = 0.0;  // [0, 1]: share answered 500 before any byte
  std::chrono::milliseconds added_latency{0};  // delay before the response starts
  int hang_after_tokens = -1;  // >= 0: after N token chunks send nothing, never end
  uint64_t seed = 0;           // the error draws' RNG
  bool active() const {
    return error_rate > 0.0 || added_latency.count() > 0 || hang_after_tokens >= 0;
  }
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: ephemeral (HttpServer::port() tells which)
  int threads = 2;       // I/O threads (>= 1)
  std::vector<std::string> api_keys;      // empty: no authentication
  std::vector<std::string> cors_origins;  // allowed Origins; "*" allows any
  // Each connection's session: body 1 MiB (larger: 413), header 16 KiB
  // (431), idle 60 s between requests, read 30 s, each write 30 s.
  http::SessionLimits limits;
  std::chrono::milliseconds request_deadline{0};    // generation deadline; 0: none
  int retry_after_seconds = 1;                       // on 429 / 503
  int max_tokens_limit = 131072;                     // larger max_tokens: 400
  std::string version = "0.1.0";                     // r1serve_build_info
  FaultConfig faults;                                // tests only; off by default
};

}  // namespace r1::server
