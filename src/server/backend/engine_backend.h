// EngineBackend: the real server::Backend of `r1serve serve`, over the
// engine's continuous-batching Scheduler (engine/scheduler.h).
//
// It loads nothing itself: the app constructs it with the model id (so the
// HTTP server can start and answer /health, /ready 503 "loading model"
// before the weights are mapped), then attach()es the loaded model,
// tokenizer, chat template and scheduler options; from then on ready() is
// true.
//
// Per request it:
//  * renders chat messages with the chat template and tokenizes the result
//    with special tokens parsed (BOS when the model wants one and the
//    template did not write it); raw completion text is tokenized as given
//    (BOS per the tokenizer's default, special tokens parsed); token-id
//    prompts are used as they are;
//  * opens the reasoning block when the rendered prompt leaves "<think>"
//    open (tokenizer::prompt_opens_reasoning): the scheduler's per-request
//    ReasoningSplitter then routes text to reasoning / content deltas;
//  * rejects prompts (+ resume tokens) longer than the context with
//    kOutOfRange (the server's 400 "context_length_exceeded");
//  * maps the OpenAI sampling fields onto the model's defaults
//    (general.sampling.* or R1's temp 0.6 / top_p 0.95) and validates them
//    (kInvalidArgument -> 400);
//  * maps scheduler events, finish reasons, usage, timings and logprobs to
//    the server's types. A full queue is kResourceExhausted (-> 429).
//
// Stats: kv_cache_usage_ratio counts the KV blocks referenced by live
// sequences (a block they share with the prefix cache included, once);
// blocks only kept by the prefix cache (evictable) are reported apart as
// kv_cache_cached_blocks, as vLLM does. So an idle server reports 0.
//
// Thread contract: all Backend methods, attach(), set_not_ready() and
// engine_stats() are safe from any thread, concurrently. Sinks are called
// from the scheduler's engine thread (serialized per request). Destroying
// the backend ends every request still running with kCancelled.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/scheduler.h"
#include "model/weights.h"
#include "sampling/sampler.h"
#include "server/backend/backend.h"
#include "tokenizer/chat/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace r1::server {

// Everything attach() needs: what the app loaded and how to serve it.
struct EngineSetup {
  std::shared_ptr<const model::Model> model;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
  tokenizer::ChatTemplateKind template_kind = tokenizer::ChatTemplateKind::kDeepSeekR1;
  // Pass the model's BOS/EOS token texts (as `r1serve run` does).
  tokenizer::ChatTemplateOptions template_options;
  sampling::SamplingParams sampling_defaults;  // per-request fields override these
  engine::SchedulerOptions scheduler;
  double load_seconds = 0;  // reported in /metrics
};

class EngineBackend final : public Backend {
 public:
  explicit EngineBackend(std::string model_id);
  ~EngineBackend() override;
  EngineBackend(const EngineBackend&) = delete;
  EngineBackend& operator=(const EngineBackend&) = delete;

  // Creates the scheduler and turns ready. Errors: bad scheduler options or
  // KV budget (the backend stays not ready). CHECKs it is called once.
  Status attach(EngineSetup setup);
  // The reason ready() reports until attach() ("loading model" at first).
  void set_not_ready(std::string reason);

  std::string model_id() const override { return model_id_; }
  Readiness ready() const override;
  Result<RequestHandle> submit(const GenerationRequest& request,
                               std::shared_ptr<StreamSink> sink) override;
  void cancel(RequestHandle handle) override;
  BackendStats stats() const override;

  // The scheduler's full counters; nullopt before attach().
  std::optional<engine::SchedulerStats> engine_stats() const;
  // The effective context per sequence (0 before attach()).
  int64_t n_ctx() const;

 private:
  struct State;
  std::shared_ptr<State> state() const;

  const std::string model_id_;
  mutable std::mutex mu_;
  std::shared_ptr<State> state_;  // set once by attach()
  std::string not_ready_reason_ = "loading model";
};

// The server's FinishReason for an engine one (EOG and stop strings: stop;
// max_tokens and a full context: length).
FinishReason finish_reason_from_engine(engine::FinishReason r);

// OpenAI sampling fields applied over `defaults`, validated against the
// vocabulary. Errors: kInvalidArgument naming the field.
Result<sampling::SamplingParams> sampling_from_request(const GenerationRequest& request,
                                                       const sampling::SamplingParams& defaults,
                                                       int32_t n_vocab);

}  // namespace r1::server
