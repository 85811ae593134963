// The request, event and sink types of the continuous-batching scheduler
// (scheduler.h). They mirror server::Backend's (src/server/backend/backend.h) so an
// adapter maps them field by field; the engine does not depend on the server.
//
// Thread contract: plain value types, except RequestSink, whose calls for one
// request come from the scheduler's engine thread, never concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sampling/sampler.h"

namespace r1::engine {

inline constexpr int kMaxTopLogprobs = 20;

struct SchedRequest {
  std::vector<int32_t> prompt;  // rendered prompt ids (non-empty)
  // Ids an earlier worker already generated for this request (the gateway's
  // stream continuation). They are appended after the prompt and not
  // re-emitted; they count toward max_tokens and completion_tokens, and the
  // sampler, detokenizer, stop matcher and reasoning splitter are advanced
  // over them, so the continuation equals the uninterrupted run (greedy, or
  // seeded: see sequence.h on the per-step RNG).
  std::vector<int32_t> resume_tokens;
  sampling::SamplingParams sampling;  // max_tokens and stop strings live here
  int top_logprobs = -1;              // -1: no logprobs; 0..kMaxTopLogprobs
  bool split_reasoning = false;       // route text to reasoning / content
  bool starts_in_reasoning = false;   // the prompt left "<think>\n" open
  std::optional<SteadyClock::time_point> deadline;  // ends with kDeadline
};

struct TokenAlt {
  int32_t token = 0;
  std::string text;  // the token's bytes (may be partial UTF-8)
  float logprob = 0;
};

struct TokenLogprobs {
  int32_t token = 0;
  std::string text;
  float logprob = 0;
  std::vector<TokenAlt> top;  // best first
};

// One sampled token (token >= 0), or the text released at the end
// (token == -1: held-back bytes of a partial character or stop string).
// `text` is whole UTF-8 characters with stop strings removed (may be empty);
// with split_reasoning the same bytes are routed to reasoning / content.
// End-of-generation tokens are not emitted.
struct StreamEvent {
  int32_t token = -1;
  std::string text;
  std::string reasoning;
  std::string content;
  std::optional<TokenLogprobs> logprobs;
};

enum class FinishReason { kEog, kStopString, kMaxTokens, kContextFull, kDeadline, kCancelled };
const char* finish_reason_name(FinishReason r);

struct FinishInfo {
  FinishReason reason = FinishReason::kEog;
  int64_t prompt_tokens = 0;      // the request's prompt (resume tokens excluded)
  int64_t completion_tokens = 0;  // resumed + newly sampled (EOG included)
  int64_t cached_tokens = 0;      // prompt tokens reused from the prefix cache
  int64_t prompt_n = 0;           // tokens evaluated before the first sample
  double prompt_ms = 0;           // admission to first sample
  int64_t predicted_n = 0;        // newly sampled tokens
  double predicted_ms = 0;        // first sample to finish
};

// Receives the events of one request from the engine thread: any number of
// on_token, then exactly one of on_finish / on_error. Must be cheap and must
// not call back into the scheduler synchronously.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  virtual void on_token(const StreamEvent& event) = 0;
  virtual void on_finish(const FinishInfo& info) = 0;
  virtual void on_error(const Error& error) = 0;
};

}  // namespace r1::engine
