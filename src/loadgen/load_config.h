// Configuration of `r1serve bench serve`, the HTTP load generator, and the
// parsed target URL. Modelled on vLLM's benchmarks/benchmark_serving.py:
// a closed loop of --concurrency requests in flight, or Poisson arrivals at
// --rate requests/s (optionally capped by --concurrency), bounded by
// --num-requests and/or --duration.
//
// Thread contract: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace r1::loadgen {

enum class ApiEndpoint { kChat, kCompletions, kPredict };

inline constexpr int kMaxConcurrency = 1000;         // sockets in flight
inline constexpr int kDefaultRateConcurrency = 256;  // cap with --rate and no --concurrency
inline constexpr int64_t kDefaultNumRequests = 100;  // without --num-requests / --duration
inline constexpr int64_t kMaxNumRequests = 10'000'000;
inline constexpr double kMaxDurationS = 86'400;
inline constexpr double kMaxTimeoutS = 3'600;
inline constexpr int kMaxPromptLen = 1 << 20;
inline constexpr int kMaxOutputLen = 1 << 20;

struct LoadConfig {
  std::string url = "http://127.0.0.1:8080";
  std::string endpoint = "chat";  // chat | completions | predict
  std::string model;              // the request's "model"; empty: not sent
  int concurrency = 0;            // max in flight; 0: 1, or 256 with --rate
                                  // (with --connections: that many)
  int connections = 0;            // held open from the start (GET /health on each),
                                  // requests spread over them round robin; 0: as needed
  double rate = 0;                // requests/s, Poisson arrivals; 0: closed loop
  int64_t num_requests = 0;       // 0: 100 unless --duration is given
  double duration_s = 0;          // no new requests after this; 0: no limit
  int prompt_len = 128;           // synthetic prompt, in words (~tokens)
  int output_len = 128;           // max_tokens
  std::string api_key;            // Authorization: Bearer
  uint64_t seed = 0;              // prompts and arrival times
  double timeout_s = 60;          // one request, connect to last byte
  bool json = false;              // one JSON object on stdout
};

struct Url {
  std::string host;       // without IPv6 brackets
  uint16_t port = 80;
  std::string base_path;  // "" or "/prefix" (no trailing '/')
};

// "http://host[:port][/prefix]"; IPv6 hosts in brackets. https is kUnsupported.
Result<Url> parse_url(std::string_view text);

Result<ApiEndpoint> parse_endpoint(std::string_view name);
const char* endpoint_name(ApiEndpoint endpoint);
// "/v1/chat/completions", "/v1/completions", "/api/predict".
const char* endpoint_path(ApiEndpoint endpoint);
bool endpoint_streams(ApiEndpoint endpoint);

// A validated config with its defaults resolved.
struct LoadPlan {
  LoadConfig config;  // concurrency and num_requests resolved
  Url url;
  ApiEndpoint endpoint = ApiEndpoint::kChat;
};

// Checks every option's range and the URL; kInvalidArgument names the option.
Result<LoadPlan> make_plan(const LoadConfig& config);

}  // namespace r1::loadgen
