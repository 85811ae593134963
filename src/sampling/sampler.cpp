#include "sampling/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace r1::sampling {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

Status validate_floats(const SamplingParams& p) {
  if (!std::isfinite(p.temperature) || p.temperature < 0.0f) {
    return invalid(fmt::format("temperature must be a finite number >= 0 (got {})", p.temperature));
  }
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) {
    return invalid(fmt::format("top_p must be in (0, 1] (got {})", p.top_p));
  }
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) {
    return invalid(fmt::format("min_p must be in [0, 1] (got {})", p.min_p));
  }
  if (!std::isfinite(p.repeat_penalty) || p.repeat_penalty <= 0.0f) {
    return invalid(fmt::format("repeat_penalty must be a finite number > 0 (got {})",
                               p.repeat_penalty));
  }
  if (!std::isfinite(p.presence_penalty)) {
    return invalid(fmt::format("presence_penalty must be finite (got {})", p.presence_penalty));
  }
  if (!std::isfinite(p.frequency_penalty)) {
    return invalid(fmt::format("frequency_penalty must be finite (got {})", p.frequency_penalty));
  }
  return Status();
}

Status validate_bias(const SamplingParams& p, int32_t n_vocab) {
  if (p.logit_bias.size() > kMaxLogitBias) {
    return invalid(fmt::format("logit_bias has {} entries (at most {})", p.logit_bias.size(),
                               kMaxLogitBias));
  }
  for (const auto& [id, bias] : p.logit_bias) {
    if (id < 0 || (n_vocab > 0 && id >= n_vocab)) {
      return invalid(fmt::format("logit_bias token id {} is out of range [0, {})", id, n_vocab));
    }
    if (std::isnan(bias) || bias == std::numeric_limits<float>::infinity()) {
      return invalid(fmt::format("logit_bias for token {} must be finite or -inf (got {})", id,
                                 bias));
    }
  }
  return Status();
}

Status validate_stop(const SamplingParams& p) {
  if (p.stop.size() > kMaxStopStrings) {
    return invalid(fmt::format("{} stop strings given (at most {})", p.stop.size(),
                               kMaxStopStrings));
  }
  for (const std::string& s : p.stop) {
    if (s.empty()) return invalid("stop strings must not be empty");
    if (s.size() > kMaxStopLength) {
      return invalid(fmt::format("a stop string is {} bytes long (at most {})", s.size(),
                                 kMaxStopLength));
    }
  }
  return Status();
}

uint64_t draw_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

Status validate(const SamplingParams& p, int32_t n_vocab) {
  R1_RETURN_IF_ERROR(validate_floats(p));
  if (p.top_k < 0) return invalid(fmt::format("top_k must be >= 0 (got {})", p.top_k));
  if (p.repeat_last_n < -1) {
    return invalid(fmt::format("repeat_last_n must be >= -1 (got {})", p.repeat_last_n));
  }
  if (p.max_tokens < -1 || p.max_tokens == 0) {
    return invalid(fmt::format("max_tokens must be -1 (unlimited) or >= 1 (got {})",
                               p.max_tokens));
  }
  R1_RETURN_IF_ERROR(validate_bias(p, n_vocab));
  return validate_stop(p);
}

Sampler::Sampler(const SamplingParams& params, int32_t n_vocab)
    : params_(params),
      n_vocab_(n_vocab),
      seed_(params.has_seed ? params.seed : draw_seed()),
      rng_(seed_),
      window_(params.repeat_last_n) {
  CHECK(n_vocab > 0) << n_vocab;
  const Status status = validate(params, n_vocab);
  CHECK(status.ok()) << status.error().to_string();
}

void Sampler::accept(int32_t token) {
  CHECK(token >= 0 && token < n_vocab_) << token;
  window_.push(token);
}

void Sampler::reset() {
  window_.clear();
  rng_.seed(seed_);
}

double Sampler::next_uniform() {
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

void Sampler::process_logits(std::span<const float> logits, std::vector<float>* out) const {
  CHECK_EQ(logits.size(), static_cast<size_t>(n_vocab_));
  out->assign(logits.begin(), logits.end());
  sanitize_logits(*out);
  apply_logit_bias(params_.logit_bias, *out);
  const PenaltyParams penalties{params_.repeat_penalty, params_.presence_penalty,
                                params_.frequency_penalty};
  apply_penalties(penalties, window_.counts(), *out);
}

int32_t Sampler::pick(std::span<const float> raw) {
  process_logits(raw, &work_);
  int32_t token = -1;
  if (params_.temperature <= 0.0f) {
    token = argmax(work_);
  } else {
    token = selector_.draw({{params_.top_k, params_.top_p, params_.min_p}, params_.temperature, next_uniform()},
                           work_);
  }
  if (token >= 0) return token;
  // Every token banned: fall back to the model's own choice.
  token = argmax(raw);
  return token >= 0 ? token : 0;
}

int32_t Sampler::sample(std::span<const float> logits) { return pick(logits); }

void Sampler::sample_with_logprobs(std::span<const float> logits, int top_n, SampleResult* out) {
  out->token = pick(logits);
  out->top.clear();
  const double lse = log_sum_exp(work_);
  if (lse == -std::numeric_limits<double>::infinity()) {  // the fallback case
    out->logprob = 0.0f;
    if (top_n > 0) out->top.push_back({out->token, 0.0f});
    return;
  }
  out->logprob = static_cast<float>(work_[out->token] - lse);
  const int n = std::clamp(top_n, 0, n_vocab_);
  select_top_k(work_, n, &candidates_);
  out->top.reserve(candidates_.size());
  for (const Candidate& c : candidates_) {
    out->top.push_back({c.id, static_cast<float>(c.logit - lse)});
  }
}

}  // namespace r1::sampling
