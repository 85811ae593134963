// OpenAI-compatible response bodies as pure functions: error bodies, full
// chat/text completions, /api/predict, /v1/models, and SSE chunks
// ("data: {json}\n\n", then "data: [DONE]\n\n"). Invalid UTF-8 in model text
// is replaced (U+FFFD), never thrown.
//
// Thread contract: pure functions and value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/backend/backend.h"
#include "server/api/openai_types.h"

namespace r1::server {

inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

struct ResponseMeta {
  Endpoint endpoint = Endpoint::kChat;
  std::string id;       // "chatcmpl-..." / "cmpl-..."
  int64_t created = 0;  // unix seconds
  std::string model;
};

// {"error":{"message","type","param","code"}}
std::string render_error(const ApiError& error);

// One streamed step. For chat, `reasoning` and `content` go to
// choices[0].delta.reasoning_content / .content (only non-empty ones); for
// completions `content` is choices[0].text. `role` marks the first chunk.
struct StreamDelta {
  bool role = false;
  std::string reasoning;
  std::string content;
  std::optional<TokenLogprob> logprob;
  // Set (possibly empty): the chunk carries "r1_token_ids" (continuation.h).
  std::optional<std::vector<int32_t>> token_ids;
};
std::string render_stream_delta(const ResponseMeta& meta, const StreamDelta& delta);
// The last choice chunk: empty delta, finish_reason and "timings"; with
// `token_ids` also "r1_token_ids".
std::string render_stream_finish(const ResponseMeta& meta, const FinishEvent& finish,
                                 const std::vector<int32_t>* token_ids = nullptr);
// stream_options.include_usage: choices [] and "usage" (and "r1_token_ids").
std::string render_stream_usage(const ResponseMeta& meta, const Usage& usage,
                                const std::vector<int32_t>* token_ids = nullptr);
// An error after the stream started: data: {"error":{...}}
std::string render_stream_error(const ApiError& error);

struct Completed {
  std::string reasoning;
  std::string content;  // chat content, completion text, predict text
  std::vector<TokenLogprob> logprobs;
  bool want_logprobs = false;
  FinishEvent finish;
};
// chat.completion, text_completion, or /api/predict's
// {text, reasoning, finish_reason, usage, timings}, by meta.endpoint.
std::string render_completed(const ResponseMeta& meta, const Completed& done);

// The text model first, then the voice models (audio_service.h).
std::string render_models(const std::vector<std::string>& model_ids, int64_t created);

}  // namespace r1::server
