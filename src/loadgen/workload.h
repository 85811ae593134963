// What the load generator sends and how it reads what comes back, as pure
// functions: synthetic prompts, request bodies, and the token/usage facts
// of one SSE chunk or one non-streamed response body.
//
// Thread contract: pure functions and value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loadgen/load_config.h"

namespace r1::loadgen {

// About n_words tokens of text: words from a fixed list (each a single
// token in common BPE vocabularies), chosen by a generator seeded with
// (seed, index), so request `index` always gets the same prompt.
std::string synthetic_prompt(int n_words, uint64_t seed, uint64_t index);

struct BodyParams {
  ApiEndpoint endpoint = ApiEndpoint::kChat;
  std::string model;  // empty: not sent
  std::string prompt;
  int max_tokens = 0;
};

// The JSON request body: streaming with stream_options.include_usage for
// chat and completions, plain for predict.
std::string request_body(const BodyParams& params);

// Facts of one SSE data payload (or of a non-streamed body).
struct ChunkFacts {
  bool valid = false;          // a JSON object
  bool error = false;          // {"error": ...}
  bool has_token = false;      // non-empty content, reasoning or text
  int64_t usage_tokens = -1;   // usage.completion_tokens; -1: absent
};

// One "data:" payload other than "[DONE]": chat deltas (content,
// reasoning_content / reasoning) or completions' choices[].text.
ChunkFacts read_chunk(ApiEndpoint endpoint, std::string_view data);
// A complete (non-streamed) response body: usage.completion_tokens, and
// has_token if it carries text.
ChunkFacts read_completed(std::string_view body);

}  // namespace r1::loadgen
