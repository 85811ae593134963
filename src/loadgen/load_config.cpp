#include "loadgen/load_config.h"

#include <cmath>

#include "core/enum_names.h"
#include "http/url.h"

namespace r1::loadgen {

namespace {

Error bad(const std::string& option, const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, option + ": " + message);
}

constexpr EnumName<ApiEndpoint> kEndpointNames[] = {
    {ApiEndpoint::kChat, "chat"}, {ApiEndpoint::kCompletions, "completions"}, {ApiEndpoint::kPredict, "predict"}};
constexpr EnumName<ApiEndpoint> kEndpointPaths[] = {{ApiEndpoint::kChat, "/v1/chat/completions"},
                                                    {ApiEndpoint::kCompletions, "/v1/completions"},
                                                    {ApiEndpoint::kPredict, "/api/predict"}};

}  // namespace

Result<Url> parse_url(std::string_view text) {
  if (text.starts_with("https://")) {
    return make_error(ErrorCode::kUnsupported, "--url: https is not supported; use http://");
  }
  if (!text.starts_with("http://")) return bad("--url", "expected http://host[:port]");
  Result<http::Url> parsed = http::parse_url(text);
  if (!parsed.ok()) return bad("--url", parsed.error().message);
  Url url{parsed->host, parsed->port, parsed->target};
  while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
  if (url.base_path.find_first_of("?#") != std::string::npos) {
    return bad("--url", "the path may not hold a query or fragment");
  }
  return url;
}

Result<ApiEndpoint> parse_endpoint(std::string_view name) {
  if (std::optional<ApiEndpoint> e = enum_from_name(kEndpointNames, name)) return *e;
  return bad("--endpoint", "expected " + enum_names_list(kEndpointNames) + ", got '" + std::string(name) + "'");
}

const char* endpoint_name(ApiEndpoint endpoint) { return enum_name(kEndpointNames, endpoint); }
const char* endpoint_path(ApiEndpoint endpoint) { return enum_name(kEndpointPaths, endpoint, "/"); }

bool endpoint_streams(ApiEndpoint endpoint) { return endpoint != ApiEndpoint::kPredict; }

Result<LoadPlan> make_plan(const LoadConfig& config) {
  LoadPlan plan;
  plan.config = config;
  LoadConfig& c = plan.config;
  R1_ASSIGN_OR_RETURN(plan.url, parse_url(c.url));
  R1_ASSIGN_OR_RETURN(plan.endpoint, parse_endpoint(c.endpoint));
  if (c.concurrency < 0 || c.concurrency > kMaxConcurrency) {
    return bad("--concurrency", "must be in [0, " + std::to_string(kMaxConcurrency) + "]");
  }
  if (c.connections < 0 || c.connections > kMaxConcurrency) {
    return bad("--connections", "must be in [0, " + std::to_string(kMaxConcurrency) + "]");
  }
  if (c.connections > 0 && c.concurrency > c.connections) {
    return bad("--concurrency", "must not exceed --connections");
  }
  if (!std::isfinite(c.rate) || c.rate < 0 || c.rate > 1e6) {
    return bad("--rate", "must be in [0, 1e6]");
  }
  if (c.num_requests < 0 || c.num_requests > kMaxNumRequests) {
    return bad("--num-requests", "must be in [0, " + std::to_string(kMaxNumRequests) + "]");
  }
  if (!std::isfinite(c.duration_s) || c.duration_s < 0 || c.duration_s > kMaxDurationS) {
    return bad("--duration", "must be in [0, 86400] seconds");
  }
  if (c.prompt_len < 1 || c.prompt_len > kMaxPromptLen) return bad("--prompt-len", "out of range");
  if (c.output_len < 1 || c.output_len > kMaxOutputLen) return bad("--output-len", "out of range");
  if (!std::isfinite(c.timeout_s) || c.timeout_s <= 0 || c.timeout_s > kMaxTimeoutS) {
    return bad("--timeout", "must be in (0, 3600] seconds");
  }
  if (c.api_key.find_first_of("\r\n") != std::string::npos) {
    return bad("--api-key", "must not hold CR or LF");
  }
  if (c.concurrency == 0 && c.connections > 0) c.concurrency = c.connections;
  if (c.concurrency == 0) c.concurrency = c.rate > 0 ? kDefaultRateConcurrency : 1;
  if (c.num_requests == 0 && c.duration_s == 0) c.num_requests = kDefaultNumRequests;
  return plan;
}

}  // namespace r1::loadgen
