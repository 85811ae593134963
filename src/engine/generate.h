// Single-sequence generation: one model, one KV cache, one sampler. Used by
// `r1serve run` / `chat` / `eval`.
//
// generate() takes the whole conversation as token ids. The longest common
// prefix with the tokens already in the KV cache is kept (multi-turn chat
// re-sends the history), the rest of the prompt is evaluated in one batched
// forward pass (chunked by SessionOptions::max_batch), then tokens are
// sampled one at a time until an end-of-generation token, a stop string,
// max_tokens, the end of the context, or the callback asks to stop.
//
// Text handed to the callback is whole UTF-8 characters with stop strings
// removed (text after a stop string is never emitted). End-of-generation
// tokens are not emitted as text.
//
// Thread contract: a Session is used by one thread at a time. The Model and
// Tokenizer are immutable and may be shared with other sessions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/kv/kv_cache.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace r1 {
class ThreadPool;
}

namespace r1::engine {

struct SessionOptions {
  int64_t n_ctx = 4096;     // KV cache positions (clamped to the model's)
  int n_threads = 0;        // 0: hardware concurrency
  int64_t max_batch = 128;  // prompt tokens per forward chunk
};

struct GenerateRequest {
  std::vector<int32_t> prompt;       // the full sequence so far (non-empty)
  sampling::SamplingParams sampling;  // max_tokens and stop strings live here
};

enum class StopReason { kEog, kStopString, kMaxTokens, kContextFull, kCancelled };
const char* stop_reason_name(StopReason r);

struct GenerateStats {
  int64_t n_prompt = 0;         // prompt tokens
  int64_t n_prompt_reused = 0;  // of which found in the KV cache
  int64_t n_generated = 0;      // sampled tokens (EOG included)
  double prompt_seconds = 0;    // evaluating n_prompt - n_prompt_reused tokens
  double gen_seconds = 0;       // sampling + decoding the generated tokens
  StopReason stop_reason = StopReason::kEog;
  std::vector<int32_t> tokens;  // generated ids (EOG included when it ended)
  std::string text;             // everything emitted through the callback

  double prompt_tokens_per_second() const;
  double gen_tokens_per_second() const;
};

struct TokenEvent {
  int32_t token = 0;
  std::string_view text;  // may be empty (partial UTF-8 or a possible stop)
};

// Return false to stop generating (StopReason::kCancelled).
using TokenCallback = std::function<bool(const TokenEvent&)>;

class Session {
 public:
  // Errors: n_ctx out of range or the KV cache too large.
  static Result<std::unique_ptr<Session>> create(
      std::shared_ptr<const model::Model> model,
      std::shared_ptr<const tokenizer::Tokenizer> tokenizer, const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Errors: empty prompt, invalid sampling params, token ids out of the
  // vocabulary, a prompt that does not fit the context.
  Result<GenerateStats> generate(const GenerateRequest& request, const TokenCallback& on_token);

  // Teacher-forced pass from an empty cache: logits of every position,
  // [tokens.size(), n_vocab] row-major. Leaves the cache holding `tokens`.
  Result<std::vector<float>> score(const std::vector<int32_t>& tokens);

  // Forgets the cached prefix.
  void reset();

  const std::vector<int32_t>& cached_tokens() const { return cached_; }
  const model::Model& model() const { return *model_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  int64_t n_ctx() const { return cache_->n_ctx(); }
  int n_threads() const;

 private:
  Session() = default;
  struct LoopArgs;
  Status check_tokens(const std::vector<int32_t>& tokens) const;
  // Appends `tokens` after the cached ones; fills the logits of the last one
  // (or of all with all_logits). On error the cache is reset.
  Status eval(std::span<const int32_t> tokens, bool all_logits, float* logits);
  Status sample_loop(LoopArgs& args);

  std::shared_ptr<const model::Model> model_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<model::KvCache> cache_;
  std::unique_ptr<model::ForwardContext> ctx_;
  std::vector<int32_t> cached_;  // tokens whose K/V are in cache_
};

// Holds back an incomplete UTF-8 sequence at the end of the text.
//
// Thread contract: one stream, one thread.
class Utf8Buffer {
 public:
  // Returns the longest prefix of (held + piece) ending on a whole character.
  std::string push(std::string_view piece);
  std::string finish();  // whatever is held (may be invalid UTF-8)

 private:
  std::string held_;
};

}  // namespace r1::engine
