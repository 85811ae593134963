// Configuration of the HTTP server (`r1serve serve`).
//
// Thread contract: a value type.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace r1::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: ephemeral (HttpServer::port() tells which)
  int threads = 2;       // I/O threads (>= 1)
  std::vector<std::string> api_keys;      // empty: no authentication
  std::vector<std::string> cors_origins;  // allowed Origins; "*" allows any
  size_t body_limit = 1 << 20;            // bytes; larger bodies get 413
  size_t header_limit = 16 << 10;         // bytes; larger headers get 431
  std::chrono::milliseconds read_timeout{30'000};   // one request (headers + body)
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive between requests
  std::chrono::milliseconds write_timeout{30'000};  // one write to the client
  std::chrono::milliseconds request_deadline{0};    // generation deadline; 0: none
  int retry_after_seconds = 1;                       // on 429 / 503
  int max_tokens_limit = 131072;                     // larger max_tokens: 400
  std::string version = "0.1.0";                     // r1serve_build_info
};

}  // namespace r1::server
