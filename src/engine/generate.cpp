#include "engine/generate.h"

#include <algorithm>
#include <thread>

#include "core/clock.h"
#include "core/thread_pool.h"
#include "sampling/stop_matcher.h"

namespace r1::engine {

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kEog: return "eog";
    case StopReason::kStopString: return "stop";
    case StopReason::kMaxTokens: return "length";
    case StopReason::kContextFull: return "context";
    case StopReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

double GenerateStats::prompt_tokens_per_second() const {
  const double n = static_cast<double>(n_prompt - n_prompt_reused);
  return prompt_seconds > 0 ? n / prompt_seconds : 0.0;
}

double GenerateStats::gen_tokens_per_second() const {
  return gen_seconds > 0 ? static_cast<double>(n_generated) / gen_seconds : 0.0;
}

namespace {

// Length of the UTF-8 sequence a lead byte starts (1 for invalid leads).
size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) return 2;
  if ((c & 0xf0) == 0xe0) return 3;
  if ((c & 0xf8) == 0xf0) return 4;
  return 1;
}

}  // namespace

std::string Utf8Buffer::push(std::string_view piece) {
  held_.append(piece);
  // Find the start of the last (possibly incomplete) character.
  size_t n = held_.size();
  size_t i = n;
  size_t back = 0;
  while (i > 0 && back < 4 && (static_cast<unsigned char>(held_[i - 1]) & 0xc0) == 0x80) {
    --i;
    ++back;
  }
  size_t cut = n;
  if (i > 0) {
    size_t lead = i - 1;
    if (utf8_len(static_cast<unsigned char>(held_[lead])) > n - lead) cut = lead;
  }
  std::string out = held_.substr(0, cut);
  held_.erase(0, cut);
  return out;
}

std::string Utf8Buffer::finish() {
  std::string out;
  out.swap(held_);
  return out;
}

Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(
    std::shared_ptr<const model::Model> model,
    std::shared_ptr<const tokenizer::Tokenizer> tokenizer, const SessionOptions& options) {
  CHECK(model != nullptr && tokenizer != nullptr);
  const model::ModelConfig& config = model->config();
  int64_t n_ctx = options.n_ctx;
  if (n_ctx <= 0) return make_error(ErrorCode::kInvalidArgument, "context size must be positive");
  if (config.n_ctx_train > 0) n_ctx = std::min(n_ctx, config.n_ctx_train);
  std::unique_ptr<Session> s(new Session());
  R1_ASSIGN_OR_RETURN(s->cache_, model::KvCache::create(config, n_ctx));
  int n_threads = options.n_threads > 0
                      ? options.n_threads
                      : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  s->pool_ = std::make_unique<ThreadPool>(n_threads);
  const int64_t max_batch = std::clamp<int64_t>(options.max_batch, 1, 4096);
  s->ctx_ = std::make_unique<model::ForwardContext>(config, max_batch, s->pool_.get());
  s->model_ = std::move(model);
  s->tokenizer_ = std::move(tokenizer);
  return s;
}

int Session::n_threads() const { return pool_->size(); }

void Session::reset() {
  cache_->clear();
  cached_.clear();
}

Status Session::check_tokens(const std::vector<int32_t>& tokens) const {
  if (tokens.empty()) return make_error(ErrorCode::kInvalidArgument, "empty prompt");
  const int64_t n_vocab = model_->config().n_vocab;
  for (int32_t t : tokens) {
    if (t < 0 || t >= n_vocab) {
      return make_error(ErrorCode::kInvalidArgument,
                        "token id " + std::to_string(t) + " out of range [0, " +
                            std::to_string(n_vocab) + ")");
    }
  }
  if (static_cast<int64_t>(tokens.size()) > cache_->n_ctx()) {
    return make_error(ErrorCode::kResourceExhausted,
                      "prompt of " + std::to_string(tokens.size()) +
                          " tokens does not fit the context of " +
                          std::to_string(cache_->n_ctx()));
  }
  return Status();
}

Status Session::eval(std::span<const int32_t> tokens, bool all_logits, float* logits) {
  CHECK_EQ(static_cast<size_t>(cache_->size()), cached_.size());
  std::vector<model::BatchEntry> batch;
  batch.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    model::BatchEntry e;
    e.token = tokens[i];
    e.pos = static_cast<int32_t>(cached_.size() + i);
    e.cache = cache_.get();
    e.want_logits = all_logits || i + 1 == tokens.size();
    batch.push_back(e);
  }
  Status st = model::forward(*model_, batch, *ctx_, logits);
  if (!st.ok()) {
    reset();  // the cache may hold a partial pass
    return st;
  }
  cached_.insert(cached_.end(), tokens.begin(), tokens.end());
  return Status();
}

