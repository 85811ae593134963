// Sequence: the engine-side state of one scheduled request: its tokens, its
// KV cache (blocks of the scheduler's shared pool), its sampler and its
// output pipeline (detokenizer -> stop strings -> reasoning splitter ->
// sink).
//
// tokens() = prompt + resume tokens + sampled tokens. The cache holds the
// K/V of tokens()[0, cache size); the rest are "pending" and go through the
// next forward passes (a prompt in chunks, then one token per decode step).
// Dropping the cache (preemption) makes every token pending again: the
// recomputed K/V is bitwise the same (the forward pass is invariant to
// batching and chunking), so a preempted sequence continues exactly.
//
// Per-step RNG: the uniform draw of sampled (non-greedy) step i — i counts
// resumed and sampled tokens after the prompt — is derived from
// (seed, i) by a hash, not taken from a running stream. So a request
// resumed after k tokens with the same seed draws what the uninterrupted
// run drew at step k, and preemption does not disturb it. (Seeded output of
// the scheduler therefore differs from Session's running mt19937 stream.)
// Penalties, bias and truncation are the sampling::Sampler chain.
//
// Thread contract: owned and used by the scheduler's engine thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/clock.h"
#include "engine/scheduler_types.h"
#include "model/kv/kv_cache.h"
#include "sampling/logit_ops.h"
#include "sampling/sampler.h"
#include "sampling/stop_matcher.h"
#include "tokenizer/chat/reasoning.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace r1::engine {

// The uniform in [0, 1) that step `step` of a request seeded `seed` draws.
double step_uniform(uint64_t seed, int64_t step);

// A sampler whose draws depend only on (seed, step): see above.
//
// Thread contract: one sequence, one thread.
class StepSampler {
 public:
  // params must pass sampling::validate (CHECKed); an unseeded request gets
  // a random seed here.
  StepSampler(const sampling::SamplingParams& params, int32_t n_vocab);

  // Picks the token of step `step`; with top_n >= 0 also fills logprobs
  // (OpenAI: log-softmax of the biased/penalised logits).
  int32_t sample(std::span<const float> logits, int64_t step, int top_n,
                 sampling::SampleResult* logprobs);
  void accept(int32_t token) { base_.accept(token); }
  uint64_t seed() const { return seed_; }

 private:
  static sampling::SamplingParams seeded(sampling::SamplingParams p);

  uint64_t seed_;
  sampling::Sampler base_;  // penalty window and logit processing
  // Buffers: per thread (sequence.cpp), not per sequence.
};

struct SequenceInit {
  uint64_t id = 0;
  SchedRequest request;
  std::shared_ptr<RequestSink> sink;
  const tokenizer::Tokenizer* tokenizer = nullptr;
  int32_t n_vocab = 0;
  SteadyClock::time_point submitted;
};

class Sequence {
 public:
  explicit Sequence(SequenceInit init);
  Sequence(const Sequence&) = delete;
  Sequence& operator=(const Sequence&) = delete;

  uint64_t id() const { return id_; }
  const SchedRequest& request() const { return req_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  int64_t n_prompt() const { return n_prompt_; }
  int64_t n_generated() const { return static_cast<int64_t>(tokens_.size()) - n_prompt_; }
  bool finished() const { return finished_; }

  // The KV cache (null while waiting or preempted).
  model::KvCache* cache() const { return cache_.get(); }
  void set_cache(std::unique_ptr<model::KvCache> cache) { cache_ = std::move(cache); }
  void drop_cache() { cache_.reset(); }
  int64_t n_cached() const { return cache_ ? cache_->size() : 0; }
  int64_t n_pending() const { return static_cast<int64_t>(tokens_.size()) - n_cached(); }

  // Tokens this step forwards (set by the scheduler's planner).
  int64_t step_n = 0;
  bool ever_admitted = false;
  // Set at submit when the resume tokens already end the request.
  std::optional<FinishReason> ended_by_resume;

  // Feeds the resume tokens through the output pipeline without emitting.
  // Returns the finish reason when they already end the request (EOG, stop
  // string, max_tokens); the caller then calls finish().
  std::optional<FinishReason> replay_resume();

  // Called when admission (re)starts a prefill: records reuse and timing.
  void on_admitted(int64_t reused_tokens);
  // Samples the next token from its logits row, appends it and emits its
  // text. Returns the finish reason when this token ends the request.
  std::optional<FinishReason> on_logits(std::span<const float> logits) {
    sample_next(logits);
    return commit_sampled();
  }
  // on_logits in two halves: sample_next only computes (touches nothing but
  // this sequence's sampler, so sequences may sample in parallel);
  // commit_sampled appends the token and emits its events.
  void sample_next(std::span<const float> logits);
  std::optional<FinishReason> commit_sampled();

  // Releases held-back text and sends the terminal on_finish (once).
  void finish(FinishReason reason);
  // Sends the terminal on_error (once).
  void fail(const Error& error);

 private:
  struct Emitted {
    std::string text;
    bool stopped = false;
  };
  Emitted push_text(int32_t token);
  std::optional<FinishReason> after_token(int32_t token, bool stopped) const;
  void send(StreamEvent event, const std::string& text);
  std::optional<TokenLogprobs> make_logprobs(const sampling::SampleResult& r) const;

  uint64_t id_;
  SchedRequest req_;
  std::shared_ptr<RequestSink> sink_;
  const tokenizer::Tokenizer& tok_;
  std::vector<int32_t> tokens_;
  int64_t n_prompt_;
  std::unique_ptr<model::KvCache> cache_;
  StepSampler sampler_;
  sampling::SampleResult sample_;
  int32_t next_ = -1;  // sampled by sample_next, not yet committed
  tokenizer::StreamDecoder decoder_;
  sampling::StopMatcher stops_;
  tokenizer::ReasoningSplitter splitter_;
  bool finished_ = false;

  int64_t cached_tokens_ = 0;  // prompt tokens reused at first admission
  int64_t prompt_n_ = 0;
  int64_t predicted_n_ = 0;
  SteadyClock::time_point t_admitted_{};
  SteadyClock::time_point t_first_{};
};

}  // namespace r1::engine
