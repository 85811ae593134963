#include "engine/sequence.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <random>
#include <utility>

namespace r1::engine {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kEog: return "eog";
    case FinishReason::kStopString: return "stop";
    case FinishReason::kMaxTokens: return "length";
    case FinishReason::kContextFull: return "context";
    case FinishReason::kDeadline: return "deadline";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double ms_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Sampling scratch sized by the vocabulary (~1.5 MB for 151,936 tokens), one
// per thread: sampling runs on the engine's pool threads, and a copy per
// sequence would allocate and free that much for every request (the
// allocator then keeps much of it resident).
struct SampleScratch {
  sampling::CandidateSelector selector;
  std::vector<float> work;
  std::vector<sampling::Candidate> candidates;
};

SampleScratch& sample_scratch() {
  thread_local SampleScratch scratch;
  return scratch;
}

}  // namespace

double step_uniform(uint64_t seed, int64_t step) {
  const uint64_t bits = splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(step));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

sampling::SamplingParams StepSampler::seeded(sampling::SamplingParams p) {
  if (!p.has_seed) {
    std::random_device rd;
    p.seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    p.has_seed = true;
  }
  return p;
}

StepSampler::StepSampler(const sampling::SamplingParams& params, int32_t n_vocab)
    : base_(seeded(params), n_vocab) {
  seed_ = base_.seed();
}

int32_t StepSampler::sample(std::span<const float> logits, int64_t step, int top_n,
                            sampling::SampleResult* out) {
  SampleScratch& x = sample_scratch();
  std::vector<float>& work = x.work;
  base_.process_logits(logits, &work);
  const sampling::SamplingParams& p = base_.params();
  int32_t token = -1;
  if (p.temperature <= 0.0f) {
    token = sampling::argmax(work);
  } else {
    token = x.selector.draw({{p.top_k, p.top_p, p.min_p}, p.temperature, step_uniform(seed_, step)}, work);
  }
  if (token < 0) token = std::max(0, sampling::argmax(logits));  // everything banned
  if (top_n < 0 || out == nullptr) return token;
  out->token = token;
  out->top.clear();
  const double lse = sampling::log_sum_exp(work);
  if (lse == -std::numeric_limits<double>::infinity()) {
    out->logprob = 0.0f;
    if (top_n > 0) out->top.push_back({token, 0.0f});
    return token;
  }
  out->logprob = static_cast<float>(work[static_cast<size_t>(token)] - lse);
  sampling::select_top_k(work, std::clamp(top_n, 0, base_.n_vocab()), &x.candidates);
  for (const sampling::Candidate& c : x.candidates) {
    out->top.push_back({c.id, static_cast<float>(c.logit - lse)});
  }
  return token;
}

Sequence::Sequence(SequenceInit init)
    : id_(init.id),
      req_(std::move(init.request)),
      sink_(std::move(init.sink)),
      tok_(*init.tokenizer),
      n_prompt_(static_cast<int64_t>(req_.prompt.size())),
      sampler_(req_.sampling, init.n_vocab),
      decoder_(*init.tokenizer),
      stops_(req_.sampling.stop),
      splitter_(req_.starts_in_reasoning) {
  tokens_ = req_.prompt;
  tokens_.insert(tokens_.end(), req_.resume_tokens.begin(), req_.resume_tokens.end());
  for (int32_t t : tokens_) sampler_.accept(t);
}

Sequence::Emitted Sequence::push_text(int32_t token) {
  sampling::StopMatcher::Output out = stops_.feed(decoder_.push(token));
  return {std::move(out.text), out.stopped};
}

std::optional<FinishReason> Sequence::after_token(int32_t token, bool stopped) const {
  if (tok_.is_eog(token)) return FinishReason::kEog;
  if (stopped) return FinishReason::kStopString;
  const int max_tokens = req_.sampling.max_tokens;
  if (max_tokens >= 0 && n_generated() >= max_tokens) return FinishReason::kMaxTokens;
  // The new token would sit at position size - 1; it must fit the context.
  if (cache_ && static_cast<int64_t>(tokens_.size()) > cache_->n_ctx()) {
    return FinishReason::kContextFull;
  }
  return std::nullopt;
}