Result<std::vector<float>> Session::score(const std::vector<int32_t>& tokens) {
  R1_RETURN_IF_ERROR(check_tokens(tokens));
  reset();
  const auto n_vocab = static_cast<size_t>(model_->config().n_vocab);
  std::vector<float> logits(tokens.size() * n_vocab);
  R1_RETURN_IF_ERROR(eval(tokens, true, logits.data()));
  return logits;
}

namespace {

// The per-generation state of the sampling loop.
struct Decoder {
  const TokenCallback& on_token;
  sampling::StopMatcher stops;
  Utf8Buffer utf8;
  GenerateStats& stats;

  // Emits one token's text; false when generation must stop.
  bool emit(int32_t token, std::string_view piece) {
    sampling::StopMatcher::Output out = stops.feed(utf8.push(piece));
    stats.text += out.text;
    bool go_on = on_token(TokenEvent{token, out.text});
    if (out.stopped) {
      stats.stop_reason = StopReason::kStopString;
      return false;
    }
    if (!go_on) stats.stop_reason = StopReason::kCancelled;
    return go_on;
  }
  void flush(int32_t last_token) {
    if (stops.stopped()) return;
    sampling::StopMatcher::Output out = stops.feed(utf8.finish());
    std::string rest = out.text + (out.stopped ? std::string() : stops.finish());
    if (out.stopped) stats.stop_reason = StopReason::kStopString;
    if (rest.empty()) return;
    stats.text += rest;
    on_token(TokenEvent{last_token, rest});
  }
};

}  // namespace

struct Session::LoopArgs {
  const GenerateRequest& req;
  sampling::Sampler& sampler;
  std::vector<float>& logits;
  const TokenCallback& on_token;
  GenerateStats& stats;
};

Status Session::sample_loop(LoopArgs& a) {
  Decoder dec{a.on_token, sampling::StopMatcher(a.req.sampling.stop), {}, a.stats};
  const int max_tokens = a.req.sampling.max_tokens;
  const SteadyClock::time_point t0 = SteadyClock::now();
  int32_t last = -1;
  for (;;) {
    if (max_tokens >= 0 && a.stats.n_generated >= max_tokens) {
      a.stats.stop_reason = StopReason::kMaxTokens;
      break;
    }
    const int32_t tok = a.sampler.sample(a.logits);
    a.sampler.accept(tok);
    a.stats.tokens.push_back(tok);
    ++a.stats.n_generated;
    last = tok;
    if (tokenizer_->is_eog(tok)) {
      a.stats.stop_reason = StopReason::kEog;
      break;
    }
    if (!dec.emit(tok, tokenizer_->token_to_piece(tok))) break;
    if (cache_->size() >= cache_->n_ctx()) {
      a.stats.stop_reason = StopReason::kContextFull;
      break;
    }
    Status st = eval(std::span<const int32_t>(&tok, 1), false, a.logits.data());
    if (!st.ok()) return st;
  }
  dec.flush(last);
  a.stats.gen_seconds = seconds_since(t0);
  return Status();
}

Result<GenerateStats> Session::generate(const GenerateRequest& req, const TokenCallback& on_token) {
  R1_RETURN_IF_ERROR(check_tokens(req.prompt));
  const int32_t n_vocab = static_cast<int32_t>(model_->config().n_vocab);
  R1_RETURN_IF_ERROR(sampling::validate(req.sampling, n_vocab));
  GenerateStats stats;
  stats.n_prompt = static_cast<int64_t>(req.prompt.size());

  // Reuse the common prefix; at least the last prompt token is evaluated.
  size_t keep = 0;
  while (keep < cached_.size() && keep < req.prompt.size() && cached_[keep] == req.prompt[keep]) {
    ++keep;
  }
  keep = std::min(keep, req.prompt.size() - 1);
  cache_->truncate(static_cast<int64_t>(keep));
  cached_.resize(keep);
  stats.n_prompt_reused = static_cast<int64_t>(keep);

  std::vector<float> logits(static_cast<size_t>(n_vocab));
  const SteadyClock::time_point t0 = SteadyClock::now();
  R1_RETURN_IF_ERROR(eval(std::span(req.prompt).subspan(keep), false, logits.data()));
  stats.prompt_seconds = seconds_since(t0);

  sampling::Sampler sampler(req.sampling, n_vocab);
  for (int32_t t : req.prompt) sampler.accept(t);
  LoopArgs args{req, sampler, logits, on_token, stats};
  R1_RETURN_IF_ERROR(sample_loop(args));
  return stats;
}

}  // namespace r1::engine
