// The server's view of a generation backend: the engine's continuous-batching
// scheduler implements it (written separately); FakeBackend (fake_backend.h)
// implements it for tests. The HTTP layer is transport-only: the backend
// tokenizes, applies the chat template, samples, matches stop strings and
// splits reasoning ("<think>...</think>") from content. The server only
// validates the request shape (openai_types.h).
//
// Thread contract:
//  * Backend methods may be called from any thread, concurrently.
//  * A StreamSink receives the events of ONE request, never concurrently
//    (the backend serializes them), from backend threads. Exactly one
//    terminal event (on_finish or on_error) ends the stream; nothing follows
//    it and the backend drops its reference to the sink soon after.
//  * cancel() is idempotent and may race with the natural end; a cancelled
//    request still gets its terminal event (on_finish with kCancelled, or
//    on_finish/on_error if it ended first), within one decode step.
//  * Sink callbacks must be cheap and must not call back into the backend
//    synchronously.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/scheduler_types.h"
#include "core/clock.h"
#include "core/result.h"
#include "sampling/overrides.h"

namespace r1::server {

// Sampling fields as OpenAI / llama.cpp name them (sampling/overrides.h);
// absent ones keep the backend's (model's) defaults. Ranges are validated by
// the server.
using SamplingOptions = sampling::SamplingOverrides;

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant" ("developer" -> "system")
  std::string content;
  std::string reasoning_content;  // optional, assistant turns only
};

struct GenerationRequest {
  // Exactly one prompt form is set: chat `messages` (templated by the
  // backend), raw `prompt_text`, or raw `prompt_tokens`.
  std::vector<ChatMessage> messages;
  std::string prompt_text;
  std::vector<int32_t> prompt_tokens;
  bool is_chat() const { return !messages.empty(); }

  SamplingOptions sampling;
  int max_tokens = -1;  // -1: until the context ends
  std::vector<std::string> stop;
  bool logprobs = false;
  int top_logprobs = 0;  // alternatives per token (0..20)
  // True: split reasoning from content (chat default). False: everything
  // is reported as `text` (reasoning_format "none", /v1/completions).
  bool split_reasoning = true;
  // Worker-only extension: tokens already generated for this request by an
  // earlier worker (the gateway's stream continuation). The backend appends
  // them after the prompt and continues; they are not re-emitted.
  std::vector<int32_t> resume_tokens;
  std::optional<SteadyClock::time_point> deadline;  // ends with kDeadline
};

// One sampled token and its log-probabilities: the engine's own types
// (engine/scheduler_types.h), passed through unchanged. `text` is the
// detokenized piece (whole UTF-8 characters, stop strings removed; may be
// empty while held back); with split_reasoning the same bytes are routed to
// `reasoning` or `content` (tags removed); `logprobs` is set when the
// request asked for them.
using TokenAlternative = engine::TokenAlt;
using TokenLogprob = engine::TokenLogprobs;
using TokenEvent = engine::StreamEvent;

enum class FinishReason { kStop, kLength, kDeadline, kCancelled };
// OpenAI's finish_reason: "stop" or "length" (deadline -> "length").
const char* finish_reason_name(FinishReason r);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // prompt tokens found in the prefix cache
};

struct Timings {
  int64_t prompt_n = 0;  // prompt tokens evaluated (not cached)
  double prompt_ms = 0;
  int64_t predicted_n = 0;
  double predicted_ms = 0;
  int64_t cache_n = 0;  // prompt tokens reused from the cache
};

struct FinishEvent {
  FinishReason reason = FinishReason::kStop;
  Usage usage;
  Timings timings;
};

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void on_token(const TokenEvent& event) = 0;
  virtual void on_finish(const FinishEvent& event) = 0;
  // kInvalidArgument / kOutOfRange: the request (e.g. prompt beyond the
  // context); others: the backend failed.
  virtual void on_error(const Error& error) = 0;
};

struct RequestHandle {
  uint64_t id = 0;  // 0 is never a valid handle
};

struct Readiness {
  bool ready = false;
  std::string reason;  // why not ready ("loading model", "draining")
};

// Sampled by the server for /metrics.
struct BackendStats {
  int64_t queue_depth = 0;
  int64_t running_sequences = 0;
  double kv_cache_usage_ratio = 0;  // [0, 1]: blocks of live sequences / total
  int64_t kv_cache_cached_blocks = 0;  // held only by the prefix cache (reclaimable)
  int64_t kv_cache_blocks_total = 0;   // 0: the backend has no paged KV cache
  double model_load_seconds = 0;
  // Engine totals (0 for a backend without an engine): batched steps, the
  // seconds in the model's forward pass, and the seconds of whole steps
  // (forward plus sampling, detokenizing, handing events to the HTTP side,
  // admission and planning).
  // Each as {all steps, decode-only steps (every sequence forwards one
  // token)}.
  struct StepTotals {
    int64_t steps = 0;
    double forward_seconds = 0;
    double busy_seconds = 0;
  };
  StepTotals engine_all;
  StepTotals engine_decode;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string model_id() const = 0;
  virtual Readiness ready() const = 0;

  // Queues a request. Errors (no event is delivered then):
  //  kResourceExhausted: the admission queue is full (-> 429);
  //  kInvalidArgument / kOutOfRange: the request cannot run (-> 400), e.g.
  //  a prompt longer than the context; kUnsupported: not ready (-> 503).
  virtual Result<RequestHandle> submit(const GenerationRequest& request,
                                       std::shared_ptr<StreamSink> sink) = 0;
  virtual void cancel(RequestHandle handle) = 0;

  virtual BackendStats stats() const = 0;
};

}  // namespace r1::server
