// OpenAI-compatible request parsing as pure functions: JSON text in, a
// validated request (with a GenerationRequest for the backend) or an
// OpenAI-style error out. Nothing here throws, allocates beyond a constant
// factor of the input, or touches the backend. Fuzzed by
// tests/fuzz/server_fuzz.cpp.
//
// Validation covers the shape: invalid JSON (or nesting beyond 64 levels),
// wrong types, unknown top-level or message fields, unknown model,
// negative/zero/absurd max_tokens, out-of-range sampling values, stop
// strings, logit_bias, logprobs, messages missing/empty, unknown roles.
// Limits that need the tokenizer (prompt longer than the context) are the
// backend's.
//
// Thread contract: pure functions and value types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/check.h"
#include "core/result.h"
#include "server/backend/backend.h"

namespace r1::server {

// An OpenAI-style error: {"error":{"message","type","param","code"}}.
struct ApiError {
  int http_status = 400;
  std::string type = "invalid_request_error";
  std::string message;
  std::string param;  // empty: null
  std::string code;   // empty: null
};

ApiError invalid_request(std::string param, std::string message, std::string code = "");
// Maps a backend submit()/on_error() failure: kResourceExhausted -> 429,
// kInvalidArgument/kOutOfRange -> 400 (context_length_exceeded),
// kUnsupported -> 503, others -> 500.
ApiError api_error_from(const Error& error);

template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}       // NOLINT: implicit by design
  ApiResult(ApiError error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  T& value() { CHECK(ok()); return std::get<0>(v_); }
  const T& value() const { CHECK(ok()); return std::get<0>(v_); }
  const ApiError& error() const { CHECK(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

enum class Endpoint { kChat, kCompletion, kPredict };

struct ParseLimits {
  std::string model_id;           // a request's "model" must equal it (if given)
  int max_tokens_limit = 131072;  // larger max_tokens is "absurd"
  size_t max_messages = 4096;
  size_t max_prompt_tokens = 1 << 20;  // token-id prompts / resume_tokens
};

inline constexpr int kMaxJsonDepth = 64;
inline constexpr int kMaxTopLogprobs = 20;
inline constexpr float kMaxLogitBias = 100.0f;
inline constexpr size_t kMaxLogitBiasEntries = 4096;
inline constexpr size_t kMaxStopStrings = 16;
inline constexpr size_t kMaxStopBytes = 256;

struct ApiRequest {
  Endpoint endpoint = Endpoint::kChat;
  std::string model;  // as sent (empty: not sent)
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // Worker-only "r1_include_token_ids": streamed chunks carry "r1_token_ids"
  // (src/gateway/continuation.h); ignored without "stream".
  bool include_token_ids = false;
  GenerationRequest generation;
};
using ChatRequest = ApiRequest;

// POST /v1/chat/completions.
ApiResult<ApiRequest> parse_chat_request(std::string_view body, const ParseLimits& limits);
// POST /v1/completions: "prompt" is a string or an array of token ids.
ApiResult<ApiRequest> parse_completion_request(std::string_view body, const ParseLimits& limits);
// POST /api/predict: {"prompt": "...", "max_tokens": n, sampling...}; the
// prompt is sent as one user message (chat template, reasoning split).
ApiResult<ApiRequest> parse_predict_request(std::string_view body, const ParseLimits& limits);

// True if the JSON text nests arrays/objects deeper than max_depth
// (a linear pre-scan that respects strings; run before parsing).
bool json_too_deep(std::string_view text, int max_depth);

}  // namespace r1::server