std::optional<FinishReason> Sequence::replay_resume() {
  const auto n = static_cast<int64_t>(req_.resume_tokens.size());
  const int max_tokens = req_.sampling.max_tokens;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t t = req_.resume_tokens[static_cast<size_t>(i)];
    if (tok_.is_eog(t)) return FinishReason::kEog;
    Emitted e = push_text(t);
    if (req_.split_reasoning) splitter_.push(e.text);
    if (e.stopped) return FinishReason::kStopString;
    if (max_tokens >= 0 && i + 1 >= max_tokens) return FinishReason::kMaxTokens;
  }
  return std::nullopt;
}

void Sequence::on_admitted(int64_t reused_tokens) {
  if (ever_admitted) return;
  ever_admitted = true;
  cached_tokens_ = std::min(reused_tokens, n_prompt_);
  prompt_n_ = static_cast<int64_t>(tokens_.size()) - reused_tokens;
  t_admitted_ = SteadyClock::now();
}

std::optional<TokenLogprobs> Sequence::make_logprobs(const sampling::SampleResult& r) const {
  TokenLogprobs lp;
  lp.token = r.token;
  lp.text = tok_.token_to_piece(r.token);
  lp.logprob = r.logprob;
  lp.top.reserve(r.top.size());
  for (const sampling::TokenLogprob& alt : r.top) {
    lp.top.push_back({alt.id, tok_.token_to_piece(alt.id), alt.logprob});
  }
  return lp;
}

void Sequence::send(StreamEvent event, const std::string& text) {
  event.text = text;
  if (req_.split_reasoning && !text.empty()) {
    tokenizer::ReasoningDelta d = splitter_.push(text);
    event.reasoning = std::move(d.reasoning_delta);
    event.content = std::move(d.content_delta);
  }
  sink_->on_token(event);
}

void Sequence::sample_next(std::span<const float> logits) {
  const bool want_lp = req_.top_logprobs >= 0;
  next_ = sampler_.sample(logits, n_generated(), want_lp ? req_.top_logprobs : -1, want_lp ? &sample_ : nullptr);
}

std::optional<FinishReason> Sequence::commit_sampled() {
  CHECK(next_ >= 0) << "commit_sampled without sample_next";
  const int32_t tok = std::exchange(next_, -1);
  if (predicted_n_ == 0) t_first_ = SteadyClock::now();
  sampler_.accept(tok);
  tokens_.push_back(tok);
  ++predicted_n_;
  if (tok_.is_eog(tok)) return FinishReason::kEog;
  Emitted e = push_text(tok);
  StreamEvent ev;
  ev.token = tok;
  if (req_.top_logprobs >= 0) ev.logprobs = make_logprobs(sample_);
  send(std::move(ev), e.text);
  return after_token(tok, e.stopped);
}

void Sequence::finish(FinishReason reason) {
  if (finished_) return;
  finished_ = true;
  std::string rest;
  if (!stops_.stopped()) {
    sampling::StopMatcher::Output out = stops_.feed(decoder_.flush());
    rest = std::move(out.text);
    if (out.stopped) {
      reason = FinishReason::kStopString;
    } else {
      rest += stops_.finish();
    }
  }
  StreamEvent ev;
  ev.text = rest;
  if (req_.split_reasoning) {
    tokenizer::ReasoningDelta d = splitter_.push(rest);
    tokenizer::ReasoningDelta tail = splitter_.finish();
    ev.reasoning = d.reasoning_delta + tail.reasoning_delta;
    ev.content = d.content_delta + tail.content_delta;
  }
  if (!ev.text.empty() || !ev.reasoning.empty() || !ev.content.empty()) sink_->on_token(ev);
  const SteadyClock::time_point now = SteadyClock::now();
  FinishInfo info;
  info.reason = reason;
  info.prompt_tokens = n_prompt_;
  info.completion_tokens = n_generated();
  info.cached_tokens = cached_tokens_;
  info.prompt_n = prompt_n_;
  info.predicted_n = predicted_n_;
  if (predicted_n_ > 0) {
    info.prompt_ms = ms_between(t_admitted_, t_first_);
    info.predicted_ms = ms_between(t_first_, now);
  } else if (ever_admitted) {
    info.prompt_ms = ms_between(t_admitted_, now);
  }
  sink_->on_finish(info);
}

void Sequence::fail(const Error& error) {
  if (finished_) return;
  finished_ = true;
  sink_->on_error(error);
}

}  // namespace r1::engine
